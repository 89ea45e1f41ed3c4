"""One canonical encoding for everything the chain signs, hashes, stores or sends.

Values are frozen dataclasses whose fields are annotated with plain types (optionally refined
with the markers below). A dataclass encodes as a CBOR array of its fields in declaration order;
a dataclass with a ``TAG`` class variable encodes as ``[TAG, [fields...]]`` so that unions of
message kinds are unambiguous. Encoding is RFC 8949 deterministic (canonical) CBOR.

Decoding is strict: the bytes must be within the size limit, well-formed, canonical (re-encoding
gives the same bytes, so no two encodings of one value exist) and of exactly the declared shape.
Anything else raises :class:`DecodeError` and nothing else.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import math
import types
import typing
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Final, TypeVar, Union, get_args, get_origin, get_type_hints

import cbor2

from consensus.errors import ConsensusError, DecodeError

T = TypeVar("T")
Decoder = Callable[[Any], Any]

DEFAULT_MAX_MESSAGE_BYTES: Final = 1 << 20
DEFAULT_MAX_BYTES: Final = 1 << 20
DEFAULT_MAX_STR: Final = 1024
DEFAULT_MAX_ITEMS: Final = 100_000


@dataclasses.dataclass(frozen=True)
class FixedSize:
    """Marker: a bytes field of exactly ``size`` bytes."""

    size: int


@dataclasses.dataclass(frozen=True)
class MaxLen:
    """Marker: a bytes, str, tuple or mapping field of at most ``size`` bytes/chars/items."""

    size: int


@dataclasses.dataclass(frozen=True)
class IntRange:
    """Marker: an int field within ``[lo, hi]``."""

    lo: int
    hi: int


# ---------------------------------------------------------------------------------------------
# Encoding


_PLAIN_TYPES: Final = frozenset({int, str, bytes, float, bool, type(None)})
"""Types whose values are their own plain form (exactly these: an IntEnum is converted)."""


def to_obj(value: Any) -> Any:
    """Turn a value built from dataclasses, tuples, mappings and scalars into plain CBOR data."""
    cls = type(value)
    if cls in _PLAIN_TYPES:
        return value
    if cls is tuple or cls is list:
        return [to_obj(v) for v in value]
    shape = _dataclass_shape(cls)
    if shape is not None:
        names, tag = shape
        fields = [to_obj(getattr(value, name)) for name in names]
        return fields if tag is None else [tag, fields]
    if isinstance(value, enum.IntEnum):
        return int(value)
    if isinstance(value, tuple | list):
        return [to_obj(v) for v in value]
    if isinstance(value, Mapping):
        return {k: to_obj(v) for k, v in value.items()}
    return value


_Shape = tuple[tuple[str, ...], Any] | None
_shapes: dict[type, _Shape] = {}


def _dataclass_shape(cls: type) -> _Shape:
    """A dataclass's field names in declaration order and its ``TAG`` (None when it has none);
    None for any other class. Looked up once per class: encoding is on every hot path."""
    if cls in _shapes:
        return _shapes[cls]
    shape: _Shape = None
    if dataclasses.is_dataclass(cls):
        shape = tuple(f.name for f in dataclasses.fields(cls)), getattr(cls, "TAG", None)
    _shapes[cls] = shape
    return shape


def encode(value: Any) -> bytes:
    """The canonical CBOR bytes of ``value``."""
    return cbor2.dumps(to_obj(value), canonical=True)


# ---------------------------------------------------------------------------------------------
# Decoding


def decode(cls: type[T], data: bytes, max_size: int = DEFAULT_MAX_MESSAGE_BYTES) -> T:
    """Decode untrusted ``data`` as a ``cls`` value, strictly; raise :class:`DecodeError`."""
    return from_obj(cls, decode_plain(data, max_size))


def decode_plain(data: bytes, max_size: int = DEFAULT_MAX_MESSAGE_BYTES) -> Any:
    """Decode untrusted ``data`` as plain, canonical CBOR data; raise :class:`DecodeError`."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise DecodeError(f"expected bytes, got {type(data).__name__}")
    data = bytes(data)
    if len(data) > max_size:
        raise DecodeError(f"{len(data)} bytes exceeds the limit of {max_size}")
    try:
        obj = cbor2.loads(data)
    except Exception as exc:  # cbor2 raises many types on malformed input
        raise DecodeError(f"malformed CBOR: {exc}") from None
    validate_plain(obj)
    try:
        canonical = cbor2.dumps(obj, canonical=True)
    except Exception as exc:
        raise DecodeError(f"unencodable CBOR value: {exc}") from None
    if canonical != data:
        raise DecodeError("non-canonical CBOR encoding")
    return obj


_SCALARS = (int, str, bytes, float, type(None))
_SCALAR_TYPES = frozenset({str, bytes, float, bool, type(None)})
_INT_LOW, _INT_HIGH = -(2**64), 2**64
PLAIN_MAX_ITEMS = 1 << 20


def validate_plain(obj: Any) -> None:
    """Raise DecodeError unless ``obj`` is plain data as :func:`encode` writes it: integers in
    CBOR's 64-bit range, strings, bytes, floats, booleans, null, arrays, and maps whose keys are
    scalars or flat arrays of scalars.

    cbor2 also decodes tagged values (big numbers, decimals, bigfloats, dates, regular
    expressions, ...) and maps as map keys. None of our values has them, and they are costly
    to handle: a bigfloat of a few bytes took 20 s to print in an error message, and maps
    nested as map keys made the canonical re-encoding exponential (both found by fuzzing).
    """
    pending, seen = [obj], 1
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind is list or kind is dict:
            children = item.values() if kind is dict else item
            if kind is dict:
                _validate_keys(item)
            seen += len(children)
            if seen > PLAIN_MAX_ITEMS:
                raise DecodeError(f"more than {PLAIN_MAX_ITEMS} CBOR items")
            for child in children:
                child_kind = type(child)
                if child_kind is int:
                    _validate_int(child)
                elif child_kind not in _SCALAR_TYPES:
                    pending.append(child)
        elif kind is int:
            _validate_int(item)
        elif kind not in _SCALAR_TYPES:
            raise DecodeError(f"CBOR value of type {kind.__name__} is not plain data")


def _validate_int(value: int) -> None:
    if not _INT_LOW <= value < _INT_HIGH:
        raise DecodeError("integer outside CBOR's 64-bit range (a bignum tag)")


def _validate_keys(mapping: dict[Any, Any]) -> None:
    for key in mapping:
        if isinstance(key, _SCALARS):
            continue
        if isinstance(key, tuple) and all(isinstance(part, _SCALARS) for part in key):
            continue
        raise DecodeError(f"map key of type {type(key).__name__} is not a scalar")


def from_obj(cls: type[T], obj: Any) -> T:
    """Build a ``cls`` value from plain CBOR data, checking its shape; raise DecodeError."""
    try:
        return typing.cast(T, decoder_for(cls)(obj))
    except DecodeError:
        raise
    except (ValueError, RecursionError) as exc:  # invariants checked in __post_init__
        raise DecodeError(f"invalid {getattr(cls, '__name__', cls)}: {exc}") from None


def decoder_for(tp: Any) -> Decoder:
    """A function that checks and converts plain data into a value of type ``tp`` (cached)."""
    return _cached_decoder(tp)


@functools.cache
def _cached_decoder(tp: Any) -> Decoder:
    meta: tuple[Any, ...] = ()
    if get_origin(tp) is Annotated:
        tp, *extras = get_args(tp)
        meta = tuple(extras)
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        return _union_decoder(get_args(tp))
    if origin is tuple:
        return _tuple_decoder(get_args(tp), meta)
    if origin in (Mapping, dict) or tp is Mapping:
        key_type, value_type = get_args(tp)
        return _mapping_decoder(key_type, value_type, meta)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _dataclass_decoder(tp)
    if isinstance(tp, type) and issubclass(tp, enum.IntEnum):
        return _enum_decoder(tp)
    return _scalar_decoder(tp, meta)


def _fail(expected: str, obj: Any) -> typing.NoReturn:
    raise DecodeError(f"expected {expected}, got {type(obj).__name__}")


def _limit(meta: tuple[Any, ...], default: int) -> int:
    return next((m.size for m in meta if isinstance(m, MaxLen)), default)


def _scalar_decoder(tp: Any, meta: tuple[Any, ...]) -> Decoder:
    if tp is bytes:
        fixed = next((m.size for m in meta if isinstance(m, FixedSize)), None)
        most = _limit(meta, DEFAULT_MAX_BYTES)
        return functools.partial(_decode_bytes, fixed, most)
    if tp is str:
        return functools.partial(_decode_str, _limit(meta, DEFAULT_MAX_STR))
    if tp is bool:
        return _decode_bool
    if tp is int:
        bounds = next((m for m in meta if isinstance(m, IntRange)), IntRange(-(2**63), 2**64 - 1))
        return functools.partial(_decode_int, bounds)
    if tp is float:
        return _decode_float
    if tp is type(None):
        return _decode_none
    raise TypeError(f"no decoder for {tp!r}")


def _decode_bytes(fixed: int | None, most: int, obj: Any) -> bytes:
    if not isinstance(obj, bytes):
        _fail("bytes", obj)
    if fixed is not None and len(obj) != fixed:
        raise DecodeError(f"expected {fixed} bytes, got {len(obj)}")
    if len(obj) > most:
        raise DecodeError(f"{len(obj)} bytes exceeds the field limit of {most}")
    return obj


def _decode_str(most: int, obj: Any) -> str:
    if not isinstance(obj, str):
        _fail("text", obj)
    if len(obj) > most:
        raise DecodeError(f"text of {len(obj)} chars exceeds the field limit of {most}")
    return obj


def _decode_bool(obj: Any) -> bool:
    if not isinstance(obj, bool):
        _fail("bool", obj)
    return obj


def _decode_int(bounds: IntRange, obj: Any) -> int:
    if not isinstance(obj, int) or isinstance(obj, bool):
        _fail("int", obj)
    if not bounds.lo <= obj <= bounds.hi:
        raise DecodeError(f"integer {obj} outside [{bounds.lo}, {bounds.hi}]")
    return obj


def _decode_float(obj: Any) -> float:
    if not isinstance(obj, float) or not math.isfinite(obj):
        _fail("finite float", obj)
    return obj


def _decode_none(obj: Any) -> None:
    if obj is not None:
        _fail("null", obj)


def _union_decoder(options: tuple[Any, ...]) -> Decoder:
    tagged: dict[int, Any] = {o.TAG: o for o in options if hasattr(o, "TAG")}
    if tagged:
        by_tag = {tag: decoder_for(o) for tag, o in tagged.items()}
        others = [decoder_for(o) for o in options if o not in tagged.values()]
        return functools.partial(_decode_tagged_union, by_tag, others)
    return functools.partial(_decode_first_match, [decoder_for(o) for o in options])


def _decode_tagged_union(by_tag: dict[int, Decoder], others: list[Decoder], obj: Any) -> Any:
    if isinstance(obj, list) and len(obj) == 2 and isinstance(obj[0], int):
        decoder = by_tag.get(obj[0])
        if decoder is not None:
            return decoder(obj)
    return _decode_first_match(others, obj) if others else _fail("tagged value", obj)


def _decode_first_match(decoders: list[Decoder], obj: Any) -> Any:
    for decoder in decoders:
        try:
            return decoder(obj)
        except DecodeError:
            continue
    raise DecodeError(f"value of type {type(obj).__name__} matches no allowed type")


def _tuple_decoder(args: tuple[Any, ...], meta: tuple[Any, ...]) -> Decoder:
    if len(args) == 2 and args[1] is Ellipsis:
        item = decoder_for(args[0])
        return functools.partial(_decode_homogeneous, item, _limit(meta, DEFAULT_MAX_ITEMS))
    return functools.partial(_decode_fixed_tuple, [decoder_for(a) for a in args])


def _decode_homogeneous(item: Decoder, most: int, obj: Any) -> tuple[Any, ...]:
    if not isinstance(obj, list):
        _fail("array", obj)
    if len(obj) > most:
        raise DecodeError(f"array of {len(obj)} items exceeds the limit of {most}")
    return tuple(item(v) for v in obj)


def _decode_fixed_tuple(items: list[Decoder], obj: Any) -> tuple[Any, ...]:
    if not isinstance(obj, list) or len(obj) != len(items):
        _fail(f"array of {len(items)}", obj)
    return tuple(d(v) for d, v in zip(items, obj, strict=True))


def _mapping_decoder(key_type: Any, value_type: Any, meta: tuple[Any, ...]) -> Decoder:
    keys, values = decoder_for(key_type), decoder_for(value_type)
    return functools.partial(_decode_mapping, keys, values, _limit(meta, DEFAULT_MAX_ITEMS))


def _decode_mapping(keys: Decoder, values: Decoder, most: int, obj: Any) -> dict[Any, Any]:
    if not isinstance(obj, dict):
        _fail("map", obj)
    if len(obj) > most:
        raise DecodeError(f"map of {len(obj)} entries exceeds the limit of {most}")
    return {keys(k): values(v) for k, v in obj.items()}


def _enum_decoder(tp: type[enum.IntEnum]) -> Decoder:
    return functools.partial(_decode_enum, tp)


def _decode_enum(tp: type[enum.IntEnum], obj: Any) -> enum.IntEnum:
    if not isinstance(obj, int) or isinstance(obj, bool):
        _fail(tp.__name__, obj)
    try:
        return tp(obj)
    except ValueError:
        raise DecodeError(f"{obj} is not a valid {tp.__name__}") from None


def _dataclass_decoder(cls: type[Any]) -> Decoder:
    hints = get_type_hints(cls, include_extras=True)
    fields = [(f.name, decoder_for(hints[f.name])) for f in dataclasses.fields(cls)]
    tag = getattr(cls, "TAG", None)
    return functools.partial(_decode_dataclass, cls, tag, fields)


def _decode_dataclass(
    cls: type[Any], tag: int | None, fields: list[tuple[str, Decoder]], obj: Any
) -> Any:
    if tag is not None:
        if not isinstance(obj, list) or len(obj) != 2 or obj[0] != tag:
            _fail(f"[{tag}, fields] for {cls.__name__}", obj)
        obj = obj[1]
    if not isinstance(obj, list) or len(obj) != len(fields):
        _fail(f"array of {len(fields)} fields for {cls.__name__}", obj)
    values = {name: decode_field(v) for (name, decode_field), v in zip(fields, obj, strict=True)}
    try:
        return cls(**values)
    except (ConsensusError, ValueError, TypeError) as exc:  # the type's own checks refused it
        raise DecodeError(f"invalid {cls.__name__}: {exc}") from None
