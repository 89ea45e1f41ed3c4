"""The end-of-run checks, as pure functions of the manifest and what the run observed.

Every mode judges its run with :func:`judge`, so "passed" means the same everywhere.
"""

from __future__ import annotations

from node.scenario.manifest import Byzantine, Manifest
from node.scenario.report import CheckResult, NodeObservation, VersionPoint


def judge(
    manifest: Manifest, nodes: list[NodeObservation], versions: list[VersionPoint]
) -> list[CheckResult]:
    """Every check that applies to ``manifest``, in a fixed order."""
    results = [
        check_no_conflicting_blocks(nodes),
        check_honest_running(nodes),
        check_min_height(nodes, manifest.checks.min_height),
        check_caught_up(nodes, manifest.checks.catch_up_blocks),
        check_same_model(nodes, needs_model=bool(manifest.trainers)),
    ]
    if manifest.checks.target_accuracy is not None and manifest.trainers:
        results.append(check_accuracy(versions, manifest.checks.target_accuracy))
    double_signers = [n.name for n in manifest.nodes if n.byzantine is Byzantine.DOUBLE_SIGNER]
    if double_signers and manifest.checks.slash_double_signers:
        results.append(check_slashed(nodes, double_signers))
    joiners = [n.name for n in manifest.nodes if n.join_as_candidate]
    if joiners and manifest.checks.elect_joiners:
        results.append(check_elected(nodes, joiners))
    return results


def check_no_conflicting_blocks(nodes: list[NodeObservation]) -> CheckResult:
    """No two nodes (honest or not) hold different final blocks at one height."""
    seen: dict[int, set[str]] = {}
    for node in nodes:
        for height, block_hash in node.block_hashes.items():
            seen.setdefault(height, set()).add(block_hash)
    conflicts = sorted(h for h, hashes in seen.items() if len(hashes) > 1)
    compared = len(seen)
    if conflicts:
        shown = ", ".join(map(str, conflicts[:10])) + (", ..." if len(conflicts) > 10 else "")
        return CheckResult("no_conflicting_blocks", False, f"different blocks at heights {shown}")
    return CheckResult("no_conflicting_blocks", compared > 0, f"{compared} heights compared")


def check_honest_running(nodes: list[NodeObservation]) -> CheckResult:
    down = [n.name for n in nodes if n.honest and not n.running]
    detail = f"not answering: {join_names(down)}" if down else "every honest node answers"
    return CheckResult("honest_nodes_running", not down, detail)


def check_min_height(nodes: list[NodeObservation], min_height: int) -> CheckResult:
    low = {n.name: n.height for n in nodes if n.honest and n.height < min_height}
    detail = (
        f"below {min_height}: {join_heights(low)}"
        if low
        else f"every honest node reached {min_height}"
    )
    return CheckResult("min_height", not low, detail)


def check_caught_up(nodes: list[NodeObservation], slack: int) -> CheckResult:
    """Every honest node (restarted ones included) ends near the highest final height."""
    honest = [n for n in nodes if n.honest]
    top = max((n.height for n in honest), default=0)
    behind = {n.name: n.height for n in honest if n.height < top - slack}
    perturbed = sorted(n.name for n in honest if n.perturbed)
    caught = f"{join_names(perturbed)} perturbed and caught up" if perturbed else "none perturbed"
    detail = (
        f"more than {slack} behind the tip {top}: {join_heights(behind)}"
        if behind
        else f"all within {slack} blocks of the tip {top}; {caught}"
    )
    return CheckResult("caught_up", not behind, detail)


def check_same_model(nodes: list[NodeObservation], needs_model: bool) -> CheckResult:
    """Every honest node holds the same model hash at the latest version they all have."""
    honest = [n for n in nodes if n.honest and n.model_hashes]
    if not honest:
        return CheckResult("same_model_hash", not needs_model, "no model version on any node")
    common = set.intersection(*(set(n.model_hashes) for n in honest))
    if not common:
        return CheckResult("same_model_hash", False, "no model version common to honest nodes")
    version = max(common)
    hashes = {n.name: n.model_hashes[version] for n in honest}
    same = len(set(hashes.values())) == 1
    if same:
        detail = f"v{version}: {next(iter(hashes.values()))[:16]}"
    else:
        detail = f"v{version} differs: " + ", ".join(f"{n} {h[:16]}" for n, h in hashes.items())
    return CheckResult("same_model_hash", same and version >= 1, detail)


def check_accuracy(versions: list[VersionPoint], target: float) -> CheckResult:
    measured = [(v.version, v.accuracy) for v in versions if v.accuracy is not None]
    reached = next((v for v, a in measured if a >= target), None)
    best = max((a for _, a in measured), default=None)
    if reached is not None:
        return CheckResult("accuracy_target", True, f"{target:.2f} reached at v{reached}")
    shown = "none measured" if best is None else f"best {best:.3f}"
    return CheckResult("accuracy_target", False, f"{target:.2f} not reached ({shown})")


def check_slashed(nodes: list[NodeObservation], names: list[str]) -> CheckResult:
    by_name = {n.name: n for n in nodes}
    missed = [name for name in names if name not in by_name or not by_name[name].slashed]
    detail = (
        f"not slashed: {join_names(missed)}"
        if missed
        else f"slashed by evidence: {join_names(names)}"
    )
    return CheckResult("double_signers_slashed", not missed, detail)


def check_elected(nodes: list[NodeObservation], names: list[str]) -> CheckResult:
    by_name = {n.name: n for n in nodes}
    missed = [name for name in names if name not in by_name or not by_name[name].validator_at_end]
    detail = (
        f"not in the validator set: {join_names(missed)}"
        if missed
        else f"elected: {join_names(names)}"
    )
    return CheckResult("joiners_elected", not missed, detail)


def join_names(names: list[str]) -> str:
    """``v1, v2`` (``none`` for no names)."""
    return ", ".join(names) or "none"


def join_heights(heights: dict[str, int]) -> str:
    """``v1 at 4, v2 at 5``."""
    return ", ".join(f"{name} at {height}" for name, height in heights.items())
