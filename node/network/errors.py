"""Exceptions raised by the networking layer.

Every fault a remote peer can cause maps to a subclass of :class:`PeerFaultError`, which the
layer catches at the edge, scores against the peer and logs. Callers of the port see the
specific subclass; nothing a peer sends can end the node.
"""


class NetworkError(Exception):
    """Base class for every error raised by ``node.network``."""


class ConfigError(NetworkError):
    """The network configuration is invalid (bad seed, chain id, address or limit)."""


class ListenError(NetworkError):
    """None of the configured listen addresses could be bound (port in use or unavailable)."""


class PatchError(NetworkError):
    """The installed py-libp2p is not the version our patches were written for."""


class NotRunningError(NetworkError):
    """The network is used before ``async with`` entered it (or after it left)."""


class MessageTooLargeError(NetworkError):
    """We tried to gossip a message over the gossip size limit; fetch it by hash instead."""


class UnknownTopicError(NetworkError):
    """The topic is not subscribed (or a subscription was registered twice)."""


class InvalidRequestError(NetworkError):
    """A fetch was asked with arguments that cannot form a valid request."""


class PeerUnavailableError(NetworkError):
    """The peer could not be reached: not connected, dial failed, stream reset or closed."""


class PeerBannedError(PeerUnavailableError):
    """The peer is banned after its score fell under the threshold."""


class PeerBlockedError(PeerUnavailableError):
    """The peer is on this node's block list (``set_blocked``): not dialed, not served."""


class StreamTimeoutError(PeerUnavailableError):
    """A stream operation did not finish before its deadline (slow or silent peer)."""


class RemoteError(NetworkError):
    """The peer answered, but with an error status."""


class NotFoundError(RemoteError):
    """The peer does not have the requested blob."""


class PeerFaultError(NetworkError):
    """The peer broke the protocol; it is scored down. Subclasses name the fault."""


class MalformedFrameError(PeerFaultError):
    """Bytes from the peer do not decode (bad length prefix, bad CBOR, wrong fields)."""


class FrameTooLargeError(PeerFaultError):
    """A frame from the peer announced more bytes than the limit for this read."""


class HashMismatchError(PeerFaultError):
    """A fetched blob does not hash (SHA-256) to the requested hash."""
