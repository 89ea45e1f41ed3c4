"""The byzantine package's exceptions."""

from __future__ import annotations

from node.errors import ConfigError, NodeError


class ByzantineError(NodeError):
    """Base class of every error raised by ``node.byzantine``."""


class UnknownRoleError(ByzantineError, ConfigError):
    """A Byzantine role or attack name that this node does not implement."""


class MissingKeyError(ByzantineError, ConfigError):
    """A Byzantine role needs the node's key (it signs), and the node has none."""
