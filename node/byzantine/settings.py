"""What a node's optional ``[byzantine]`` table says (parsed and checked by ``node.ops.config``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ByzantineConfig:
    """Deliberate misbehaviour for test networks (``node.byzantine``): off unless ``role``."""

    role: str = ""
    """One of ``node.byzantine.roles.ROLES``; ``""`` is an honest node."""
    spam_per_s: float = 20.0
    """Invalid transactions per second of the ``spammer`` role."""
