"""The node's consensus machinery and its wiring: the chain node, the driver, the mempool.

Owns everything that turns inputs into final blocks on one node: the :class:`ChainNode` that ties
the network port to the driver, the driver that owns consensus state (WAL before apply), the
persistent signer, the mempool, gossip validation, block sync and the read-only node view. It may
import ``consensus``, ``ml`` (codecs and values only), ``node.errors``, ``node.network`` and
``node.storage``; never ``node.learning``, ``node.byzantine``, ``node.ops``, ``node.api``,
``node.cli``, ``node.scenario`` or ``node.sim``. What runs on finality (aggregation) and what a
Byzantine role does plug in through the protocols of :mod:`node.chain.hooks`.
"""
