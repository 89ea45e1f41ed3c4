"""The client workload against real nodes: their HTTP APIs, from a thread of the runner.

The runner's loop stays as it is (poll, perturb, display); the clients run beside it in
:class:`WorkloadThread` so that a paused node's time-outs never slow the poll. At the end the
clients stop submitting, re-submit what is outstanding for up to ``drain_s``, and
:func:`reconcile_run` checks their history against every honest node's final chain.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence

from consensus.transactions import SignedTransaction
from node.api.client import ApiClient
from node.api.errors import ApiError, ApiUnavailableError, NotFoundError
from node.scenario.manifest import Manifest
from node.scenario.materialize import load_params
from node.scenario.observe import Fetch
from node.scenario.play import Play
from node.scenario.tracking import BlockLog
from node.scenario.workload import (
    Attempt,
    ClientTx,
    Outcome,
    Reconciliation,
    reconcile,
)
from node.scenario.workload_client import WorkloadClients, get_workload_keys

logger = logging.getLogger(__name__)


class ApiGateway:
    """The workload's way to the nodes: POST /txs, GET /txs/{hash}, GET /accounts/{address}."""

    def __init__(self, clients: Mapping[str, ApiClient]) -> None:
        self._clients = dict(clients)

    def submit(self, node: str, stx: SignedTransaction) -> Attempt:
        try:
            self._clients[node].submit_tx(stx)
        except ApiUnavailableError as exc:
            return Attempt(node, Outcome.UNREACHABLE, str(exc))
        except ApiError as exc:
            return Attempt(node, Outcome.REFUSED, str(exc))
        return Attempt(node, Outcome.ACCEPTED)

    def is_final(self, node: str, tx_hash: bytes) -> bool | None:
        try:
            self._clients[node].get(f"/txs/{tx_hash.hex()}")
        except NotFoundError:
            return False
        except ApiError:
            return None
        return True

    def get_nonce(self, node: str, address: bytes) -> int | None:
        try:
            nonce = self._clients[node].get(f"/accounts/{address.hex()}").get("nonce")
        except ApiError:
            return None
        return nonce if isinstance(nonce, int) else None


class WorkloadThread:
    """Steps the clients every ``interval_s`` until :meth:`finish`."""

    def __init__(
        self,
        clients: WorkloadClients,
        interval_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clients = clients
        self._interval_s = interval_s
        self._clock = clock
        self._submitting = True
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="workload", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.clients.step(self._clock(), submit_new=self._submitting)
            except Exception:  # a client bug must not hang the run; the check then fails
                logger.exception("workload client failed")
                return
            self._stop.wait(self._interval_s)

    def finish(self, drain_s: float) -> list[ClientTx]:
        """Stop new transfers, let outstanding ones be re-submitted for up to ``drain_s``,
        stop, and return the history."""
        self._submitting = False
        deadline = self._clock() + drain_s
        while self._thread.is_alive() and self.clients.outstanding and self._clock() < deadline:
            time.sleep(self._interval_s)
        self._stop.set()
        self._thread.join()
        return list(self.clients.history)


def reconcile_run(
    history: Sequence[ClientTx],
    chains: Mapping[str, BlockLog],
    reference: tuple[str, Fetch] | None,
    start_balances: Mapping[str, int],
) -> Reconciliation:
    """Reconcile against the honest nodes' block logs (caught up to their final heights);
    balances as the reference node reports them, its log caught up to that height first."""
    end_balances: dict[str, int] | None = None
    if reference is not None:
        name, fetch = reference
        end_balances, height = _fetch_balances(fetch, list(start_balances))
        if end_balances is not None and name in chains:
            chains[name].catch_up(fetch, height)
            if chains[name].height < height:
                end_balances = None  # cannot compare: the reference's blocks are not all read
    return reconcile(
        history,
        {name: {h: row.txs for h, row in log.blocks.items()} for name, log in chains.items()},
        start_balances,
        end_balances,
        None if reference is None else reference[0],
    )


def _fetch_balances(fetch: Fetch, addresses: list[str]) -> tuple[dict[str, int] | None, int]:
    balances, height = {}, 0
    for address in addresses:
        reply = fetch(f"/accounts/{address}")
        if reply is None or not isinstance(reply.get("balance"), int):
            return None, 0
        balances[address] = int(reply["balance"])
        height = max(height, int(reply.get("height") or 0))
    return balances, height


def start_workload(
    plan: Manifest, clients: Mapping[str, ApiClient], seed: int
) -> WorkloadThread | None:
    """The manifest's client workload, running (None when ``[workload]`` is off)."""
    spec = plan.workload
    if not spec.accounts:
        return None
    workload = WorkloadClients(
        spec,
        get_workload_keys(plan),
        chain_id=plan.network_chain_id,
        fee=load_params(plan).min_fee,
        nodes=list(clients),
        gateway=ApiGateway(clients),
        rng=random.Random(seed),
    )
    thread = WorkloadThread(workload, spec.interval_s)
    thread.start()
    logger.info("client workload started accounts=%d nodes=%d", spec.accounts, len(clients))
    return thread


def finish_workload(thread: WorkloadThread, play: Play) -> Reconciliation:
    """Drain the clients, read the honest nodes' final chains again, reconcile."""
    history = thread.finish(play.manifest.workload.drain_s)
    play.poll(play.now())
    honest = [m for m in play.members if m.honest and play.statuses.get(m.name)]
    for member in honest:
        status = play.statuses[member.name]
        if status is not None:
            play.blocks[member.name].catch_up(member.fetch, status.height)
    reference = play.reference()
    balance = play.manifest.workload.balance
    result = reconcile_run(
        history,
        {m.name: play.blocks[m.name] for m in honest},
        None if reference is None else (reference.name, reference.fetch),
        {key.address.hex(): balance for key in get_workload_keys(play.manifest)},
    )
    logger.info("client workload reconciled %s", result.to_json())
    return result
