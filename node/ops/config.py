"""The node's configuration: ``<home>/config.toml``, validated into frozen records.

Every bad value is reported as one :class:`ConfigError` line naming the key, so an operator can fix
it without reading a traceback.
"""

from __future__ import annotations

import ipaddress
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import multiaddr

from node.byzantine.roles import ATTACKS, MAX_SPAM_PER_S, ROLES
from node.byzantine.settings import ByzantineConfig
from node.chain.pacing import BlockPacing
from node.errors import ConfigError
from node.learning.joins import JoinedTask, parse_joined_tasks, render_joined_tasks
from node.learning.settings import TrainingConfig

CONFIG_FILE = "config.toml"
GENESIS_FILE = "genesis.cbor"
KEY_FILE = "node_key.json"
MAX_MONIKER = 64
MAX_PACING_MS = 3_600_000
DATASETS = ("digits",)
"""Datasets a node can train on (``[training] dataset``)."""


@dataclass(frozen=True)
class P2PConfig:
    listen: str = "/ip4/127.0.0.1/tcp/0"
    bootstrap: tuple[str, ...] = ()
    mdns: bool = False
    external_address: str = ""
    """The address peers dial, announced instead of ``listen`` (NAT, containers, 0.0.0.0)."""


@dataclass(frozen=True)
class ApiConfig:
    host: str = "127.0.0.1"
    port: int = 0
    token: str = ""

    @property
    def is_loopback(self) -> bool:
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return self.host == "localhost"


@dataclass(frozen=True)
class ConsensusConfig:
    """``[consensus]``: node-local pacing of heights (``node.chain.pacing``)."""

    create_empty_blocks: bool = False
    """Off: after a block, wait for a pending transaction (or the next height's messages)
    before starting the next height, making an empty block only every interval."""
    empty_blocks_interval_ms: int = 1_000
    delta_batch_window_ms: int = 250
    """How long pooled deltas that do not yet make a version may wait for more."""
    fresh_deltas_wait_ms: int = 100
    """How long deltas that make a version only with stale ones counted wait for fresh ones."""

    def to_pacing(self) -> BlockPacing:
        return BlockPacing(
            self.create_empty_blocks,
            self.empty_blocks_interval_ms / 1000,
            self.delta_batch_window_ms / 1000,
            self.fresh_deltas_wait_ms / 1000,
        )


@dataclass(frozen=True)
class NodeConfig:
    """Everything a node reads at start-up besides its key and the genesis."""

    home: Path
    moniker: str = "node"
    p2p: P2PConfig = field(default_factory=P2PConfig)
    api: ApiConfig = field(default_factory=ApiConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    byzantine: ByzantineConfig = field(default_factory=ByzantineConfig)
    consensus: ConsensusConfig = field(default_factory=ConsensusConfig)
    tasks: tuple[JoinedTask, ...] = ()
    """Tasks whose app this node's operator approved, with the node's data path for each."""

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def genesis_path(self) -> Path:
        return self.home / GENESIS_FILE

    @property
    def key_path(self) -> Path:
        return self.home / KEY_FILE


def load_config(home: Path) -> NodeConfig:
    """Read and validate ``<home>/config.toml``."""
    path = home / CONFIG_FILE
    if not home.is_dir():
        raise ConfigError(f"node home {home} does not exist (run `deltachain init` first)")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path} is missing (run `deltachain init` first)") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    return parse_config(home, raw)


def parse_config(home: Path, raw: Mapping[str, Any]) -> NodeConfig:
    if not raw:
        raise ConfigError(
            f"{home / CONFIG_FILE} is empty: it needs at least [p2p] listen and [api] port"
            " (run `deltachain init` to write a complete one)"
        )
    _check_keys("", raw, {"node", "p2p", "api", "training", "byzantine", "consensus", "tasks"})
    node = _table(raw, "node")
    _check_keys("node.", node, {"moniker"})
    config = NodeConfig(
        home=home,
        moniker=_get(node, "node.moniker", str, "node"),
        p2p=_build(P2PConfig, _table(raw, "p2p"), "p2p."),
        api=_build(ApiConfig, _table(raw, "api"), "api."),
        training=_build(TrainingConfig, _table(raw, "training"), "training."),
        byzantine=_build(ByzantineConfig, _table(raw, "byzantine"), "byzantine."),
        consensus=_build(ConsensusConfig, _table(raw, "consensus"), "consensus."),
        tasks=parse_joined_tasks(raw.get("tasks")),
    )
    _validate(config)
    return config


def _validate(config: NodeConfig) -> None:
    validate_moniker(config.moniker)
    if not 0 <= config.api.port <= 65535:
        raise ConfigError(f"api.port {config.api.port} is not a TCP port")
    if not config.api.is_loopback and not config.api.token:
        raise ConfigError("api.token is required when api.host is not a loopback address")
    if not config.p2p.listen.startswith("/ip4/") and not config.p2p.listen.startswith("/ip6/"):
        raise ConfigError(f"p2p.listen {config.p2p.listen!r} is not a multiaddress")
    validate_multiaddr("p2p.listen", config.p2p.listen)
    for entry in config.p2p.bootstrap:
        validate_multiaddr("p2p.bootstrap", entry, need_peer=True)
    if config.p2p.external_address:
        validate_multiaddr("p2p.external_address", config.p2p.external_address)
    _validate_training(config.training)
    _validate_byzantine(config.byzantine)
    _validate_consensus(config.consensus)


def _validate_consensus(consensus: ConsensusConfig) -> None:
    for name in ("empty_blocks_interval_ms", "delta_batch_window_ms", "fresh_deltas_wait_ms"):
        value = getattr(consensus, name)
        if not 1 <= value <= MAX_PACING_MS:
            raise ConfigError(f"consensus.{name} must be in [1, {MAX_PACING_MS}], got {value}")


def _validate_training(training: TrainingConfig) -> None:
    if training.dataset not in DATASETS:
        raise ConfigError(f"training.dataset must be one of {DATASETS}, got {training.dataset!r}")
    if training.partition not in ("iid", "dirichlet"):
        raise ConfigError("training.partition must be 'iid' or 'dirichlet'")
    if not 0 <= training.shard_index < training.num_shards:
        raise ConfigError("training.shard_index must be in [0, training.num_shards)")
    if training.local_epochs < 1 or training.batch_size < 1:
        raise ConfigError("training.local_epochs and batch_size must be positive")
    if not (math.isfinite(training.learning_rate) and training.learning_rate > 0):
        rate = training.learning_rate
        raise ConfigError(f"training.learning_rate must be a positive number, got {rate}")
    if not (math.isfinite(training.alpha) and training.alpha > 0):
        raise ConfigError(f"training.alpha must be a positive number, got {training.alpha}")
    if not 0 <= training.worker_nice <= 19:
        raise ConfigError(f"training.worker_nice must be in [0, 19], got {training.worker_nice}")
    if not 0 <= training.seed < 2**32:
        raise ConfigError(f"training.seed must be in [0, 2**32), got {training.seed}")
    if training.attack not in ATTACKS:
        raise ConfigError(f"training.attack must be one of {ATTACKS}, got {training.attack!r}")


def validate_moniker(moniker: str) -> None:
    """A moniker is 1 to 64 printable characters (it is shown in tables and logs)."""
    if not 1 <= len(moniker) <= MAX_MONIKER or not moniker.isprintable():
        raise ConfigError(f"moniker {moniker!r} must be 1 to {MAX_MONIKER} printable characters")


def validate_multiaddr(key: str, addr: str, *, need_peer: bool = False) -> None:
    """``addr`` parses as a multiaddress (with a ``/p2p/<peer id>`` part if ``need_peer``)."""
    try:
        parsed = multiaddr.Multiaddr(addr)
    except Exception as exc:  # the library raises several unrelated types
        raise ConfigError(f"{key} entry {addr!r} is not a valid multiaddress: {exc}") from None
    if need_peer and "p2p" not in [p.name for p in parsed.protocols()]:
        raise ConfigError(f"{key} entry {addr!r} has no /p2p/<peer id> part")


def _validate_byzantine(byzantine: ByzantineConfig) -> None:
    if byzantine.role not in ROLES:
        raise ConfigError(f"byzantine.role must be one of {ROLES}, got {byzantine.role!r}")
    rate = byzantine.spam_per_s
    if not (math.isfinite(rate) and 0 < rate <= MAX_SPAM_PER_S):
        raise ConfigError(f"byzantine.spam_per_s must be in (0, {MAX_SPAM_PER_S}], got {rate}")


def _table(raw: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = raw.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{name}] must be a table")
    return value


def _check_keys(prefix: str, table: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(f"unknown config key(s): {', '.join(prefix + k for k in unknown)}")


def _get(table: Mapping[str, Any], key: str, kind: type, default: Any) -> Any:
    value = table.get(key.rsplit(".", 1)[-1], default)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if kind is tuple:
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{key} must be a list of strings")
        return tuple(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"{key} must be of type {kind.__name__}, got {value!r}")
    return value


def _build(cls: type[Any], table: Mapping[str, Any], prefix: str) -> Any:
    defaults = cls()
    names = set(defaults.__dataclass_fields__)
    _check_keys(prefix, table, names)
    values = {}
    for name in names:
        default = getattr(defaults, name)
        values[name] = _get(table, prefix + name, type(default), default)
    return cls(**values)


def render_config(config: NodeConfig) -> str:
    """``config`` as TOML text (what ``deltachain init`` writes).

    ``[byzantine]`` is written only when it differs from the default: an honest node's file
    does not mention it at all.
    """
    sections: dict[str, Any] = {
        "node": {"moniker": config.moniker},
        "p2p": config.p2p.__dict__,
        "api": config.api.__dict__,
        "training": config.training.__dict__,
        "consensus": config.consensus.__dict__,
    }
    if config.byzantine != ByzantineConfig():
        sections["byzantine"] = config.byzantine.__dict__
    lines: list[str] = []
    for name, table in sections.items():
        lines.append(f"[{name}]")
        lines.extend(f"{key} = {_toml_value(value)}" for key, value in table.items())
        lines.append("")
    if config.tasks:
        lines.append(render_joined_tasks(config.tasks))
    return "\n".join(lines)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot render {value!r} as TOML")
