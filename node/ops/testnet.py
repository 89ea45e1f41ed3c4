"""``deltachain testnet create``: keys, configs, one genesis and data dirs for N local validators.

The genesis registers every validator as a candidate backed by its own bonded stake, and opens
one training task whose initial model snapshot is written into every node's blob store.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from consensus.crypto import KeyPair
from consensus.genesis import Genesis, GenesisAccount, GenesisCandidate, GenesisTask
from consensus.params import ChainParams
from consensus.transactions import CreateTask
from ml.aggregation.spec import AggregationSpec, compute_rule_dict
from ml.errors import MlError
from ml.models import init_weights
from ml.snapshot import compute_model_hash, encode_weights
from node.errors import ConfigError
from node.learning.settings import TrainingConfig
from node.network.peer_id import compute_peer_id
from node.ops.app_task import AppTask
from node.ops.config import ApiConfig, NodeConfig, P2PConfig, render_config
from node.ops.genesis_file import write_genesis
from node.ops.keys import create_key_file
from node.ops.testnet_apps import prepare_node_data, split_for_nodes, validate_data_paths
from node.storage.blobs import BlobStore

MANIFEST_FILE = "testnet.json"


@dataclass(frozen=True)
class TaskOptions:
    """The genesis training task."""

    model_id: str = "mlp-digits"
    rule: str = "fedavg"
    rule_params: dict[str, int | float] = field(default_factory=dict)
    min_deltas: int = 0
    """0 means n - f of the n validators (f = floor((n - 1) / 3)): a version needs most nodes'
    deltas, but one slow or dead node never stalls the others (its late delta counts toward
    the next version, within the staleness bound)."""
    max_staleness: int = 2
    clip_norm: float = 10.0
    reward_per_delta: int = 1_000
    reward_pool: int = 10_000_000
    init_seed: int = 0
    app: AppTask | None = None
    """A learning app: the task carries its hash, layout and config instead of a catalog
    model id (whose name is then the app's)."""


@dataclass(frozen=True)
class TestnetOptions:
    """What ``testnet create`` builds."""

    __test__ = False  # not a pytest test class, despite the name

    validators: int = 4
    chain_id: str = "deltachain-local"
    p2p_base_port: int = 26_600
    api_base_port: int = 8_600
    params: ChainParams = field(default_factory=ChainParams)
    partition: str = "iid"
    alpha: float = 0.5
    local_epochs: int = 2
    learning_rate: float = 0.1
    batch_size: int = 32
    worker_nice: int = 10
    stake: int = 1_000_000
    balance: int = 1_000_000_000
    seed: int | None = None
    """Key seed for reproducible dev networks; None draws keys from the OS."""
    training: bool = True
    """Whether the nodes train (off: a consensus-only network that still carries the task)."""
    task: TaskOptions = field(default_factory=TaskOptions)
    data: tuple[str, ...] = ()
    """An app task's data path for each node, in node order (``--data``)."""
    split_data: Path | None = None
    """A dataset to cut into one folder per validator under ``out/split-data/`` (partition and
    alpha as above, ``split_label`` the CSV or Parquet label column); replaces ``data``."""
    split_label: str = "label"


SPLIT_DATA = "split-data"


def make_seed(options: TestnetOptions, index: int) -> bytes:
    if options.seed is None:
        return secrets.token_bytes(32)
    return options.seed.to_bytes(16, "big") + index.to_bytes(16, "big")


def build_task(options: TestnetOptions) -> tuple[CreateTask, bytes]:
    """The genesis task and the initial model snapshot it names."""
    task = options.task
    n = options.validators
    min_deltas = task.min_deltas or n - (n - 1) // 3
    layout = None if task.app is None else task.app.layout
    spec = AggregationSpec.from_dict(
        {
            "model_id": task.model_id if layout is None else layout.model_id,
            "rule": task.rule,
            "clip_norm": task.clip_norm,
            "min_deltas": min_deltas,
            **task.rule_params,
        },
        layout,
    )
    if task.app is None:
        weights = init_weights(task.model_id, task.init_seed)
    else:
        weights = task.app.weights
        _validate_feasible(spec)
    snapshot = encode_weights(weights)
    create = CreateTask(
        model_id=task.model_id if task.app is None else task.app.name,
        initial_model_hash=compute_model_hash(weights),
        aggregation=compute_rule_dict(spec),
        min_deltas=min_deltas,
        max_staleness=task.max_staleness,
        clip_norm=task.clip_norm,
        reward_per_delta=task.reward_per_delta,
        reward_pool=task.reward_pool,
        max_payload_bytes=16 << 20,
        app=None if task.app is None else task.app.to_task_app(),
    )
    return create, snapshot


def _validate_feasible(spec: AggregationSpec) -> None:
    try:
        spec.validate_feasible()
    except MlError as exc:
        raise ConfigError(f"impossible task: {exc}") from None


def build_genesis(options: TestnetOptions, keys: list[KeyPair], task: CreateTask) -> Genesis:
    accounts = tuple(
        GenesisAccount(k.address, balance=options.balance, bonded=options.stake, votes=(k.address,))
        for k in keys
    )
    candidates = tuple(GenesisCandidate(k.address, f"node{i}") for i, k in enumerate(keys))
    params = ChainParams.from_mapping(
        {
            **options.params.to_mapping(),
            "max_validators": max(options.params.max_validators, len(keys)),
        }
    )
    return Genesis(
        chain_id=options.chain_id,
        time_ms=0,
        params=params,
        accounts=accounts,
        candidates=candidates,
        tasks=(GenesisTask(keys[0].address, task),),
    )


def split_node_data(options: TestnetOptions, out: Path) -> TestnetOptions:
    """``options`` with one data folder per validator cut from ``split_data`` (unchanged when
    there is nothing to split)."""
    if options.split_data is None:
        return options
    if options.data:
        raise ConfigError("give --data per node or --split-data, not both")
    shard = (options.partition, options.validators, options.alpha)
    folders = split_for_nodes(options.split_data, out / SPLIT_DATA, shard, options.split_label)
    return dataclasses.replace(options, data=folders)


def create_testnet(out: Path, options: TestnetOptions) -> dict[str, object]:
    """Write every node home under ``out`` and ``out/testnet.json``; return the manifest."""
    if options.validators < 1:
        raise ConfigError("a testnet needs at least one validator")
    if out.exists() and any(out.iterdir()):
        raise ConfigError(f"{out} is not empty; choose a new directory")
    seeds = [make_seed(options, i) for i in range(options.validators)]
    keys = [KeyPair.from_seed(s) for s in seeds]
    task, snapshot = build_task(options)
    app = options.task.app
    if app is not None:
        options = split_node_data(options, out)
        validate_data_paths(app, options.data, options.validators)
    genesis = build_genesis(options, keys, task)
    p2p_addrs = [
        f"/ip4/127.0.0.1/tcp/{options.p2p_base_port + i}/p2p/{compute_peer_id(seed)}"
        for i, seed in enumerate(seeds)
    ]
    nodes = []
    for i, seed in enumerate(seeds):
        home = out / f"node{i}"
        home.mkdir(parents=True)
        create_key_file(home / "node_key.json", seed)
        write_genesis(home / "genesis.cbor", genesis)
        blobs = BlobStore(home / "data" / "blobs")
        blobs.put(snapshot)
        config = _node_config(options, home, i, p2p_addrs)
        if app is not None:
            blobs.put(app.bundle)
            shard = (options.partition, options.validators, options.alpha)
            joins = prepare_node_data(app, options.data, home, i, shard)
            config = dataclasses.replace(config, tasks=joins)
        (home / "config.toml").write_text(render_config(config), encoding="utf-8")
        nodes.append(
            {
                "name": f"node{i}",
                "home": str(home),
                "address": keys[i].address.hex(),
                "p2p": p2p_addrs[i],
                "api": f"http://127.0.0.1:{options.api_base_port + i}",
            }
        )
    manifest: dict[str, object] = {"chain_id": options.chain_id, "nodes": nodes}
    (out / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return manifest


def _node_config(options: TestnetOptions, home: Path, index: int, addrs: list[str]) -> NodeConfig:
    return NodeConfig(
        home=home,
        moniker=f"node{index}",
        p2p=P2PConfig(
            listen=f"/ip4/127.0.0.1/tcp/{options.p2p_base_port + index}",
            bootstrap=tuple(a for j, a in enumerate(addrs) if j != index),
        ),
        api=ApiConfig("127.0.0.1", options.api_base_port + index, ""),
        training=TrainingConfig(
            enabled=options.training,
            partition=options.partition,
            alpha=options.alpha,
            shard_index=index,
            num_shards=options.validators,
            local_epochs=options.local_epochs,
            batch_size=options.batch_size,
            learning_rate=options.learning_rate,
            worker_nice=options.worker_nice,
        ),
    )
