"""The request/response protocols, written once against :class:`ByteStream`.

``serve_request`` answers one inbound request from the shell's providers; the ``request_*``
functions run one exchange as the client. Both raise :class:`PeerFaultError` subclasses for
anything the remote peer got wrong, so the caller can score it.
"""

import logging

from node.network import codec
from node.network.codec import Code
from node.network.config import Limits
from node.network.errors import (
    HashMismatchError,
    MalformedFrameError,
    NotFoundError,
    RemoteError,
)
from node.network.framing import ByteStream, read_frame, write_frame
from node.network.values import ProtocolKind, Providers, Status, compute_blob_hash

logger = logging.getLogger(__name__)
_CBOR_LIST_OVERHEAD = 16


async def serve_request(
    stream: ByteStream, kind: ProtocolKind, providers: Providers, limits: Limits
) -> None:
    """Read one request, answer it and half-close. Raises PeerFaultError on a bad request."""
    frame = await read_frame(stream, limits.max_request_bytes, limits.io_timeout_s)
    response = compute_response(kind, frame, providers, limits)
    await write_frame(stream, response, limits.io_timeout_s)
    await stream.close()


def compute_response(
    kind: ProtocolKind, frame: bytes, providers: Providers, limits: Limits
) -> bytes:
    """The response frame for one request frame (raises MalformedFrameError on a bad request)."""
    if kind is ProtocolKind.BLOB:
        return _answer_blob(codec.decode_blob_request(frame), providers, limits)
    if kind is ProtocolKind.BLOCKS:
        return _answer_blocks(codec.decode_blocks_request(frame), providers, limits)
    codec.decode_status_request(frame)
    try:
        status = providers.status()
    except Exception:
        logger.exception("status provider failed")
        return codec.encode_response(Code.UNAVAILABLE)
    return codec.encode_response(Code.OK, codec.encode_status(status))


def _answer_blob(request: codec.BlobRequest, providers: Providers, limits: Limits) -> bytes:
    try:
        blob = providers.blob(request.blob_hash)
    except Exception:
        logger.exception("blob provider failed hash=%s", request.blob_hash.hex())
        return codec.encode_response(Code.UNAVAILABLE)
    if blob is None:
        return codec.encode_response(Code.NOT_FOUND)
    if len(blob) > min(request.max_size, limits.max_blob_bytes):
        return codec.encode_response(Code.TOO_LARGE)
    return codec.encode_response(Code.OK, blob)


def _answer_blocks(request: codec.BlocksRequest, providers: Providers, limits: Limits) -> bytes:
    end = min(request.end, request.start + limits.max_blocks_per_request - 1)
    try:
        items = providers.blocks(request.start, end)
    except Exception:
        logger.exception("block provider failed start=%d end=%d", request.start, end)
        return codec.encode_response(Code.UNAVAILABLE)
    kept: list[bytes] = []
    budget = limits.max_blocks_response_bytes - _CBOR_LIST_OVERHEAD
    for item in items[: end - request.start + 1]:
        budget -= len(item) + 9
        if budget < 0:
            break
        kept.append(item)
    return codec.encode_response(Code.OK, codec.encode_blocks(kept))


def _check_code(code: Code, what: str) -> None:
    if code is Code.NOT_FOUND:
        raise NotFoundError(f"peer does not have {what}")
    if code is not Code.OK:
        raise RemoteError(f"peer answered {code.name} for {what}")


async def request_blob(
    stream: ByteStream, blob_hash: bytes, max_size: int, limits: Limits
) -> bytes:
    """Fetch one blob; checks its size and SHA-256."""
    request = codec.encode_blob_request(codec.BlobRequest(blob_hash, max_size))
    await write_frame(stream, request, limits.io_timeout_s)
    await stream.close()
    frame = await read_frame(stream, max_size + 1, limits.io_timeout_s)
    code, body = codec.decode_response(frame)
    _check_code(code, f"blob {blob_hash.hex()}")
    if compute_blob_hash(body) != blob_hash:
        raise HashMismatchError(f"blob {blob_hash.hex()} arrived with a different hash")
    return body


async def request_blocks(stream: ByteStream, start: int, end: int, limits: Limits) -> list[bytes]:
    """Fetch finalized blocks ``start..end`` (inclusive); the peer may return a prefix."""
    request = codec.encode_blocks_request(codec.BlocksRequest(start, end))
    await write_frame(stream, request, limits.io_timeout_s)
    await stream.close()
    frame = await read_frame(stream, limits.max_blocks_response_bytes + 1, limits.io_timeout_s)
    code, body = codec.decode_response(frame)
    _check_code(code, f"blocks {start}..{end}")
    items = codec.decode_blocks(body)
    if len(items) > min(end - start + 1, limits.max_blocks_per_request):
        raise MalformedFrameError(f"peer sent {len(items)} blocks for range {start}..{end}")
    return items


async def request_status(stream: ByteStream, limits: Limits) -> Status:
    """Run the status handshake as the client."""
    await write_frame(stream, codec.encode_status_request(), limits.io_timeout_s)
    await stream.close()
    frame = await read_frame(stream, limits.max_request_bytes, limits.io_timeout_s)
    code, body = codec.decode_response(frame)
    _check_code(code, "status")
    return codec.decode_status(body)
