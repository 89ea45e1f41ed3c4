"""Running nodes: configuration, keys, genesis files, the daemon, local testnets and launchers.

Owns what an operator touches: ``config.toml`` parsing and validation, key and genesis files, the
daemon that assembles a node (network, chain, trainer, API) and runs it, ``testnet create`` and
the process launcher with its cluster reports. It may import every lower layer (``node.chain``,
``node.learning``, ``node.byzantine``, ``node.api``, ``node.network``, ``node.storage``); only
``node.cli``, ``node.scenario`` and ``node.sim`` may import it.
"""
