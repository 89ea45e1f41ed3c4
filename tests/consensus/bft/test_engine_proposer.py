"""The proposer's side: building a block from the mempool's picks, and stale answers."""

from __future__ import annotations

from consensus.bft.engine import on_proposal_txs, on_start, on_timeout
from consensus.bft.events import ProposalTxs, SignProposal, Step, Timeout
from consensus.bft.state import new_consensus_state
from consensus.ledger.devnet import sign_transaction
from consensus.transactions import Transfer
from consensus.validators import get_proposer
from tests.consensus.bft.cluster import CHAIN_ID, get_key_of, make_chain


def test_engine_proposer_builds_a_block_from_the_offered_transactions() -> None:
    keys, chain = make_chain(4)
    me = get_key_of(keys, get_proposer(chain.validators, 0))
    sender = next(k for k in keys if k != me)
    good = sign_transaction(sender, CHAIN_ID, 0, Transfer(me.address, 5))
    replayed = sign_transaction(sender, CHAIN_ID, 0, Transfer(me.address, 6))  # same nonce
    state, _ = on_start(new_consensus_state(chain, me.address), 0)
    _, effects = on_proposal_txs(state, ProposalTxs(1, 0, (good, replayed)), 7_000)
    (sign,) = effects
    assert isinstance(sign, SignProposal)
    assert sign.block.txs == (good,)
    assert sign.block.header.time_ms == 7_000 and sign.block.header.proposer == me.address
    assert sign.proposal.block_hash == sign.block.hash
    assert (sign.proposal.height, sign.proposal.round, sign.proposal.pol_round) == (1, 0, -1)


def test_engine_block_time_never_goes_backwards() -> None:
    _, chain = make_chain(4)
    me = get_proposer(chain.validators, 0)
    state, _ = on_start(new_consensus_state(chain, me), 0)
    _, (sign,) = on_proposal_txs(state, ProposalTxs(1, 0, ()), chain.time_ms - 5)
    assert isinstance(sign, SignProposal)
    assert sign.block.header.time_ms == chain.time_ms + 1


def test_engine_ignores_stale_or_foreign_proposal_txs() -> None:
    keys, chain = make_chain(4)
    me = get_proposer(chain.validators, 0)
    state, _ = on_start(new_consensus_state(chain, me), 0)
    for stale in (ProposalTxs(1, 1, ()), ProposalTxs(2, 0, ())):
        same, effects = on_proposal_txs(state, stale, 0)
        assert same is state and effects == ()
    moved, _ = on_timeout(state, Timeout(1, 0, Step.PROPOSE), 0)
    same, effects = on_proposal_txs(moved, ProposalTxs(1, 0, ()), 0)
    assert same is moved and effects == ()
    other = next(k.address for k in keys if k.address != me)
    bystander, _ = on_start(new_consensus_state(chain, other), 0)
    same, effects = on_proposal_txs(bystander, ProposalTxs(1, 0, ()), 0)
    assert same is bystander and effects == ()
