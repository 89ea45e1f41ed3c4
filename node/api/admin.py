"""Operator controls of a running node: the peer block list (``/admin/blocked-peers``).

A scenario runner uses it to cut a node off (``all``) or to split the network into groups
(each node blocks the peers of the other groups) on loopback, where no packet filter can
tell nodes apart. The API reaches the network through
:class:`~node.api.blocking.PeerBlocking`; a :class:`~node.chain_node.ChainNode` view exposes
its network as ``view.network``.
"""

from __future__ import annotations

import json
from typing import Any

from node.api.errors import BadRequestError, UnsupportedMediaTypeError
from node.api.request import JSON_TYPE, Request
from node.network.values import BlockList

MAX_BLOCKED_PEERS = 1024
MAX_PEER_ID_CHARS = 128
BASE58_ALPHABET = frozenset("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")


def render_blocked(blocked: BlockList) -> dict[str, Any]:
    return {"peers": sorted(blocked.peers), "all": blocked.block_all}


def read_blocked_peers(request: Request) -> BlockList:
    """The block list in a ``PUT /admin/blocked-peers`` body; BadRequestError on any other
    shape, UnsupportedMediaTypeError unless the body is JSON."""
    if request.content_type != JSON_TYPE:
        shown = request.content_type or "none"
        raise UnsupportedMediaTypeError(f"content type {shown!r} not accepted: send {JSON_TYPE}")
    try:
        obj = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BadRequestError(f"body is not JSON: {exc}") from None
    shape = 'expected a JSON object {"peers": ["<peer id>", ...], "all": true|false}'
    if not isinstance(obj, dict) or set(obj) != {"peers", "all"}:
        raise BadRequestError(shape)
    peers, block_all = obj["peers"], obj["all"]
    if not isinstance(block_all, bool):
        raise BadRequestError(f'"all" must be true or false, not {json.dumps(block_all)}')
    if not isinstance(peers, list):
        raise BadRequestError('"peers" must be a list of peer ids')
    if len(peers) > MAX_BLOCKED_PEERS:
        raise BadRequestError(f'"peers" lists {len(peers)} ids, at most {MAX_BLOCKED_PEERS}')
    for peer in peers:
        validate_peer_id(peer)
    return BlockList(frozenset(peers), block_all)


def validate_peer_id(peer: object) -> None:
    """Raise BadRequestError unless ``peer`` looks like a base58 libp2p peer id."""
    if not isinstance(peer, str) or not peer:
        raise BadRequestError(f"a peer id must be a non-empty string, not {json.dumps(peer)}")
    if len(peer) > MAX_PEER_ID_CHARS or not set(peer) <= BASE58_ALPHABET:
        shown = json.dumps(peer[:MAX_PEER_ID_CHARS])
        raise BadRequestError(
            f"peer id {shown} is not base58 of at most {MAX_PEER_ID_CHARS} characters"
        )
