"""Checks of option values at the moment they are given: a value outside its choices exits 2
and lists the valid ones, instead of failing later inside a node's log."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import get_args

from node.cli.common import ExitCode, fail


def validate_choice(option: str, value: str, choices: Iterable[str]) -> None:
    """Exit 2 unless ``value`` is one of ``choices`` (named in the message)."""
    valid = tuple(choices)
    if value not in valid:
        fail(f"{option} must be one of {', '.join(valid)}; got {value!r}", ExitCode.USAGE)


def validate_positive(option: str, value: float) -> None:
    """Exit 2 unless ``value`` is a finite number above 0."""
    if not (math.isfinite(value) and value > 0):
        fail(f"{option} must be a number above 0, got {value!r}", ExitCode.USAGE)


def validate_rule(rule: str) -> None:
    """Exit 2 unless ``rule`` is an aggregation rule (``tx create-task``, ``task create``)."""
    from ml.aggregation.spec import RULES

    validate_choice("--rule", rule, RULES)


def validate_model(model: str) -> None:
    """Exit 2 unless ``model`` is a catalog model id."""
    from ml.models import list_model_ids

    validate_choice("--model", model, list_model_ids())


def validate_testnet_options(model: str, rule: str, partition: str, alpha: float) -> None:
    """What ``testnet create`` checks before it writes anything."""
    from ml.aggregation.spec import RULES
    from ml.data.partition import Scheme
    from ml.models import list_model_ids

    validate_choice("--model", model, list_model_ids())
    validate_choice("--rule", rule, RULES)
    validate_choice("--partition", partition, get_args(Scheme))
    validate_positive("--alpha", alpha)
