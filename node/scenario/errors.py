"""The scenario package's exceptions."""

from __future__ import annotations

from node.errors import ConfigError, NodeError


class ScenarioError(NodeError):
    """Base class of every error raised by ``node.scenario``."""


class ManifestError(ScenarioError, ConfigError):
    """A scenario manifest is unreadable, has an unknown key or an inconsistent value."""
