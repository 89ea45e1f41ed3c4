"""One transaction: where it is final, who sent it, what it does, whether its signature holds."""

from __future__ import annotations

from collections.abc import Mapping

from consensus.transactions import (
    Bond,
    CreateTask,
    DoubleSignEvidence,
    ModelDelta,
    RegisterCandidate,
    SignedTransaction,
    Transfer,
    TxBody,
    Unbond,
    VoteCandidates,
)
from node.api.dashboard import fmt
from node.api.dashboard.html import Html, definitions, link, tag
from node.api.dashboard.layout import respond_page
from node.api.dashboard.source import open_source
from node.api.errors import NotFoundError
from node.api.request import Call, Response


def describe_body(stx: SignedTransaction, monikers: Mapping[bytes, str]) -> Html:
    """One line saying what the transaction does."""
    body = stx.tx.body
    if isinstance(body, Transfer):
        return tag(
            "span", f"{fmt.amount(body.amount)} to ", fmt.address_link(body.recipient, monikers)
        )
    if isinstance(body, Bond | Unbond):
        return tag("span", f"{type(body).__name__.lower()} {fmt.amount(body.amount)}")
    if isinstance(body, RegisterCandidate):
        return tag("span", "candidate ", tag("span", body.moniker, class_="moniker"))
    if isinstance(body, VoteCandidates):
        names = [fmt.address_link(c, monikers) for c in body.candidates]
        return tag("span", "votes for ", _joined(names) if names else "nobody")
    if isinstance(body, ModelDelta):
        return tag(
            "span",
            link(f"/ui/tasks/{body.task_id}", f"task {body.task_id}"),
            f": delta on version {body.base_version}, {body.num_samples:,} samples, "
            f"{body.payload_size:,} bytes",
        )
    return _describe_other(body, monikers)


def _describe_other(body: TxBody, monikers: Mapping[bytes, str]) -> Html:
    if isinstance(body, CreateTask):
        return tag(
            "span",
            f"new task: {body.model_id}, rule {describe_rule(body)}, "
            f"pool {fmt.amount(body.reward_pool)}",
        )
    if isinstance(body, DoubleSignEvidence):
        offender = body.vote_a.vote.validator
        return tag("span", "double-sign evidence against ", fmt.address_link(offender, monikers))
    return tag("span", type(body).__name__)


def describe_rule(spec: CreateTask) -> str:
    """The aggregation rule and its parameters, e.g. ``trimmed_mean (beta=0.1)``."""
    rule = str(spec.aggregation.get("rule", "?"))
    extra = ", ".join(f"{k}={v}" for k, v in sorted(spec.aggregation.items()) if k != "rule")
    return f"{rule} ({extra})" if extra else rule


def _joined(parts: list[Html]) -> Html:
    return Html(", ".join(parts))


async def get_tx(call: Call) -> Response:
    tx_hash: bytes = call.params["hash"]
    found = call.view.find_transaction(tx_hash)
    if found is None:
        raise NotFoundError(f"transaction {tx_hash.hex()} is not in a final block of this node")
    location, stx = found
    src = open_source(call.view)
    tx = stx.tx
    fields = definitions(
        (
            ("hash", fmt.full_hex(stx.hash)),
            ("final in block", fmt.block_link(location.height)),
            ("position", str(location.position)),
            ("kind", type(tx.body).__name__),
            ("what", describe_body(stx, src.monikers)),
            ("sender", fmt.address_link(tx.sender, src.monikers, full=True)),
            ("nonce", str(tx.nonce)),
            ("fee", fmt.amount(tx.fee)),
            ("signature", fmt.full_hex(stx.signature)),
            ("signature check", fmt.mark(stx.is_signature_valid())),
        )
    )
    content = (tag("h1", "Transaction"), tag("section", fields, class_="panel"))
    return respond_page(call, "Transaction", content)
