"""Networking layer: gossip of small messages and stream protocols for large ones.

The node shell talks to :class:`~node.network.port.NetworkPort`; the real implementation is
:class:`~node.network.libp2p_network.Libp2pNetwork` (import it from its module, it pulls in
py-libp2p) and the in-memory one is :class:`~node.network.memory.MemoryNetwork`.
"""

from node.network.config import GossipParams, Limits, NetworkConfig, RedialParams, ScoreParams
from node.network.errors import NetworkError
from node.network.port import NetworkPort
from node.network.values import (
    GossipMessage,
    PeerId,
    ProtocolKind,
    Providers,
    Status,
    TopicKind,
    Validator,
    Verdict,
    compute_blob_hash,
    get_protocol_id,
    get_topic_name,
)

__all__ = [
    "GossipMessage",
    "GossipParams",
    "Limits",
    "NetworkConfig",
    "NetworkError",
    "NetworkPort",
    "PeerId",
    "ProtocolKind",
    "Providers",
    "RedialParams",
    "ScoreParams",
    "Status",
    "TopicKind",
    "Validator",
    "Verdict",
    "compute_blob_hash",
    "get_protocol_id",
    "get_topic_name",
]
