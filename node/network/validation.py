"""Inbound gossip judgement shared by both implementations: size, validator, scoring."""

import logging

from node.network.guard import PeerGuard
from node.network.peer_metrics import IgnoreReason
from node.network.scoring import Offence
from node.network.values import PeerId, Validator, Verdict

logger = logging.getLogger(__name__)


def judge_gossip(
    guard: PeerGuard,
    *,
    forwarder: PeerId,
    topic: str,
    data: bytes,
    validator: Validator,
    max_bytes: int,
) -> Verdict:
    """Decide one inbound message and score the forwarder for a rejection.

    Oversized data is rejected before the validator sees it. A validator that raises is
    treated as IGNORE (our bug, not the peer's) and logged with its traceback. Messages
    forwarded by a blocked peer are ignored unseen (the link is being closed).
    """
    if guard.is_blocked(forwarder):
        guard.note_ignored(IgnoreReason.BLOCKED_PEER)
        return Verdict.IGNORE
    if len(data) > max_bytes:
        guard.penalize(forwarder, Offence.OVERSIZED_MESSAGE)
        return Verdict.REJECT
    try:
        verdict = validator(forwarder, data)
    except Exception:
        logger.exception("topic validator raised topic=%s peer=%s", topic, forwarder)
        guard.note_ignored(IgnoreReason.VALIDATOR_ERROR)
        return Verdict.IGNORE
    if verdict is Verdict.REJECT:
        guard.penalize(forwarder, Offence.REJECTED_MESSAGE)
    elif verdict is Verdict.IGNORE:
        guard.note_ignored(IgnoreReason.VALIDATOR)
    return verdict
