"""The invariant checker really catches conflicting final blocks and other violations."""

from __future__ import annotations

from node.sim import SafetyChecker, ViolationKind

BLOCK_A, BLOCK_B = b"\x0a" * 32, b"\x0b" * 32
STATE_A, STATE_B = b"\x1a" * 32, b"\x1b" * 32


def test_checker_detects_two_different_final_blocks_at_one_height():
    checker = SafetyChecker((True, True, True))
    checker.record_final(10, 0, 1, BLOCK_A, STATE_A)
    checker.record_final(12, 1, 1, BLOCK_A, STATE_A)
    assert checker.violations == []
    checker.record_final(15, 2, 1, BLOCK_B, STATE_B)
    [violation] = checker.safety_violations
    assert violation.kind is ViolationKind.CONFLICTING_BLOCKS
    assert (violation.time_ms, violation.node, violation.height) == (15, 2, 1)


def test_checker_detects_diverging_state_for_the_same_block():
    checker = SafetyChecker((True, True))
    checker.record_final(1, 0, 1, BLOCK_A, STATE_A)
    checker.record_final(2, 1, 1, BLOCK_A, STATE_B)
    assert [v.kind for v in checker.safety_violations] == [ViolationKind.DIVERGING_STATE]


def test_checker_ignores_byzantine_nodes():
    checker = SafetyChecker((True, False))
    checker.record_final(1, 0, 1, BLOCK_A, STATE_A)
    checker.record_final(1, 1, 1, BLOCK_B, STATE_B)
    checker.record_double_sign_request(1, 1, 1, "byzantine may")
    assert checker.violations == []
    assert checker.get_min_honest_height() == 1


def test_checker_flags_out_of_order_finalization_and_double_sign_requests():
    checker = SafetyChecker((True, True))
    checker.record_final(1, 0, 2, BLOCK_A, STATE_A)
    checker.record_double_sign_request(2, 1, 1, "asked twice")
    kinds = [v.kind for v in checker.violations]
    assert kinds == [ViolationKind.OUT_OF_ORDER, ViolationKind.DOUBLE_SIGN_REQUEST]
    assert checker.safety_violations == []
    assert checker.get_min_honest_height() == 0
    assert checker.get_final_hash(2) == BLOCK_A
