"""Tendermint BFT consensus as a pure state machine (see docs/adr/040-tendermint-engine.md).

Public API (import from the submodules; this package imports nothing so that
``consensus.ledger`` can use ``consensus.bft.events`` without a cycle):

- ``consensus.bft.state``: ``ConsensusState``, ``new_consensus_state(chain, me, verify)``
- ``consensus.bft.engine``: ``on_start``, ``on_proposal``, ``on_vote``, ``on_timeout``,
  ``on_proposal_txs``, ``on_aggregations_done``, ``on_finalized_block``; each
  ``(state, input, now_ms) -> (new_state, effects)``
- ``consensus.bft.events``: the inputs and effects (the contract with the shell)
"""
