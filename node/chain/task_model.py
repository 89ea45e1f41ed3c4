"""A task's model as the chain sees it: the layout, the aggregation rule, admission checks.

An app task (``CreateTask.app``) carries its layout; deltas name it by the layout hash in hex.
An older task names a catalog model by ``model_id``. Either way this is all that validation,
aggregation, rewards and audit need: no node imports a task's app code to follow the chain.
"""

from __future__ import annotations

from collections.abc import Iterable

from consensus.errors import InvalidTransactionError
from consensus.ledger.transition import process_transaction
from consensus.state import ChainState
from consensus.transactions import CreateTask, LayoutTensor, SignedTransaction
from ml.aggregation.spec import AggregationSpec, spec_from_task
from ml.errors import LayoutError, MlError
from ml.layout import Layout, LayoutEntry
from ml.models import get_model_spec


def get_task_layout(spec: CreateTask) -> Layout:
    """The task's parameter layout; raises MlError when it is unusable or its hash is wrong."""
    if spec.app is None:
        return get_model_spec(spec.model_id).layout
    entries = tuple(LayoutEntry(t.name, tuple(t.shape)) for t in spec.app.layout)
    layout = Layout(spec.app.layout_hash.hex(), entries)
    if layout.layout_hash != spec.app.layout_hash:
        raise LayoutError("the task's layout_hash is not the hash of its layout")
    return layout


def to_layout_tensors(layout: Layout) -> tuple[LayoutTensor, ...]:
    """The chain's form of a layout (what a CreateTask carries)."""
    return tuple(LayoutTensor(e.name, e.shape) for e in layout.entries)


def compute_task_rule(spec: CreateTask) -> AggregationSpec:
    """The aggregation spec of a task, with its layout; raises MlError."""
    layout = get_task_layout(spec)
    return spec_from_task(
        layout.model_id, spec.aggregation, spec.clip_norm, spec.min_deltas, layout=layout
    )


def validate_task_admission(spec: CreateTask) -> None:
    """Raise MlError for a task that could never work: an unknown model, a bad layout, a rule
    the learning layer refuses or one that needs more deltas than ``min_deltas``."""
    compute_task_rule(spec).validate_feasible()


def validate_admissible(spec: CreateTask) -> None:
    """Raise InvalidTransactionError with the reason when admission refuses the task."""
    try:
        validate_task_admission(spec)
    except MlError as exc:
        raise InvalidTransactionError(f"impossible task: {exc}") from None


def validate_block_tasks(txs: Iterable[SignedTransaction]) -> None:
    """Raise InvalidTransactionError for the first new task in ``txs`` that admission refuses.

    The ledger alone would apply such a block and escrow the pool in a task that can never
    aggregate; an honest node does not prevote for it. The verdict is the mempool's, a pure
    function of the transaction, so every honest node reaches the same one.
    """
    for stx in txs:
        body = stx.tx.body
        if isinstance(body, CreateTask):
            validate_admissible(body)


def check_transaction(state: ChainState, stx: SignedTransaction) -> ChainState:
    """The mempool's check: the ledger's rules, and for a new task the learning layer's
    admission rules (an impossible task is refused with the reason)."""
    validate_block_tasks((stx,))
    return process_transaction(state, stx)
