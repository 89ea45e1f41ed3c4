"""Build a node's Byzantine role from its configuration (``None`` for an honest node)."""

from __future__ import annotations

import logging

from consensus.crypto import KeyPair
from node.byzantine.base import Misbehaviour
from node.byzantine.double_signer import DoubleSigner
from node.byzantine.equivocator import EquivocatingProposer
from node.byzantine.errors import MissingKeyError, UnknownRoleError
from node.byzantine.roles import Role
from node.byzantine.settings import ByzantineConfig
from node.byzantine.spammer import Spammer
from node.byzantine.withholder import Withholder

logger = logging.getLogger(__name__)


def make_misbehaviour(
    config: ByzantineConfig, key: KeyPair | None, chain_id: str
) -> Misbehaviour | None:
    """The role ``config`` names; None when it names none (the honest node)."""
    try:
        role = Role(config.role)
    except ValueError:
        raise UnknownRoleError(f"unknown byzantine role {config.role!r}") from None
    if role is Role.HONEST:
        return None
    if key is None:
        raise MissingKeyError(f"byzantine role {role.value!r} needs the node's key")
    logger.warning("BYZANTINE role=%s: this node misbehaves on purpose", role.value)
    if role is Role.SPAMMER:
        return Spammer(key, chain_id, config.spam_per_s)
    roles: dict[Role, type[Misbehaviour]] = {
        Role.DOUBLE_SIGNER: DoubleSigner,
        Role.EQUIVOCATING_PROPOSER: EquivocatingProposer,
        Role.WITHHOLDER: Withholder,
    }
    return roles[role](key, chain_id)
