"""What the runner accumulates while a run goes on: blocks per node, model versions, samples.

Final blocks never change, so each node's blocks are fetched once, in height order, a bounded
number per poll; at the end of a run :meth:`BlockLog.catch_up` fills the rest so that every
height of every node is compared.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from node.scenario.observe import BlockRow, Fetch, ModelRow, fetch_block
from node.scenario.report import FinalityPoint, VersionPoint


@dataclass
class BlockLog:
    """One node's final blocks by height (1, 2, ... without gaps)."""

    blocks: dict[int, BlockRow] = field(default_factory=dict)

    @property
    def height(self) -> int:
        return len(self.blocks)

    def catch_up(self, fetch: Fetch, height: int, limit: int | None = None) -> int:
        """Fetch the blocks above the ones held up to ``height`` (at most ``limit``); the
        number fetched. Stops at the first height the node does not serve."""
        fetched = 0
        while self.height < height and (limit is None or fetched < limit):
            row = fetch_block(fetch, self.height + 1)
            if row is None:
                break
            self.blocks[row.height] = row
            fetched += 1
        return fetched

    def hashes(self) -> dict[int, str]:
        return {h: row.hash for h, row in self.blocks.items()}


@dataclass
class VersionLog:
    """Model versions as first seen (time since the run started) and their accuracy."""

    points: dict[int, VersionPoint] = field(default_factory=dict)

    def update(self, rows: list[ModelRow], t_s: float) -> None:
        for row in rows:
            known = self.points.get(row.version)
            if known is None:
                self.points[row.version] = VersionPoint(row.version, row.height, t_s, row.accuracy)
            elif known.accuracy is None and row.accuracy is not None:
                self.points[row.version] = VersionPoint(
                    row.version, known.height, known.t_s, row.accuracy
                )

    def ordered(self) -> list[VersionPoint]:
        return [self.points[v] for v in sorted(self.points)]

    def first_reaching(self, target: float) -> VersionPoint | None:
        return next(
            (p for p in self.ordered() if p.accuracy is not None and p.accuracy >= target), None
        )


def compute_finality_points(
    blocks: dict[int, BlockRow], start_wall_ms: int, commit_timeout_ms: int
) -> list[FinalityPoint]:
    """Finality latency per height, from block headers on one node.

    The next height's round-0 proposer proposes ``commit_timeout_ms`` after it saw height ``h``
    final, so ``time(h + 1) - time(h) - commit_timeout`` is the proposal-to-final latency of
    ``h`` on that proposer's clock (all nodes share this machine's clock). A height whose
    successor needed more rounds is left out: its gap includes the failed rounds.
    """
    points = []
    for height in sorted(blocks):
        following = blocks.get(height + 1)
        if following is None or following.round != 0:
            continue
        block = blocks[height]
        latency = following.time_ms - block.time_ms - commit_timeout_ms
        t_s = (block.time_ms - start_wall_ms) / 1000
        points.append(FinalityPoint(round(t_s, 3), height, float(max(0, latency))))
    return points


def compute_rounds_per_height(blocks: dict[int, BlockRow]) -> float | None:
    """Mean number of rounds a height took (1.0: every block decided in round 0)."""
    if not blocks:
        return None
    return sum(row.round + 1 for row in blocks.values()) / len(blocks)
