"""When a node starts the next height: at once, or only when there is something to decide.

With ``create_empty_blocks`` off (CometBFT's setting of the same name, node-local, not a chain
rule), a node that finished a height waits after ``timeout_commit`` until one of these happens:

- its mempool holds a transaction other than a model delta (a transfer, evidence), or deltas
  trained on a task's current version that make it ready for the next (``min_deltas``);
- deltas that make a task ready only with older ones counted have waited
  ``fresh_deltas_wait_s`` for deltas of the current version (which the trainers publish the
  moment they derive it: without the wait a block takes the late deltas of the version before
  and hardly ever a fresh one, and the chain needs more versions to learn as much);
- its mempool has held deltas for ``delta_batch_window_s`` (they go in even if short);
- a proposal or vote of the next height arrives (another node had something to propose);
- ``empty_blocks_interval_s`` has passed since the height was decided.

So blocks are not produced empty and back to back while nothing is pending, and the chain
still makes an (empty) block every interval: it stays live, downtime is still counted on every
block, and a node that was down catches up as before. Consensus itself is unchanged: this only
delays delivering the commit timeout, which each node may do as it likes.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_EMPTY_BLOCKS_INTERVAL_S = 1.0
DEFAULT_DELTA_BATCH_WINDOW_S = 0.25
DEFAULT_FRESH_DELTAS_WAIT_S = 0.1


@dataclass(frozen=True)
class BlockPacing:
    """``create_empty_blocks``: start each height right after ``timeout_commit`` (the chain
    makes blocks back to back, empty or not); off: wait for work or the interval."""

    create_empty_blocks: bool = True
    empty_blocks_interval_s: float = DEFAULT_EMPTY_BLOCKS_INTERVAL_S
    delta_batch_window_s: float = DEFAULT_DELTA_BATCH_WINDOW_S
    fresh_deltas_wait_s: float = DEFAULT_FRESH_DELTAS_WAIT_S
