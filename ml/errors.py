"""The ml package's exceptions: one base class, one subclass per kind of fault."""

from __future__ import annotations


class MlError(Exception):
    """Base class of every error raised on purpose by the ml package."""


class UnknownModelError(MlError):
    """A model id that the catalog does not know."""


class WeightsError(MlError):
    """A weights vector or snapshot that does not fit the model (size, dtype, values, bytes)."""


class DataError(MlError):
    """Bad dataset or partition arguments (sizes, node index, alpha, seed), or a data file
    that cannot be used (missing label column, ragged rows, non-numeric features, empty)."""


class LayoutError(MlError):
    """A parameter layout that is malformed (names, shapes, size) or not the one expected."""


class AppError(MlError):
    """A learning app that cannot be used: bad app.toml, missing entry file or function, a
    model whose state does not fit the task's layout, or app code that raised."""


class BundleError(AppError):
    """App bundle bytes that are refused: not a zip archive, an unsafe or duplicate member
    name, a link, an oversized member, a compression bomb, or a missing app.toml."""


class CodecError(MlError):
    """Delta bytes that cannot be encoded or decoded: malformed, truncated, oversized,
    wrong shapes, non-finite values or a hash that does not match."""


class DeltaCheckError(MlError):
    """A decoded delta that may not count: wrong model, wrong shapes or non-finite values."""


class SpecError(MlError):
    """An aggregation spec (or its dict form) that is malformed or inconsistent."""


class InsufficientDeltasError(MlError):
    """Fewer valid deltas than the spec's minimum or the rule's requirement."""

    def __init__(self, valid: int, required: int) -> None:
        super().__init__(f"{valid} valid deltas, the rule needs at least {required}")
        self.valid = valid
        self.required = required


class PrivacyError(MlError):
    """Bad differential-privacy parameters (clip norm, noise multiplier, delta, orders)."""


class AttackError(MlError):
    """Bad arguments to an attack generator."""


class TrainingError(MlError):
    """Bad training job arguments, or a training run that failed."""


class WorkerError(MlError):
    """Misuse of the training worker handle (not started, busy, already closed)."""
