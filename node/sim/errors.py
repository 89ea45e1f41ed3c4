"""The simulator's exceptions: one base class, one subclass per kind of fault."""

from __future__ import annotations


class SimError(Exception):
    """Base class of every error raised by ``node.sim``."""


class SimConfigError(SimError):
    """A simulation setting is out of range or inconsistent (sizes, rates, Byzantine count)."""


class PartitionSpecError(SimConfigError):
    """A partition schedule string such as ``"1000:5000:0-3|4-6"`` cannot be parsed."""


class DoubleSignRefusedError(SimError):
    """An honest signer was asked to sign a second, different message for one (h, r, step).

    The simulator records this as an invariant violation: the engine asked for a double sign.
    """


class UnsupportedEffectError(SimError):
    """The engine emitted an effect the simulated network cannot carry out."""
