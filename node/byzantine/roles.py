"""The names a node's configuration may give its Byzantine role and its poisoning attack."""

from __future__ import annotations

import enum
from typing import Final


class Role(enum.Enum):
    """``[byzantine] role``: how a node deviates from the protocol (``""``: it does not)."""

    HONEST = ""
    DOUBLE_SIGNER = "double_signer"
    """Signs a second, conflicting prevote or precommit for every vote it signs."""
    EQUIVOCATING_PROPOSER = "equivocating_proposer"
    """Signs and publishes two different blocks for every round it proposes."""
    WITHHOLDER = "withholder"
    """Announces its model deltas but never serves their payloads."""
    SPAMMER = "spammer"
    """Floods the transaction topic with invalid transactions."""


ROLES: Final = tuple(role.value for role in Role)

ATTACKS: Final = ("", "label_flip", "sign_flip", "scaled", "alie")
"""``[training] attack``: model poisoning by the node's trainer (``""``: none)."""

MAX_SPAM_PER_S: Final = 10_000.0
"""Upper bound of ``[byzantine] spam_per_s`` (one trio task cannot send much faster)."""
