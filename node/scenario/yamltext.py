"""A small, deterministic YAML emitter for the data a compose file holds.

Mappings with string keys, sequences, strings, integers, floats, booleans and None; every string
value is double-quoted (so ``"no"``, ``"8600:8545"`` or ``"1.0"`` stay strings in every YAML
reader), keys are written bare when that is unambiguous. Mapping order is kept as given, so the
same data always gives the same text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from node.scenario.errors import ScenarioError

INDENT = "  "
FLOW_WIDTH = 96
"""Sequences of scalars are written in flow style (``[a, b]``) when the line stays this short."""
_BARE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_RESERVED = frozenset(("y", "n", "yes", "no", "true", "false", "on", "off", "null", "~"))
"""Keys a YAML 1.1 reader would turn into booleans or None."""


class YamlError(ScenarioError):
    """A value cannot be written as YAML (unsupported type, non-finite float, bad text)."""


def dump_yaml(data: Mapping[str, Any], *, comments: Iterable[str] = ()) -> str:
    """``data`` as a YAML document, preceded by ``comments`` (one ``#`` line each)."""
    lines = [_comment(text) for text in comments]
    lines.extend(_mapping_lines(data, 0))
    return "\n".join(lines) + "\n"


def quote(text: str) -> str:
    """``text`` as a double-quoted YAML scalar (printable ASCII kept, everything else escaped)."""
    out = ['"']
    for char in text:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif 0x20 <= code < 0x7F:
            out.append(char)
        elif 0xD800 <= code <= 0xDFFF:
            raise YamlError(f"text holds a lone surrogate: {text!r}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def _comment(text: str) -> str:
    if "\n" in text or "\r" in text:
        raise YamlError(f"a comment must be one line: {text!r}")
    return f"# {text}".rstrip()


def _key(key: object) -> str:
    if not isinstance(key, str):
        raise YamlError(f"mapping keys must be strings, got {key!r}")
    if _BARE_KEY.match(key) and key.lower() not in _RESERVED:
        return key
    return quote(key)


def _scalar(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise YamlError(f"cannot write the float {value!r}")
        text = repr(value)
        mantissa, _, exponent = text.partition("e")
        if exponent and "." not in mantissa:  # YAML 1.1 reads "1e+300" as a string
            return f"{mantissa}.0e{exponent}"
        return text
    if isinstance(value, str):
        return quote(value)
    raise YamlError(f"cannot write a {type(value).__name__} as YAML: {value!r}")


def _is_collection(value: object) -> bool:
    return isinstance(value, Mapping) or (
        isinstance(value, Sequence) and not isinstance(value, str | bytes)
    )


def _mapping_lines(data: Mapping[str, Any], depth: int) -> list[str]:
    if not isinstance(data, Mapping):
        raise YamlError(f"expected a mapping, got {data!r}")
    pad = INDENT * depth
    lines = []
    for key, value in data.items():
        flow = _flow(value)
        if flow is not None and len(pad) + len(str(key)) + len(flow) <= FLOW_WIDTH:
            lines.append(f"{pad}{_key(key)}: {flow}")
        elif _is_collection(value) and value:
            lines.append(f"{pad}{_key(key)}:")
            lines.extend(_block_lines(value, depth + 1))
        else:
            lines.append(f"{pad}{_key(key)}: {_inline(value)}")
    return lines


def _sequence_lines(items: Sequence[Any], depth: int) -> list[str]:
    pad = INDENT * depth
    lines = []
    for item in items:
        flow = _flow(item)
        if flow is not None and len(pad) + len(flow) <= FLOW_WIDTH:
            lines.append(f"{pad}- {flow}")
        elif _is_collection(item) and item:
            nested = _block_lines(item, depth + 1)
            lines.append(f"{pad}- {nested[0].lstrip()}")
            lines.extend(nested[1:])
        else:
            lines.append(f"{pad}- {_inline(item)}")
    return lines


def _block_lines(value: Any, depth: int) -> list[str]:
    if isinstance(value, Mapping):
        return _mapping_lines(value, depth)
    return _sequence_lines(value, depth)


def _flow(value: object) -> str | None:
    """A non-empty sequence of scalars as ``["a", 1]``; None for anything else."""
    if isinstance(value, Mapping) or not _is_collection(value) or not value:
        return None
    items = list(value)  # type: ignore[call-overload]
    if any(_is_collection(item) for item in items):
        return None
    return "[" + ", ".join(_scalar(item) for item in items) + "]"


def _inline(value: object) -> str:
    """A scalar, or an empty collection in flow style."""
    if isinstance(value, Mapping):
        return "{}"
    if _is_collection(value):
        return "[]"
    return _scalar(value)
