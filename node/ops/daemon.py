"""``deltachain start``: one node process with libp2p networking, the HTTP API and training.

The process shuts down cleanly on SIGINT, SIGTERM or SIGHUP, and when the launcher that started
it is gone (its lifeline pipe closed): every task is cancelled, storage is closed, the training
worker is stopped. Faults an operator can act on surface as :class:`NodeError`
subclasses that the CLI turns into one line and a documented exit code.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import signal
import time
from dataclasses import dataclass

import trio
from trio_typing import TaskStatus

from consensus.crypto import KeyPair
from node.api.server import serve_api
from node.byzantine.base import Misbehaviour
from node.byzantine.factory import make_misbehaviour
from node.chain.chain_node import ChainNode, NodeTimings
from node.chain.signer import SIGNER_STATE_FILE
from node.errors import NodeError, PortInUseError, StorageError
from node.learning.app_tasks import AppTasks
from node.learning.trainer import Trainer
from node.network.config import NetworkConfig
from node.network.errors import ListenError
from node.network.port import NetworkPort
from node.network.values import Providers
from node.ops.config import CONFIG_FILE, NodeConfig
from node.ops.genesis_file import load_genesis
from node.ops.keys import load_key_file
from node.ops.lifeline import wait_for_launcher_exit
from node.ops.signals import unblock_stop_signals
from node.ops.store_check import validate_store_not_behind_signer

logger = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

API_INFO_FILE = "api.json"


@dataclass(frozen=True)
class DaemonInfo:
    """What a started node reports: where its API listens and its p2p addresses."""

    api_port: int
    p2p_addrs: tuple[str, ...]
    peer_id: str


def wall_clock_ms() -> int:
    """Block times are wall-clock milliseconds (the shell's only clock read)."""
    return time.time_ns() // 1_000_000


def build_node(config: NodeConfig) -> ChainNode:
    genesis = load_genesis(config.genesis_path)
    key = load_key_file(config.key_path)
    network_config = NetworkConfig(
        chain_id=genesis.chain_id,
        key_seed=key.seed,
        listen_addrs=(config.p2p.listen,),
        announce_addrs=(config.p2p.external_address,) if config.p2p.external_address else (),
        bootstrap_peers=config.p2p.bootstrap,
        enable_mdns=config.p2p.mdns,
    )

    def make_network(providers: Providers) -> NetworkPort:
        from node.network.libp2p_network import Libp2pNetwork

        return Libp2pNetwork(network_config, providers)

    node = ChainNode(
        genesis,
        key=key,
        data_dir=config.data_dir,
        network_factory=make_network,
        now_ms=wall_clock_ms,
        moniker=config.moniker,
        misbehaviour=make_misbehaviour(config.byzantine, key, genesis.chain_id),
        timings=NodeTimings(pacing=config.consensus.to_pacing()),
    )
    has_peers = bool(config.p2p.bootstrap) or config.p2p.mdns
    try:
        validate_store_not_behind_signer(
            node.storage.store.get_height(),
            config.data_dir / SIGNER_STATE_FILE,
            has_peers=has_peers,
        )
    except StorageError:
        node.storage.close()
        raise
    return node


async def run_daemon(
    config: NodeConfig,
    *,
    lifeline_fd: int | None = None,
    task_status: TaskStatus[DaemonInfo] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run the node until cancelled, signalled (SIGINT, SIGTERM, SIGHUP) or, when a launcher
    started it with a lifeline (``lifeline_fd``), until that launcher is gone."""
    node = build_node(config)
    unblock_stop_signals()  # a blocked mask inherited from the parent would hide them
    with trio.open_signal_receiver(*STOP_SIGNALS) as signals:
        async with trio.open_nursery() as nursery:
            await _start_services(nursery, node, config, task_status)
            if lifeline_fd is not None:
                nursery.start_soon(_stop_when_launcher_exits, lifeline_fd, nursery.cancel_scope)
            async for signum in signals:
                logger.info("received signal=%s, shutting down", signal.Signals(signum).name)
                nursery.cancel_scope.cancel()
                break


async def _stop_when_launcher_exits(lifeline_fd: int, scope: trio.CancelScope) -> None:
    await wait_for_launcher_exit(lifeline_fd)
    logger.warning("the launcher that started this node is gone; shutting down")
    scope.cancel()


async def _start_services(
    nursery: trio.Nursery, node: ChainNode, config: NodeConfig, task_status: TaskStatus[DaemonInfo]
) -> None:
    try:
        await nursery.start(node.run)
        api = config.api
        api_port = await nursery.start(serve_api, node, api.host, api.port, api.token)
    except ListenError as exc:
        raise PortInUseError(f"p2p: {exc}") from None
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise PortInUseError(f"a listening port is already in use: {exc}") from None
        raise
    role = node.misbehaviour
    if isinstance(role, Misbehaviour):
        await nursery.start(role.run, node)
    if config.training.enabled and node.key is not None and node.get_chain_state().tasks:
        trainer = _make_trainer(node, node.key, config)
        node.metric_sources.append(trainer.stats.get_metrics)
        await nursery.start(trainer.run)
    info = DaemonInfo(api_port, tuple(node.network.listen_addrs()), node.network.peer_id)
    _write_api_info(config, info)
    logger.info(
        "node started moniker=%s api_port=%d peer=%s", config.moniker, api_port, info.peer_id
    )
    task_status.started(info)


def _make_trainer(node: ChainNode, key: KeyPair, config: NodeConfig) -> Trainer:
    """The trainer: the catalog task, and the app tasks joined in ``config.toml`` (re-read
    when it changes, so ``task join`` needs no restart)."""
    apps = AppTasks(
        node,
        config.tasks,
        home=config.home,
        config_path=config.home / CONFIG_FILE,
        evaluate=config.training.evaluate,
        identity=key.address,
    )
    return Trainer(node, key, config.training, apps=apps)


def _write_api_info(config: NodeConfig, info: DaemonInfo) -> None:
    body = {
        "api": f"http://{config.api.host}:{info.api_port}",
        "pid": os.getpid(),
        "peer_id": info.peer_id,
        "p2p": list(info.p2p_addrs),
    }
    path = config.data_dir / API_INFO_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(body), encoding="utf-8")
    os.replace(tmp, path)


def find_cause(error: BaseException) -> BaseException:
    """The first leaf of (nested) exception groups that explains a failed start."""
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            found = find_cause(inner)
            if isinstance(found, NodeError | OSError | ListenError):
                return found
        return find_cause(error.exceptions[0])
    if isinstance(error, OSError) and error.errno == errno.EADDRINUSE:
        return PortInUseError(f"a listening port is already in use: {error}")
    if isinstance(error, ListenError):
        return PortInUseError(f"p2p: {error}")
    return error
