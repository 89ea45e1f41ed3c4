"""A tiny deterministic driver for engine tests: real keys, real signatures, a message queue.

It carries out effects the way a node's shell would: signs (SignVote/SignProposal), delivers to
every node including the signer, answers RequestProposalTxs with its ``mempool`` and keeps
scheduled timeouts until the test fires them. Tests choose delivery order and drops.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from consensus.bft.engine import (
    on_proposal,
    on_proposal_txs,
    on_start,
    on_timeout,
    on_vote,
)
from consensus.bft.events import (
    Effect,
    EvidenceFound,
    Finalized,
    ProposalMessage,
    ProposalTxs,
    RequestProposalTxs,
    ScheduleTimeout,
    SignProposal,
    SignVote,
    Timeout,
)
from consensus.bft.state import ConsensusState, new_consensus_state
from consensus.block import Block, Commit
from consensus.crypto import KeyPair
from consensus.genesis import GenesisTask
from consensus.ledger import build_block, compute_genesis_state
from consensus.ledger.devnet import make_devnet_genesis, make_keys
from consensus.messages import Proposal, SignedProposal, SignedVote, Vote, VoteType
from consensus.params import ChainParams
from consensus.primitives import Address
from consensus.state import ChainState
from consensus.transactions import SignedTransaction
from consensus.validators import get_proposer

CHAIN_ID = "bft-test"
E = TypeVar("E")
Message = SignedVote | ProposalMessage


def make_chain(
    count: int = 4, params: ChainParams | None = None, tasks: tuple[GenesisTask, ...] = ()
) -> tuple[tuple[KeyPair, ...], ChainState]:
    """``count`` validator keys (sorted by address) and the genesis state they validate."""
    keys = tuple(sorted(make_keys(count, namespace=7), key=lambda k: k.address))
    genesis = make_devnet_genesis(CHAIN_ID, keys, params or ChainParams(max_validators=count))
    return keys, compute_genesis_state(dataclasses.replace(genesis, tasks=tasks))


def make_weighted_chain(stakes: tuple[int, ...]) -> tuple[tuple[KeyPair, ...], ChainState]:
    """Validators whose bonded stakes (and so voting powers) are ``stakes``, in key order."""
    keys = tuple(sorted(make_keys(len(stakes), namespace=7), key=lambda k: k.address))
    genesis = make_devnet_genesis(CHAIN_ID, keys, ChainParams(max_validators=len(stakes)))
    accounts = tuple(
        dataclasses.replace(account, bonded=stake)
        for account, stake in zip(genesis.accounts, stakes, strict=True)
    )
    return keys, compute_genesis_state(dataclasses.replace(genesis, accounts=accounts))


def sign_vote(key: KeyPair, vote: Vote) -> SignedVote:
    return SignedVote(vote, key.sign(vote.sign_bytes(CHAIN_ID)))


def sign_proposal(key: KeyPair, effect: SignProposal) -> ProposalMessage:
    proposal: Proposal = effect.proposal
    signed = SignedProposal(proposal, key.sign(proposal.sign_bytes(CHAIN_ID)))
    return ProposalMessage(signed, effect.block)


@dataclass
class Cluster:
    """Nodes by address; ``inbox[addr]`` holds messages not yet delivered to that node."""

    keys: dict[Address, KeyPair]
    nodes: dict[Address, ConsensusState]
    now_ms: int = 1_000
    inbox: dict[Address, deque[Message]] = field(default_factory=dict)
    timeouts: dict[Address, list[ScheduleTimeout]] = field(default_factory=dict)
    finalized: dict[Address, list[Finalized]] = field(default_factory=dict)
    evidence: list[EvidenceFound] = field(default_factory=list)
    mempool: tuple[SignedTransaction, ...] = ()
    """What every proposer offers when asked for transactions."""
    log: dict[Address, list[Effect]] = field(default_factory=dict)
    """Every effect each node's engine returned, in order."""
    held: set[Address] = field(default_factory=set)
    """Nodes whose inbox ``run`` leaves alone (messages pile up until the test delivers them)."""

    @classmethod
    def start(
        cls,
        keys: tuple[KeyPair, ...],
        chain: ChainState,
        mempool: tuple[SignedTransaction, ...] = (),
        observers: tuple[Address, ...] = (),
    ) -> Cluster:
        """Validators for ``keys`` and full nodes (no key) at ``observers``, all started."""
        cluster = cls({k.address: k for k in keys}, {}, mempool=mempool)
        for key in keys:
            cluster.add_node(key.address, new_consensus_state(chain, key.address))
        for address in observers:
            cluster.add_node(address, new_consensus_state(chain, None))
        for address in list(cluster.nodes):
            cluster.nodes[address], effects = on_start(cluster.nodes[address], cluster.now_ms)
            cluster.carry_out(address, effects)
        return cluster

    def add_node(self, address: Address, state: ConsensusState) -> None:
        self.nodes[address] = state
        self.inbox[address] = deque()
        self.timeouts[address] = []
        self.finalized[address] = []
        self.log[address] = []

    def broadcast(self, message: Message) -> None:
        for queue in self.inbox.values():
            queue.append(message)

    def carry_out(self, address: Address, effects: tuple[Effect, ...]) -> None:
        key = self.keys.get(address)
        self.log[address].extend(effects)
        for effect in effects:
            if isinstance(effect, SignVote) and key is not None:
                self.broadcast(sign_vote(key, effect.vote))
            elif isinstance(effect, SignProposal) and key is not None:
                self.broadcast(sign_proposal(key, effect))
            elif isinstance(effect, RequestProposalTxs):
                self.answer(address, ProposalTxs(effect.height, effect.round, self.mempool))
            elif isinstance(effect, ScheduleTimeout):
                self.timeouts[address].append(effect)
            elif isinstance(effect, Finalized):
                self.finalized[address].append(effect)
            elif isinstance(effect, EvidenceFound):
                self.evidence.append(effect)

    def apply(
        self,
        address: Address,
        handler: Callable[[ConsensusState], tuple[ConsensusState, tuple[Effect, ...]]],
    ) -> None:
        self.nodes[address], effects = handler(self.nodes[address])
        self.carry_out(address, effects)

    def answer(self, address: Address, txs: ProposalTxs) -> None:
        self.apply(address, lambda s: on_proposal_txs(s, txs, self.now_ms))

    def deliver(self, address: Address, message: Message) -> None:
        if isinstance(message, SignedVote):
            self.apply(address, lambda s: on_vote(s, message, self.now_ms))
        else:
            self.apply(address, lambda s: on_proposal(s, message, self.now_ms))

    def run(self, accept: Callable[[Address, Message], bool] = lambda a, m: True) -> None:
        """Deliver queued messages round-robin until every inbox is empty."""
        while any(q for a, q in self.inbox.items() if a not in self.held):
            for address, queue in self.inbox.items():
                if queue and address not in self.held:
                    message = queue.popleft()
                    if accept(address, message):
                        self.deliver(address, message)

    def fire(self, address: Address, timeout: Timeout) -> None:
        self.apply(address, lambda s: on_timeout(s, timeout, self.now_ms))

    def fire_pending(self) -> None:
        """Fire every scheduled timeout once (the earliest-scheduled first)."""
        for address in [a for a in self.nodes if a not in self.held]:
            pending, self.timeouts[address] = self.timeouts[address], []
            for scheduled in sorted(pending, key=lambda t: t.delay_ms):
                self.fire(address, scheduled.timeout)


def get_key_of(keys: tuple[KeyPair, ...], address: Address) -> KeyPair:
    return next(k for k in keys if k.address == address)


def get_proposer_key(keys: tuple[KeyPair, ...], chain: ChainState, round_: int) -> KeyPair:
    """The key of the proposer of ``round_`` at height ``chain.height + 1``."""
    return get_key_of(keys, get_proposer(chain.validators, round_))


def propose(
    key: KeyPair,
    chain: ChainState,
    round_: int,
    *,
    pol_round: int = -1,
    block: Block | None = None,
    time_ms: int | None = None,
    last_commit: Commit | None = None,
) -> ProposalMessage:
    """A signed proposal by ``key`` of ``block`` (default: a fresh empty block by ``key``)."""
    if block is None:
        stamp = chain.time_ms + 1 + round_ if time_ms is None else time_ms
        block = build_block(chain, (), key.address, stamp, last_commit)
    proposal = Proposal(chain.height + 1, round_, pol_round, block.hash, key.address)
    return sign_proposal(key, SignProposal(proposal, block))


def vote(
    key: KeyPair, vote_type: VoteType, height: int, round_: int, block_hash: bytes | None
) -> SignedVote:
    return sign_vote(key, Vote(vote_type, height, round_, block_hash, key.address))


def get_effects_of(effects: tuple[Effect, ...], kind: type[E]) -> list[E]:
    return [e for e in effects if isinstance(e, kind)]


def feed_own(
    key: KeyPair, result: tuple[ConsensusState, tuple[Effect, ...]]
) -> tuple[ConsensusState, tuple[Effect, ...]]:
    """Sign our own SignVote effects of a handler's result and feed them back, as a shell does.

    Returns the final state and every effect seen on the way.
    """
    state, effects = result
    seen = list(effects)
    pending = [e for e in effects if isinstance(e, SignVote)]
    while pending:
        signed = sign_vote(key, pending.pop(0).vote)
        state, more = on_vote(state, signed, 0)
        seen.extend(more)
        pending.extend(e for e in more if isinstance(e, SignVote))
    return state, tuple(seen)


def get_own_votes(effects: tuple[Effect, ...]) -> list[tuple[VoteType, bytes | None]]:
    """(type, block hash) of every vote the engine asked to sign, in order."""
    return [(e.vote.vote_type, e.vote.block_hash) for e in effects if isinstance(e, SignVote)]
