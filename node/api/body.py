"""Reading a submitted transaction from a request body: raw CBOR or ``{"tx": "<hex>"}``."""

from __future__ import annotations

import json
import string

from node.api.errors import BadRequestError, UnsupportedMediaTypeError
from node.api.request import CBOR_TYPE, JSON_TYPE, Request


def read_tx_bytes(request: Request) -> bytes:
    """The transaction's canonical CBOR bytes from the body; raise on any other shape."""
    if request.content_type == CBOR_TYPE:
        if not request.body:
            raise BadRequestError("empty body: expected a CBOR SignedTransaction")
        return request.body
    if request.content_type == JSON_TYPE:
        return _read_json_tx(request.body)
    shown = request.content_type or "none"
    raise UnsupportedMediaTypeError(
        f"content type {shown!r} not accepted: send {CBOR_TYPE} or {JSON_TYPE}"
    )


def _read_json_tx(body: bytes) -> bytes:
    try:
        obj = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BadRequestError(f"body is not JSON: {exc}") from None
    if not isinstance(obj, dict) or set(obj) != {"tx"} or not isinstance(obj["tx"], str):
        raise BadRequestError('expected a JSON object {"tx": "<hex of the CBOR transaction>"}')
    return parse_hex(obj["tx"], "tx")


def parse_hex(text: str, what: str, size: int | None = None) -> bytes:
    """Lowercase or uppercase hex without prefix; ``size`` in bytes when fixed."""
    if text.startswith(("0x", "0X")):
        text = text[2:]
    if len(text) % 2 or not all(c in string.hexdigits for c in text):
        raise BadRequestError(f"{what} must be an even number of hex digits")
    value = bytes.fromhex(text)
    if size is not None and len(value) != size:
        raise BadRequestError(f"{what} must be {size} bytes ({2 * size} hex digits)")
    return value
