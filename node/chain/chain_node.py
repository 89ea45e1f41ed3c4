"""A chain node: storage, mempool, driver, gossip wiring, block sync and re-sending, on any
implementation of the network port (libp2p in production, in-memory in tests).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import trio
from trio_typing import TaskStatus

from consensus.bft.events import EvidenceFound, ProposalMessage
from consensus.bft.state import ConsensusState, new_consensus_state
from consensus.block import Block, FinalizedBlock
from consensus.crypto import KeyPair
from consensus.errors import InvalidTransactionError
from consensus.genesis import Genesis
from consensus.ledger import get_ready_tasks, process_aggregations
from consensus.messages import SignedVote
from consensus.state import ChainState
from consensus.transactions import ModelDelta, SignedTransaction, Transaction
from consensus.validators import ValidatorSet
from node.chain.aggregator import Aggregator
from node.chain.driver import Driver, restore_consensus_state
from node.chain.fetch_policy import FetchPolicy
from node.chain.gossip import (
    MAX_INLINE_PAYLOAD,
    MAX_PROPOSAL_GOSSIP,
    MAX_VOTE_GOSSIP,
    GossipValidators,
    decode_gossip,
    decode_tx_gossip,
    encode_gossip,
    encode_tx_gossip,
)
from node.chain.hooks import MisbehaviourHooks
from node.chain.mempool import EarlyDeltaHeldError, Mempool, MempoolError
from node.chain.pacing import BlockPacing
from node.chain.payload_fetch import PayloadFetcher
from node.chain.recent import RecentMessages
from node.chain.signer import SIGNER_STATE_FILE, PersistentSigner
from node.chain.sync import BlockSync
from node.chain.task_model import check_transaction, validate_block_tasks
from node.chain.view import StatusReport, compute_percentile
from node.errors import StorageError
from node.network.errors import NetworkError
from node.network.peer_id import compute_key_peer_id
from node.network.port import NetworkPort, PeerMetricsSource
from node.network.values import (
    GossipMessage,
    PeerId,
    Providers,
    Status,
    TopicKind,
    get_topic_name,
)
from node.storage.chain_store import Contribution, ModelRecord, TxLocation
from node.storage.layout import Storage, compute_genesis_hash, load_chain_state

logger = logging.getLogger(__name__)


MAX_RESEND_BACKOFF_S = 16.0

NetworkFactory = Callable[[Providers], NetworkPort]
Clock = Callable[[], int]


@dataclass(frozen=True)
class NodeTimings:
    """Shell-side intervals (consensus timeouts come from the chain parameters)."""

    sync_interval_s: float = 1.0
    resend_after_s: float = 2.0
    resend_check_s: float = 0.5
    max_payload_bytes: int = 64 << 20
    payload_fetch: FetchPolicy = field(default_factory=FetchPolicy)
    pacing: BlockPacing = field(default_factory=BlockPacing)


class ChainNode:
    """One node of a Deltachain network; ``run`` it in a nursery (``await nursery.start``)."""

    def __init__(
        self,
        genesis: Genesis,
        *,
        key: KeyPair | None,
        data_dir: Path,
        network_factory: NetworkFactory,
        now_ms: Clock,
        timings: NodeTimings = NodeTimings(),
        moniker: str = "",
        misbehaviour: MisbehaviourHooks | None = None,
    ) -> None:
        self.moniker = moniker
        self.misbehaviour = misbehaviour
        self.metric_sources: list[Callable[[], dict[str, float]]] = []
        """More samples for ``get_metrics`` (the trainer's counters, when it runs)."""
        """A Byzantine role (``node.byzantine``, test networks only); None for an honest node."""
        self.genesis_hash = compute_genesis_hash(genesis)
        self.chain_id = genesis.chain_id
        self.key = key
        self.timings = timings
        self.storage = Storage.open(data_dir)
        try:
            chain = load_chain_state(self.storage.store, genesis)
        except BaseException:
            self.storage.close()  # a refused start leaves nothing open
            raise
        if self.storage.store.get_height() == 0:
            self.storage.store.save_validator_set(1, chain.validators)
        state = new_consensus_state(chain, key.address if key else None)
        state = restore_consensus_state(self.storage.store, state)
        self.mempool = Mempool(chain, check_transaction)
        signer = PersistentSigner(key, self.chain_id, data_dir / SIGNER_STATE_FILE) if key else None
        providers = Providers(self._provide_blob, self._provide_blocks, self._provide_status)
        self.network = network_factory(providers)
        self.driver = Driver(
            state,
            signer,
            self.storage.wal,
            self.storage.store,
            self.mempool,
            self,
            now_ms,
            misbehaviour=misbehaviour,
            pacing=timings.pacing,
        )
        self.sync = BlockSync(
            self.network,
            self.get_state,
            self.driver.inbox,
            self.genesis_hash,
            chain_changed=lambda: self.driver.chain_changed,
        )
        self.payloads = PayloadFetcher(self.network, self.storage.blobs.put, timings.payload_fetch)
        self.aggregator = Aggregator(
            self.storage.blobs, self.storage.store, self.fetch_blob, self.driver.inbox
        )
        self.driver.listeners.append(self.aggregator.on_finalized)
        self.driver.proposal_listeners.append(self.aggregator.prepare)
        self.recent = RecentMessages()
        """What we signed at the newest height, for re-sending (bounded)."""
        self._local_txs: dict[bytes, SignedTransaction] = {}
        self._txs_resent_at = 0.0
        self._resends = 0
        self._refused_proposals = 0

    def get_state(self) -> ConsensusState:
        return self.driver.state

    # ---- running ----------------------------------------------------------------------------

    async def run(self, *, task_status: TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        try:
            async with self.network, trio.open_nursery() as nursery:
                await nursery.start(self.payloads.run)
                validators = GossipValidators(self.get_state)
                votes = await self.network.subscribe(
                    self._topic(TopicKind.VOTES), validators.validate_vote
                )
                proposals = await self.network.subscribe(
                    self._topic(TopicKind.PROPOSALS), validators.validate_proposal
                )
                txs = await self.network.subscribe(
                    self._topic(TopicKind.TXS), validators.validate_tx
                )
                await self._recover_aggregations()
                await nursery.start(self.driver.run)
                nursery.start_soon(self._pump_votes, votes)
                nursery.start_soon(self._pump_proposals, proposals)
                nursery.start_soon(self._pump_txs, txs)
                nursery.start_soon(self.sync.run, self.timings.sync_interval_s)
                nursery.start_soon(self._resend_loop)
                task_status.started()
        finally:
            self.storage.close()

    def _topic(self, kind: TopicKind) -> str:
        return get_topic_name(self.chain_id, kind)

    async def _pump_votes(self, channel: trio.MemoryReceiveChannel[GossipMessage]) -> None:
        async for message in channel:
            vote = decode_gossip(SignedVote, message.data, MAX_VOTE_GOSSIP)
            await self.driver.inbox.send(vote)

    async def _pump_proposals(self, channel: trio.MemoryReceiveChannel[GossipMessage]) -> None:
        async for message in channel:
            proposal = decode_gossip(ProposalMessage, message.data, MAX_PROPOSAL_GOSSIP)
            proposer = proposal.signed.proposal.proposer
            if not self._is_admissible(proposal):
                continue
            if await self._fetch_missing_payloads(proposal.block, proposer, message.origin):
                await self.driver.inbox.send(proposal)

    async def _pump_txs(self, channel: trio.MemoryReceiveChannel[GossipMessage]) -> None:
        async for message in channel:
            stx, payload = decode_tx_gossip(message.data)
            body = stx.tx.body
            if payload is not None:  # checked against the delta's hash by the decoder
                self.storage.blobs.put(payload, durable=False)  # its peers hold it too
            elif isinstance(body, ModelDelta) and not await self.fetch_blob(
                body.payload_hash, body.payload_size, (stx.tx.sender,), message.origin
            ):
                continue
            try:
                self.mempool.add(stx)
            except MempoolError as exc:
                logger.debug("gossiped tx=%s not admitted: %s", stx.hash.hex()[:12], exc)

    async def _recover_aggregations(self) -> None:
        """Finish aggregations a crash interrupted (state saved after a block, before them)."""
        chain = self.get_state().chain
        ready = get_ready_tasks(chain)
        if not ready:
            return
        logger.info("recovering aggregations tasks=%s height=%d", ready, chain.height)
        outcomes = [
            await self.aggregator.aggregate_with_retry(chain, chain.tasks[t]) for t in ready
        ]
        for outcome in outcomes:
            self.aggregator.record(outcome, chain.tasks[outcome.result.task_id], chain.height)
        chain = process_aggregations(chain, tuple(o.result for o in outcomes))
        self.storage.store.save_state(chain)
        self.driver.state = replace(self.driver.state, chain=chain)

    def _is_admissible(self, message: ProposalMessage) -> bool:
        """Whether the proposed block opens no impossible task: a block that does never reaches
        the driver, so we prevote nil for the round as for a proposal we never received."""
        try:
            validate_block_tasks(message.block.txs)
        except InvalidTransactionError as exc:
            self._refused_proposals += 1
            proposal = message.signed.proposal
            logger.warning(
                "refusing proposal height=%d round=%d proposer=%s: %s",
                proposal.height,
                proposal.round,
                proposal.proposer.hex()[:16],
                exc,
            )
            return False
        return True

    # ---- data availability ------------------------------------------------------------------

    async def _fetch_missing_payloads(self, block: Block, proposer: bytes, origin: PeerId) -> bool:
        """Whether we hold (now) every payload ``block`` references: we prevote only then."""
        for stx in block.txs:
            body = stx.tx.body
            if isinstance(body, ModelDelta) and not await self.fetch_blob(
                body.payload_hash, body.payload_size, (stx.tx.sender, proposer), origin
            ):
                return False
        return True

    async def fetch_blob(
        self,
        blob_hash: bytes,
        max_size: int,
        senders: Sequence[bytes] = (),
        origin: PeerId | None = None,
    ) -> bool:
        """Whether we hold the blob, after fetching it if needed: first from the nodes of the
        accounts that advertised it (``senders``: a delta's sender, the block's proposer),
        then from ``origin`` (whose gossip named it), then from any connected peer."""
        if self.storage.blobs.has(blob_hash):
            return True
        limit = min(max_size, self.timings.max_payload_bytes)
        advertisers = [compute_key_peer_id(sender) for sender in senders]
        if origin is not None:
            advertisers.append(origin)
        return await self.payloads.fetch(blob_hash, limit, advertisers)

    # ---- what the driver sends (the driver's Gossip port) -----------------------------------

    async def _publish(self, kind: TopicKind, value: object, resend: int = 0) -> None:
        try:
            await self.network.publish(self._topic(kind), encode_gossip(value, resend))
        except NetworkError as exc:
            logger.warning("publish on topic=%s failed: %s", kind.value, exc)

    async def publish_vote(self, vote: SignedVote) -> None:
        self.recent.add(vote)
        await self._publish(TopicKind.VOTES, vote)

    async def publish_proposal(self, message: ProposalMessage) -> None:
        self.recent.add(message)
        await self._publish(TopicKind.PROPOSALS, message)

    async def publish_evidence(self, evidence: EvidenceFound) -> None:
        if self.key is None:
            return
        nonce = self.mempool.get_next_nonce(self.key.address)
        fee = self.get_state().chain.params.min_fee
        tx = Transaction(self.chain_id, self.key.address, nonce, fee, evidence.evidence)
        try:
            await self.submit_transaction(SignedTransaction(tx, self.key.sign(tx.sign_bytes())))
        except MempoolError as exc:
            logger.info("evidence not submitted: %s", exc)

    async def submit_transaction(self, stx: SignedTransaction) -> None:
        """Admit ``stx`` to our mempool (raises MempoolError) and gossip it; it is re-sent
        while it waits, since gossip alone does not guarantee delivery. A delta on the version
        a final block is deriving right now is held (``EarlyDeltaHeldError``) and gossiped at once:
        the peers hold it too, and admit it when they derive that version."""
        try:
            self.mempool.add(stx)
        except EarlyDeltaHeldError:
            logger.debug("own tx=%s held until its base version is derived", stx.hash.hex()[:12])
        if self.misbehaviour is not None:
            self.misbehaviour.on_submitted(stx)
        self._local_txs[stx.hash] = stx
        await self._publish_tx(stx)

    async def _resend_loop(self) -> None:
        """Re-send our messages of the current height while it does not move (with backoff:
        re-sending is itself load on a busy network), and our own waiting transactions."""
        last_height, since, wait_s = -1, trio.current_time(), self.timings.resend_after_s
        while True:
            await trio.sleep(self.timings.resend_check_s)
            height = self.get_state().height
            if height != last_height:
                last_height, since = height, trio.current_time()
                wait_s = self.timings.resend_after_s
            elif trio.current_time() - since >= wait_s:
                await self._resend_consensus(height)
                since, wait_s = trio.current_time(), min(wait_s * 2, MAX_RESEND_BACKOFF_S)
            if trio.current_time() - self._txs_resent_at >= self.timings.resend_after_s:
                await self._resend_txs()

    async def _resend_consensus(self, height: int) -> None:
        """Re-send what we signed in the latest round of ``height`` (older rounds are moot)."""
        self._resends += 1
        for message in self.recent.get_latest_round(height):
            kind = TopicKind.VOTES if isinstance(message, SignedVote) else TopicKind.PROPOSALS
            await self._publish(kind, message, self._resends)

    async def _resend_txs(self) -> None:
        self._txs_resent_at = trio.current_time()
        for tx_hash, stx in list(self._local_txs.items()):
            if tx_hash not in self.mempool and not self.mempool.is_held(tx_hash):
                del self._local_txs[tx_hash]  # included in a block, or no longer valid
                continue
            self._resends += 1
            await self._publish_tx(stx, self._resends)

    async def _publish_tx(self, stx: SignedTransaction, resend: int = 0) -> None:
        """Gossip ``stx``, with its delta payload inline when small (``MAX_INLINE_PAYLOAD``)
        the first time only. A re-send is for a peer that missed the transaction; the payload
        it can fetch by hash from us. Re-sending the payload too put every waiting delta's
        payload on the wire again every few seconds, times the mesh's fan-out, on each of 21
        nodes while a busy chain stalled: more load exactly when the chain was slowest."""
        body, payload = stx.tx.body, None
        first = resend == 0
        if first and isinstance(body, ModelDelta) and body.payload_size <= MAX_INLINE_PAYLOAD:
            payload = self._provide_blob(body.payload_hash)
        data = encode_tx_gossip(stx, payload, resend)
        try:
            await self.network.publish(self._topic(TopicKind.TXS), data)
        except NetworkError as exc:
            logger.warning("publish on topic=%s failed: %s", TopicKind.TXS.value, exc)

    # ---- the read side (NodeView) -----------------------------------------------------------

    def get_chain_state(self) -> ChainState:
        return self.get_state().chain

    def get_finalized(self, height: int) -> FinalizedBlock | None:
        return self.storage.store.get_finalized(height)

    def find_transaction(self, tx_hash: bytes) -> tuple[TxLocation, SignedTransaction] | None:
        location = self.storage.store.find_tx(tx_hash)
        if location is None:
            return None
        finalized = self.storage.store.get_finalized(location.height)
        if finalized is None:
            return None
        return location, finalized.block.txs[location.position]

    def get_models(self, task_id: int) -> list[ModelRecord]:
        return self.storage.store.get_models(task_id)

    def get_contributions(self, task_id: int, version: int) -> list[Contribution]:
        return self.storage.store.get_contributions(task_id, version)

    def get_validator_set(self, height: int) -> ValidatorSet | None:
        return self.storage.store.get_validator_set(height)

    def get_blob(self, blob_hash: bytes) -> bytes | None:
        return self.storage.blobs.get(blob_hash)

    def put_blob(self, data: bytes) -> bytes:
        return self.storage.blobs.put(data)

    def get_next_nonce(self, address: bytes) -> int:
        return self.mempool.get_next_nonce(address)

    def get_status(self) -> StatusReport:
        state = self.get_state()
        latest = self.storage.store.get_finalized(state.chain.height)
        latencies = self.driver.stats.finality_ms
        return StatusReport(
            chain_id=self.chain_id,
            moniker=self.moniker,
            peer_id=self.network.peer_id,
            address=self.key.address.hex() if self.key else "",
            is_validator=self.key is not None and self.key.address in state.validators,
            height=state.chain.height,
            round=state.round,
            step=state.step.name.lower(),
            latest_block_hash=latest.block.hash.hex() if latest else "",
            latest_block_time_ms=latest.block.header.time_ms if latest else 0,
            peers=len(self.network.connected_peers()),
            mempool_txs=len(self.mempool),
            finality_p50_ms=compute_percentile(latencies, 0.5),
            finality_p99_ms=compute_percentile(latencies, 0.99),
            models={tid: task.version for tid, task in state.chain.tasks.items()},
        )

    def get_metrics(self) -> dict[str, float]:
        state, stats = self.get_state(), self.driver.stats
        metrics: dict[str, float] = {
            "deltachain_height": state.chain.height,
            "deltachain_round": state.round,
            "deltachain_peers": len(self.network.connected_peers()),
            "deltachain_mempool_txs": len(self.mempool),
            "deltachain_mempool_bytes": self.mempool.total_bytes,
            "deltachain_consensus_inputs_total": stats.inputs,
            "deltachain_consensus_rejected_total": stats.rejected,
            "deltachain_signer_refusals_total": stats.refused_signatures,
            "deltachain_blocks_finalized_total": stats.finalized,
            "deltachain_blocks_synced_total": self.sync.synced_blocks,
            "deltachain_resends_total": self._resends,
            "deltachain_proposals_refused_total": self._refused_proposals,
            "deltachain_validators": len(state.validators),
            "deltachain_minted_total": state.chain.minted,
            "deltachain_burned_total": state.chain.burned,
            "deltachain_aggregations_total": self.aggregator.aggregations,
            "deltachain_aggregations_prepared_total": self.aggregator.prepared_used,
        }
        for source in self.metric_sources:
            metrics.update(source())
        backed_off = self.payloads.memory.count_backed_off(trio.current_time())
        metrics.update(self.payloads.stats.get_metrics(backed_off))
        metrics.update(self.driver.timeline.get_samples())
        if isinstance(self.network, PeerMetricsSource):  # scores, rejections, bans by peer
            metrics.update(self.network.get_peer_metrics())
        if self.misbehaviour is not None:  # what a Byzantine role did on purpose, by kind
            for kind, count in self.misbehaviour.counts.items():
                metrics[f"deltachain_byzantine_{kind}_total"] = count
        return metrics

    # ---- providers for the request/response protocols ---------------------------------------

    def _provide_blob(self, blob_hash: bytes) -> bytes | None:
        if self.misbehaviour is not None and self.misbehaviour.withholds_blob(blob_hash):
            return None
        try:
            return self.storage.blobs.get(blob_hash)
        except StorageError as exc:
            logger.warning("blob lookup failed: %s", exc)
            return None

    def _provide_blocks(self, start: int, end: int) -> list[bytes]:
        return self.storage.store.get_encoded_range(start, end)

    def _provide_status(self) -> Status:
        return Status(self.chain_id, self.genesis_hash, self.get_state().chain.height)
