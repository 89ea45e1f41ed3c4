"""A small synchronous client of the node API over the standard library's ``http.client``.

Every failure raises :class:`~node.api.errors.ApiError` (the subclass matching the status;
:class:`~node.api.errors.ApiUnavailableError` with status 0 when no HTTP reply came back).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import urllib.parse
from typing import Any

from consensus.encoding import encode
from consensus.transactions import SignedTransaction
from node.api.errors import ApiError, ApiUnavailableError, make_error
from node.api.request import CBOR_TYPE, JSON_TYPE

MAX_REPLY_BYTES = 16 << 20


class ApiClient:
    """Talks to one node at ``base_url`` (``http://host:port``); ``token`` for POST /txs."""

    def __init__(self, base_url: str, token: str = "", timeout_s: float = 10.0) -> None:
        try:
            parts = urllib.parse.urlsplit(base_url)
            port = parts.port or 80
        except ValueError as exc:  # "Invalid IPv6 URL", "Port out of range 0-65535"
            raise ApiUnavailableError(f"API URL {base_url!r} is invalid: {exc}") from None
        if parts.scheme != "http" or not parts.hostname:
            raise ApiUnavailableError(f"base URL must look like http://host:port, not {base_url!r}")
        self.host = parts.hostname
        self.port = port
        self.prefix = parts.path.rstrip("/")
        self.token = token
        self.timeout_s = timeout_s

    def get_status(self) -> dict[str, Any]:
        return self.get("/status")

    def get(self, path: str) -> dict[str, Any]:
        """``GET path`` as JSON; for ``/metrics`` use :meth:`get_text`."""
        return _as_json(self._request("GET", path, b"", {}))

    def get_text(self, path: str) -> str:
        return self._request("GET", path, b"", {}).decode("utf-8")

    def get_bytes(self, path: str) -> bytes:
        """``GET path`` as raw bytes (e.g. ``/blobs/{hash}``)."""
        return self._request("GET", path, b"", {})

    def put_blob(self, data: bytes) -> str:
        """Store ``data`` on the node (``PUT /blobs/{sha256}``); its hash in hex."""
        blob_hash = hashlib.sha256(data).hexdigest()
        headers = {"Content-Type": "application/octet-stream", **self._auth()}
        self._request("PUT", f"/blobs/{blob_hash}", data, headers)
        return blob_hash

    def get_blocked_peers(self) -> dict[str, Any]:
        """``{"peers": [...], "all": bool}``: whom the node refuses to talk to."""
        return self.get("/admin/blocked-peers")

    def put_blocked_peers(self, peers: list[str], all_: bool) -> dict[str, Any]:
        """Replace the node's block list (``all_``: block every peer); the new list back.

        ``put_blocked_peers([], False)`` heals: the node redials its configured peers.
        """
        body = json.dumps({"peers": list(peers), "all": all_}).encode()
        headers = {"Content-Type": JSON_TYPE, **self._auth()}
        return _as_json(self._request("PUT", "/admin/blocked-peers", body, headers))

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def submit_tx(self, stx: SignedTransaction) -> str:
        """Submit ``stx`` (as CBOR); the transaction hash in hex once the node admitted it."""
        headers = {"Content-Type": CBOR_TYPE}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        reply = _as_json(self._request("POST", "/txs", encode(stx), headers))
        tx_hash = reply.get("hash")
        if not isinstance(tx_hash, str):
            raise ApiUnavailableError("the node's reply to POST /txs has no hash")
        return tx_hash

    def _request(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> bytes:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout_s)
        try:
            conn.request(method, self.prefix + path, body=body or None, headers=headers)
            response = conn.getresponse()
            data = response.read(MAX_REPLY_BYTES + 1)
        except (OSError, http.client.HTTPException) as exc:
            raise ApiUnavailableError(f"{method} {path} failed: {exc}") from None
        finally:
            conn.close()
        if len(data) > MAX_REPLY_BYTES:
            raise ApiUnavailableError(f"reply to {method} {path} exceeds {MAX_REPLY_BYTES} bytes")
        if response.status >= 300:
            raise make_error(response.status, _error_message(data, response.reason))
        return data


def _as_json(data: bytes) -> dict[str, Any]:
    try:
        obj = json.loads(data)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ApiUnavailableError(f"reply is not JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise ApiUnavailableError("reply is not a JSON object")
    return obj


def _error_message(data: bytes, reason: str) -> str:
    try:
        obj = json.loads(data)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return reason or "error"
    message = obj.get("message") if isinstance(obj, dict) else None
    return message if isinstance(message, str) else reason or "error"


__all__ = ["ApiClient", "ApiError"]
