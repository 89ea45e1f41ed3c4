import pytest

from node.network.devnode import parse_args


def test_revert_names_one_speed_up_at_a_time() -> None:
    args = parse_args(
        ["--seed-index", "0", "--revert", "batched_yamux_credit", "--revert", "cached_local_record"]
    )
    assert args.revert == ["batched_yamux_credit", "cached_local_record"]
    assert parse_args(["--seed-index", "1"]).revert == []


def test_revert_refuses_a_name_that_is_no_speed_up(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_args(["--seed-index", "0", "--revert", "guard_pubsub_read_loop"])  # a bug fix
    assert "invalid choice" in capsys.readouterr().err
