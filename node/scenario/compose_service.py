"""One node's compose service and the cluster network, with the settings an operator may change.

Whatever an operator may want to change without regenerating the file is a variable with the
generated value as its default (``${DELTACHAIN_NET:-172.28.0}``), so compose takes it from the
environment or from ``.env`` next to the file, in compose v1 and v2 alike:

======================================  =====================================================
``DELTACHAIN_IMAGE``                    the image every service runs
``DELTACHAIN_NET``                      the first three octets of the cluster's subnet
``DELTACHAIN_API_HOST``                 the host address the APIs are published on
``DELTACHAIN_API_PORT_<NODE>``          node's published API port (``V0``, ``JOINER``, ...)
``DELTACHAIN_UID`` / ``DELTACHAIN_GID``  who the nodes run as (bind-mounted homes only)
======================================  =====================================================

Compose cannot compute addresses, so a node's address is the variable prefix and a fixed last
octet: a subnet of ``/24`` or smaller, of which node ``i`` takes the ``FIRST_HOST + i``-th address.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from node.scenario.errors import ScenarioError
from node.scenario.manifest import Manifest, NodeSpec

TOKEN_FILE = "api_token"
ENV_FILE = ".env"
P2P_PORT = 26_656
API_PORT = 8_545
FIRST_HOST = 10
NETWORK = "deltachain"
LATE_PROFILE = "late"
RESTART_POLICY = "unless-stopped"
IMAGE_VAR = "DELTACHAIN_IMAGE"
NET_VAR = "DELTACHAIN_NET"
API_HOST_VAR = "DELTACHAIN_API_HOST"
UID_VAR, GID_VAR = "DELTACHAIN_UID", "DELTACHAIN_GID"
DEFAULT_API_HOST = "127.0.0.1"
HEALTH_PROBE = (
    "import urllib.request; "
    f"urllib.request.urlopen('http://127.0.0.1:{API_PORT}/status', timeout=4)"
)


class ComposeError(ScenarioError):
    """The cluster cannot be laid out (bad subnet, too few addresses, ports, existing files)."""


@dataclass(frozen=True)
class Subnet:
    """An IPv4 subnet of /24 or smaller: a three-octet prefix and the rest."""

    prefix: str
    """``172.28.0``: what ``DELTACHAIN_NET`` holds."""
    first: int
    """The last octet of the network address."""
    length: int

    @property
    def cidr(self) -> str:
        return f"{self.prefix}.{self.first}/{self.length}"

    def host(self, index: int) -> int:
        """The last octet of node ``index``'s address."""
        if FIRST_HOST + index >= 2 ** (32 - self.length) - 1:
            raise ComposeError(
                f"subnet {self.cidr} has no address for node {index}; use a larger one"
            )
        return self.first + FIRST_HOST + index


def parse_subnet(subnet: str) -> Subnet:
    """``172.28.0.0/24`` as a :class:`Subnet` (ComposeError unless IPv4, /24 or smaller)."""
    try:
        network = ipaddress.IPv4Network(subnet)
    except ValueError as exc:
        raise ComposeError(f"subnet {subnet!r} is not an IPv4 network: {exc}") from None
    if network.prefixlen < 24:
        raise ComposeError(f"subnet {subnet} is larger than a /24 ({NET_VAR} sets 3 octets)")
    octets = str(network.network_address).split(".")
    return Subnet(".".join(octets[:3]), int(octets[3]), network.prefixlen)


def node_ip(subnet: str, index: int) -> str:
    """The static address of the node at manifest ``index``."""
    parsed = parse_subnet(subnet)
    return f"{parsed.prefix}.{parsed.host(index)}"


def variable(name: str, default: str | int) -> str:
    """``${NAME:-default}``: compose's interpolation, the same in v1 and v2."""
    return f"${{{name}:-{default}}}"


def port_var(node: str) -> str:
    """The variable of a node's published API port (node names are ``[a-z][a-z0-9-]*``)."""
    return "DELTACHAIN_API_PORT_" + node.upper().replace("-", "_")


def subnet_value(subnet: str) -> str:
    """The network's subnet with the prefix from ``DELTACHAIN_NET``."""
    parsed = parse_subnet(subnet)
    return f"{variable(NET_VAR, parsed.prefix)}.{parsed.first}/{parsed.length}"


def address_value(subnet: str, index: int) -> str:
    """Node ``index``'s static address with the prefix from ``DELTACHAIN_NET``."""
    parsed = parse_subnet(subnet)
    return f"{variable(NET_VAR, parsed.prefix)}.{parsed.host(index)}"


def node_service(
    manifest: Manifest,
    index: int,
    image: str,
    subnet: str,
    api_port: int,
    *,
    volume: str,
    home: str,
) -> dict[str, Any]:
    """One node's service: static address, published API, health check, restart policy."""
    node = manifest.nodes[index]
    published = (
        f"{variable(API_HOST_VAR, DEFAULT_API_HOST)}:{variable(port_var(node.name), api_port)}"
    )
    service: dict[str, Any] = {
        "image": variable(IMAGE_VAR, image),
        "command": ["start", "--home", home],
        "init": True,
        "volumes": [volume],
        "networks": {NETWORK: {"ipv4_address": address_value(subnet, index)}},
        "ports": [f"{published}:{API_PORT}"],
        "healthcheck": {
            "test": ["CMD", "python", "-c", HEALTH_PROBE],
            "interval": "10s",
            "timeout": "5s",
            "retries": 6,
            "start_period": "60s",
        },
        "restart": RESTART_POLICY,
        "stop_grace_period": "30s",
    }
    if is_late(node):
        service["profiles"] = [LATE_PROFILE]
    return service


def network_section(subnet: str) -> dict[str, Any]:
    return {NETWORK: {"driver": "bridge", "ipam": {"config": [{"subnet": subnet_value(subnet)}]}}}


def is_late(node: NodeSpec) -> bool:
    return node.start_at_s > 0
