"""Scenario manifests (``configs/scenarios/*.toml``) and the tools that run them.

A manifest describes a network (validators and full nodes, stake and votes, data partition,
training task), a schedule of perturbations and partitions, Byzantine roles, and the checks a
run must pass. The same manifest runs as real processes (``deltachain sim run``), through the
deterministic in-process simulator (``--mode simulate``), or under docker-compose
(``deltachain sim compose``).
"""
