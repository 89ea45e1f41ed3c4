"""Turn a manifest into node homes: keys, one genesis, configs, the initial model snapshot.

Where each node listens and how the others reach it comes from an :class:`Addressing` (loopback
ports, network-namespace addresses, or fixed container addresses), so the same manifest lays
out a loopback run, a ``--netns`` run and a docker-compose cluster. ``layout.json`` in the output
directory lists every node with its home, API URL, account address, peer id and p2p address.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from consensus.crypto import KeyPair
from consensus.genesis import Genesis, GenesisAccount, GenesisCandidate, GenesisTask
from consensus.params import ChainParams
from node.byzantine.settings import ByzantineConfig
from node.learning.settings import TrainingConfig
from node.network.peer_id import compute_peer_id
from node.ops.config import ApiConfig, NodeConfig, P2PConfig, render_config
from node.ops.genesis_file import write_genesis
from node.ops.keys import create_key_file
from node.ops.testnet import TaskOptions, TestnetOptions, build_task
from node.scenario.errors import ManifestError
from node.scenario.manifest import Manifest, NodeSpec
from node.scenario.workload_client import get_workload_keys
from node.sim.errors import SimConfigError
from node.sim.preset import load_preset
from node.storage.blobs import BlobStore

LAYOUT_FILE = "layout.json"


@dataclass(frozen=True)
class NodeAddress:
    """Where one node binds and how others (and the runner) reach it."""

    bind_host: str
    dial_host: str
    p2p_port: int
    api_port: int
    api_host: str = ""
    """Where the API binds (default: ``bind_host``); the runner then reaches it there."""

    @property
    def api_url(self) -> str:
        return f"http://{self.api_host or self.dial_host}:{self.api_port}"

    @property
    def external_address(self) -> str:
        """What the node announces to peers: its dial address when it binds every interface."""
        if self.bind_host != "0.0.0.0":
            return ""
        return f"/ip4/{self.dial_host}/tcp/{self.p2p_port}"


Addressing = Callable[[int], NodeAddress]
"""The address of the node at a manifest index."""


def loopback_addressing(p2p_base_port: int, api_base_port: int) -> Addressing:
    """Every node on 127.0.0.1, ports counted up from the bases."""
    return lambda i: NodeAddress("127.0.0.1", "127.0.0.1", p2p_base_port + i, api_base_port + i)


@dataclass(frozen=True)
class NodeLayout:
    """One materialized node (what ``layout.json`` lists)."""

    name: str
    home: str
    api_url: str
    address: str
    peer_id: str
    p2p_addr: str
    role: str
    honest: bool


def node_seed(manifest: Manifest, seed: int, name: str) -> bytes:
    """The node's key seed: a pure function of scenario, seed and name (dev networks only)."""
    return hashlib.sha256(f"deltachain-scenario/{manifest.name}/{seed}/{name}".encode()).digest()


def materialize(
    manifest: Manifest,
    out: Path,
    addressing: Addressing,
    *,
    seed: int | None = None,
    api_token: str = "",
) -> list[NodeLayout]:
    """Write every node home under ``out`` (which must be new or empty) and ``layout.json``.

    ``api_token`` protects the nodes' write routes (required when they bind a non-loopback
    address, as in network namespaces and containers).
    """
    if out.exists() and any(out.iterdir()):
        raise ManifestError(f"{out} is not empty; choose a new directory")
    run_seed = manifest.seed if seed is None else seed
    seeds = {n.name: node_seed(manifest, run_seed, n.name) for n in manifest.nodes}
    keys = {name: KeyPair.from_seed(s) for name, s in seeds.items()}
    addresses = [addressing(i) for i in range(len(manifest.nodes))]
    p2p_addrs = {
        n.name: f"/ip4/{a.dial_host}/tcp/{a.p2p_port}/p2p/{compute_peer_id(seeds[n.name])}"
        for n, a in zip(manifest.nodes, addresses, strict=True)
    }
    task, snapshot = build_task(build_testnet_options(manifest))
    creator = keys[manifest.validators[0].name].address
    genesis = build_genesis(manifest, keys, GenesisTask(creator, task))
    layouts = []
    for index, node in enumerate(manifest.nodes):
        home = out / node.name
        home.mkdir(parents=True)
        create_key_file(home / "node_key.json", seeds[node.name])
        write_genesis(home / "genesis.cbor", genesis)
        BlobStore(home / "data" / "blobs").put(snapshot)
        config = build_config(
            manifest, node, home=home, address=addresses[index], p2p_addrs=p2p_addrs, seed=run_seed
        )
        config = replace(config, api=replace(config.api, token=api_token))
        (home / "config.toml").write_text(render_config(config), encoding="utf-8")
        layouts.append(
            NodeLayout(
                name=node.name,
                home=str(home),
                api_url=addresses[index].api_url,
                address=keys[node.name].address.hex(),
                peer_id=str(compute_peer_id(seeds[node.name])),
                p2p_addr=p2p_addrs[node.name],
                role=node.role.value,
                honest=node.is_honest,
            )
        )
    layout = {"scenario": manifest.name, "seed": run_seed, "nodes": [asdict(x) for x in layouts]}
    (out / LAYOUT_FILE).write_text(json.dumps(layout, indent=2), encoding="utf-8")
    return layouts


def load_params(manifest: Manifest) -> ChainParams:
    try:
        return load_preset(manifest.preset)
    except SimConfigError as exc:
        raise ManifestError(str(exc)) from None


def build_genesis(manifest: Manifest, keys: dict[str, KeyPair], task: GenesisTask) -> Genesis:
    """Accounts with their stake and votes, validators as candidates, the one training task;
    the client workload's accounts, funded."""
    accounts = tuple(
        GenesisAccount(
            keys[n.name].address,
            balance=n.balance,
            bonded=n.stake,
            votes=tuple(keys[v].address for v in n.effective_votes),
        )
        for n in manifest.nodes
    )
    accounts += tuple(
        GenesisAccount(key.address, balance=manifest.workload.balance)
        for key in get_workload_keys(manifest)
    )
    candidates = tuple(GenesisCandidate(keys[n.name].address, n.name) for n in manifest.validators)
    params = load_params(manifest)
    seats = len(manifest.validators) + sum(n.join_as_candidate for n in manifest.nodes)
    params = ChainParams.from_mapping(
        {**params.to_mapping(), "max_validators": max(params.max_validators, seats)}
    )
    return Genesis(
        chain_id=manifest.network_chain_id,
        time_ms=0,
        params=params,
        accounts=accounts,
        candidates=candidates,
        tasks=(task,),
    )


def build_testnet_options(manifest: Manifest) -> TestnetOptions:
    task = manifest.task
    return TestnetOptions(
        validators=max(1, len(manifest.trainers)),
        task=TaskOptions(
            model_id=task.model,
            rule=task.rule,
            rule_params=dict(task.rule_params),
            min_deltas=task.min_deltas,
            max_staleness=task.max_staleness,
            clip_norm=task.clip_norm,
        ),
    )


def build_config(
    manifest: Manifest,
    node: NodeSpec,
    *,
    home: Path,
    address: NodeAddress,
    p2p_addrs: dict[str, str],
    seed: int,
) -> NodeConfig:
    trainers = [n.name for n in manifest.trainers]
    task = manifest.task
    return NodeConfig(
        home=home,
        moniker=node.name,
        p2p=P2PConfig(
            listen=f"/ip4/{address.bind_host}/tcp/{address.p2p_port}",
            bootstrap=tuple(a for name, a in p2p_addrs.items() if name != node.name),
            external_address=address.external_address,
        ),
        api=ApiConfig(address.api_host or address.bind_host, address.api_port, ""),
        training=TrainingConfig(
            enabled=node.train,
            partition=task.partition.value,
            alpha=task.alpha,
            shard_index=trainers.index(node.name) if node.train else 0,
            num_shards=max(1, len(trainers)),
            local_epochs=task.local_epochs,
            batch_size=task.batch_size,
            learning_rate=task.learning_rate,
            seed=seed,
            attack=node.attack.value,
        ),
        byzantine=ByzantineConfig(role=node.byzantine.value),
    )
