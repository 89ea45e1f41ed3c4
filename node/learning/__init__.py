"""The learning loop on top of the chain: local training, aggregation on finality, the audit.

Owns the trainer (which drives the training worker process and submits deltas), the aggregator
(which derives the next model version once a block is final, bit for bit on every node) and the
audit that traces a model version back to its block, deltas, contributors and rewards. It may
import ``consensus``, ``ml``, ``node.errors``, ``node.storage``, ``node.chain`` and
``node.byzantine`` (the poisoning attacks a test role trains with); never ``node.ops``,
``node.api``, ``node.cli``, ``node.scenario`` or ``node.sim``.
"""
