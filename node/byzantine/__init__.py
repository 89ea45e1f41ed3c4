"""Byzantine roles for test networks: a real node that misbehaves on purpose.

A role is chosen only by ``[byzantine] role`` in a node's ``config.toml`` (``node.ops.config``);
the default, ``""``, builds no :class:`~node.byzantine.base.Misbehaviour` at all, so an honest
node runs none of this code. See ``docs/node.md`` ("Byzantine roles") for what each role does
on the wire and which defence of the honest nodes it exercises.

This module imports nothing: ``node.ops.config`` reads the role names from ``node.byzantine.roles``.
"""
