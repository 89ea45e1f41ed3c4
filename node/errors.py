"""The node package's exceptions: one base class, one subclass per kind of fault."""

from __future__ import annotations


class NodeError(Exception):
    """Base class of every error raised by the node package."""


class StorageError(NodeError):
    """Persistent data is missing, corrupt or inconsistent with what was expected."""


class DoubleSignError(NodeError):
    """The signer refused to sign: it would contradict something it already signed."""


class ConfigError(NodeError):
    """A configuration file, value or command-line argument is invalid."""


class PortInUseError(ConfigError):
    """A listening port (p2p or API) is already taken by another process."""
