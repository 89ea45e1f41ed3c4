"""Run a manifest on real node processes (``deltachain sim run``) and judge the run.

The runner writes the node homes (:func:`~node.scenario.materialize.materialize`), starts the
nodes on loopback or, with ``netns``, each in its own network namespace, or, with ``docker``,
each in its own container (:mod:`node.scenario.docker_setup`), plays the schedule
while it polls every node's API, ends at the hard duration or once every goal is reached
(``stop_when_done``), undoes whatever is still perturbed, waits (bounded) for the nodes to catch
up, observes every node and judges with :func:`~node.scenario.verdict.judge`. With
``[workload]`` a client workload (:mod:`node.scenario.workload_api`) submits transfers during
the whole run and is reconciled against the final chains at the end. Whatever happens
(a failed check, an exception, Ctrl-C, SIGTERM, SIGHUP) every node is stopped, paused ones resumed
first, namespaces are removed, and no process, container, network or volume of the run is left
behind.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from node.ops.signals import stop_signals_raise
from node.scenario.errors import ScenarioError
from node.scenario.manifest import Manifest
from node.scenario.options import RunOptions
from node.scenario.play import Clock, Play
from node.scenario.procs import sweep_sessions, wait_sessions_empty
from node.scenario.progress import ProgressDisplay, announce_dashboards
from node.scenario.report import CheckResult, RunReport
from node.scenario.setup import Setup, open_setup
from node.scenario.workload import check_workload
from node.scenario.workload_api import finish_workload, start_workload

logger = logging.getLogger(__name__)

EXIT_GRACE_S = 5.0
"""How long a node's own helper processes may outlive it before they count as left behind."""


class RunnerError(ScenarioError):
    """The run could not be carried out (a node would not start or serve, no free ports)."""


class RunInterrupted(ScenarioError):  # noqa: N818 - names the event, like KeyboardInterrupt
    """SIGTERM arrived while a run was going on (the nodes were stopped)."""


def run_scenario(
    manifest: Manifest, options: RunOptions, clock: Clock = time.monotonic
) -> RunReport:
    """Run ``manifest`` once and return its judged report (``report.passed``)."""
    plan = manifest.shortened() if options.short else manifest
    if options.duration_s is not None:
        plan = replace(plan, timing=replace(plan.timing, duration_s=options.duration_s))
    seed = plan.seed if options.seed is None else options.seed
    workdir = options.workdir or Path(tempfile.mkdtemp(prefix="deltachain-run-"))
    workdir.mkdir(parents=True, exist_ok=True)
    passed = False
    try:
        with stop_signals_raise(RunInterrupted):
            report = _run_in(plan, options, clock, seed, workdir)
        passed = report.passed
        return report
    finally:
        if options.workdir is None and passed:
            shutil.rmtree(workdir, ignore_errors=True)
        elif options.workdir is None:
            logger.warning("the run did not pass: node homes and logs kept in %s", workdir)


def _run_in(
    plan: Manifest, options: RunOptions, clock: Clock, seed: int, workdir: Path
) -> RunReport:
    if options.docker:
        from node.scenario.docker_setup import open_docker_setup

        setup = open_docker_setup(plan, options, workdir, seed)
    else:
        setup = open_setup(plan, options, workdir, seed, secrets.token_hex(16))
    try:
        report = _play(plan, setup, options, clock, seed)
    finally:
        try:
            setup.fleet.stop_all()
        finally:
            left = wait_sessions_empty(setup.fleet.sessions, EXIT_GRACE_S)
            sweep_sessions(setup.fleet.sessions)
            resources = setup.close()
    report.figures["processes_left"] = len(left)
    what = "no container, network or volume left" if options.docker else "no process left"
    leftover = ", ".join(map(str, [*left, *resources]))
    detail = f"left behind: {leftover}" if left or resources else what
    if options.docker:
        report.figures["docker_resources_left"] = len(resources)
    report.checks.append(CheckResult("clean_shutdown", not left and not resources, detail))
    return report


def _play(plan: Manifest, setup: Setup, options: RunOptions, clock: Clock, seed: int) -> RunReport:
    fleet = setup.fleet
    for node in plan.nodes:
        if node.start_at_s == 0:
            fleet.start(node.name)
    try:
        fleet.cluster.wait_until_serving(options.serve_timeout_s)
    except (RuntimeError, TimeoutError) as exc:
        raise RunnerError(str(exc)) from None
    announce_dashboards([(n.name, n.api_url) for n in fleet.cluster.nodes])
    play = Play(plan, fleet, setup.members, clock)
    play.begin()
    workload = start_workload(plan, {m.name: m.client for m in setup.members}, seed)
    try:
        elapsed = _play_timeline(play, options, clock)
        reconciled = finish_workload(workload, play) if workload is not None else None
        workload = None
    finally:
        if workload is not None:  # an exception or a signal: stop the clients' thread
            workload.finish(0.0)
    report = setup.observe(play, elapsed, seed, options.short)
    if reconciled is not None:
        report.workload = reconciled.to_json()
        report.checks.append(check_workload(reconciled))
    return report


def _play_timeline(play: Play, options: RunOptions, clock: Clock) -> float:
    """Play the schedule until the end (or done), undo what is active, settle; the end time."""
    plan = play.manifest
    duration = plan.timing.duration_s
    with ProgressDisplay(options.progress) as display:
        while play.now() < duration:
            tick = clock()
            play.step()
            play.show(display, duration)
            if plan.timing.stop_when_done and play.is_done():
                break
            time.sleep(max(0.0, options.poll_s - (clock() - tick)))
        elapsed = play.now()
        play.fleet.undo_all(elapsed)
        _settle(play, options, clock, display, duration)
    return elapsed


def _settle(
    play: Play, options: RunOptions, clock: Clock, display: ProgressDisplay, duration: float
) -> None:
    """Wait (bounded) until restarted nodes answer and caught up with the tip."""
    deadline = clock() + options.settle_timeout_s
    play.poll(play.now())
    while not play.is_settled() and clock() < deadline:
        time.sleep(options.poll_s)
        play.poll(play.now())
        play.show(display, duration)
