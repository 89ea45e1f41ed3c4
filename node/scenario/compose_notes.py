"""The header comment of a generated compose file: what it is, what compose does not do."""

from __future__ import annotations

from node.scenario.compose_service import ENV_FILE, LATE_PROFILE, TOKEN_FILE, is_late
from node.scenario.manifest import Manifest


def describe(manifest: Manifest, seed: int | None) -> list[str]:
    """The header of the bind-mounted form: the scenario, then :func:`describe_notes`."""
    run_seed = manifest.seed if seed is None else seed
    return [
        f"Deltachain cluster for scenario {manifest.name!r} (seed {run_seed}), written by",
        "`deltachain sim compose`. Build the image first: docker build -t <image> <repo root>",
        f"API token for write routes: see {TOKEN_FILE}. Settings (subnet, ports, image, uid):",
        f"{ENV_FILE} next to this file, the values it was written with as defaults below.",
        *describe_notes(manifest),
    ]


def describe_notes(manifest: Manifest) -> list[str]:
    """Late joiners, Byzantine nodes, and the schedule compose does not play."""
    lines = []
    late = [n.name for n in manifest.nodes if is_late(n)]
    if late:
        lines.append(
            f"Late joiners (profile {LATE_PROFILE!r}) are started by hand: "
            f"docker compose up -d {' '.join(late)}"
        )
    odd = [f"{n.name} ({n.byzantine.value or n.attack.value})" for n in manifest.nodes
           if not n.is_honest]  # fmt: skip
    if odd:
        lines.append(f"Byzantine or poisoning nodes (set in their config.toml): {', '.join(odd)}")
    lines.extend(_unapplied(manifest))
    return lines


def _unapplied(manifest: Manifest) -> list[str]:
    steps = [
        f"  {p.action.value} {p.node} at {p.at_s:g}s for {p.duration_s:g}s"
        for p in manifest.perturbations
    ] + [
        f"  partition {' | '.join(','.join(g) for g in p.groups)} "
        f"from {p.at_s:g}s to {p.heal_at_s:g}s"
        for p in manifest.partitions
    ]
    if not steps:
        return []
    return ["Not applied by compose (use `deltachain sim run` for these):", *steps]
