"""``deltachain task create | join | list``: open a task for a learning app, approve one.

``create`` runs your app once for its layout and initial weights, uploads the bundle and the
weights by hash and submits the CreateTask. ``join`` shows a task's bundle (files and hashes)
and records, in the node's ``config.toml``, the approval of that exact app hash and the node's
own data path: the running node starts training it without a restart.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer

from ml.errors import MlError
from node.api.errors import ApiError
from node.cli.app_cmds import ConfigOpt, parse_config_pairs
from node.cli.choices import validate_rule
from node.cli.common import (
    EXIT_CODES_HELP,
    ExitCode,
    console,
    fail,
    print_json,
    report,
    resolve_api,
)
from node.cli.task_views import show_joined_bundle, show_tasks
from node.cli.tx_cmds import (
    MAX_U64,
    ApiOpt,
    FeeOpt,
    HomeOpt,
    JsonOpt,
    TokenOpt,
    TxOptions,
    WaitOpt,
    WaitTimeoutOpt,
    connect,
    fail_api,
    send,
)
from node.errors import NodeError

task_app = typer.Typer(
    help="Training tasks run by learning apps: create, join (approve), list.",
    no_args_is_help=True,
    epilog=EXIT_CODES_HELP,
)
U64 = {"min": 0, "max": MAX_U64}
CATALOG_TASK_ID = 1
"""The task a node's trainer runs on its digits shard when ``[training] enabled``."""


@task_app.command("create", epilog=EXIT_CODES_HELP)
def create(
    app_source: Annotated[str, typer.Option("--app", help="Built-in app, directory or bundle.")],
    min_deltas: Annotated[int, typer.Option("--min-deltas", min=1, max=MAX_U64)],
    rule: Annotated[str, typer.Option(help="fedavg, median, trimmed_mean, krum, multi_krum")] = (
        "fedavg"
    ),
    param: Annotated[
        list[str] | None, typer.Option("--param", help="Rule parameter name=value (repeatable).")
    ] = None,
    staleness: Annotated[int, typer.Option("--staleness", **U64)] = 2,
    clip_norm: Annotated[float, typer.Option("--clip-norm", min=0.0)] = 10.0,
    reward: Annotated[int, typer.Option("--reward", help="Reward per accepted delta.", **U64)] = 0,
    reward_pool: Annotated[int, typer.Option("--reward-pool", **U64)] = 0,
    config: ConfigOpt = None,
    init_weights: Annotated[
        Path | None, typer.Option("--init-weights", help=".npz of named tensors, or a snapshot.")
    ] = None,
    init_seed: Annotated[int, typer.Option("--init-seed", **U64)] = 0,
    home: HomeOpt = None,
    api: ApiOpt = None,
    token: TokenOpt = "",
    fee: FeeOpt = None,
    wait: WaitOpt = False,
    wait_timeout: WaitTimeoutOpt = 60.0,
    as_json: JsonOpt = False,
) -> None:
    """Open a task for a learning app: bundle and initial weights go up by hash."""
    from node.cli.model_cmds import parse_rule_params
    from node.ops.app_task import prepare_app_task
    from node.ops.testnet import TaskOptions, TestnetOptions, build_task

    if not math.isfinite(clip_norm) or clip_norm <= 0:
        fail("--clip-norm must be a positive number", ExitCode.USAGE)
    validate_rule(rule)
    params = parse_rule_params(param or [])
    try:
        app = prepare_app_task(app_source, parse_config_pairs(config), init_seed, init_weights)
        options = TaskOptions(
            app.name, rule, params, min_deltas, staleness, clip_norm, reward, reward_pool,
            init_seed, app,
        )  # fmt: skip
        body, snapshot = build_task(TestnetOptions(task=options))
    except NodeError as exc:
        report(exc)
    except MlError as exc:  # the rule's parameters (the app itself is checked above)
        fail(f"bad task: {exc}", ExitCode.USAGE)
    client = connect(home, api, token)
    try:
        client.put_blob(app.bundle)
        client.put_blob(snapshot)
    except ApiError as exc:
        fail_api(exc)
    send(TxOptions(home, api, token, fee, wait, wait_timeout, as_json), body)
    console.print(f"app {app.name}: app_hash {app.app_hash.hex()}")


@task_app.command("join", epilog=EXIT_CODES_HELP)
def join(
    task_id: Annotated[int, typer.Argument(min=1, max=2**63 - 1, help="The task to train.")],
    home: Annotated[Path, typer.Option("--home", help="This node's home.")],
    data: Annotated[Path, typer.Option("--data", help="This node's own data for the task.")],
    yes: Annotated[bool, typer.Option("--yes", help="Approve without asking.")] = False,
    api: ApiOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the task's app (files, hashes), approve that exact app_hash and record the data
    path in the node's config; a running node starts training it without a restart."""
    from node.ops.join import JoinRequest, fetch_task_bundle, record_join

    if not data.exists():
        fail(f"data path {data} does not exist", ExitCode.USAGE)
    try:
        found = fetch_task_bundle(home, resolve_api(home, api), task_id)
    except NodeError as exc:
        report(exc)
    except ApiError as exc:
        fail_api(exc)
    show_joined_bundle(task_id, found, as_json)
    if not yes and not typer.confirm(f"run this app's code on this node for task {task_id}?"):
        fail("not approved: nothing recorded", ExitCode.FAILURE)
    try:
        path = record_join(JoinRequest(home, task_id, found.bundle.app_hash, data.resolve()))
    except NodeError as exc:
        report(exc)
    console.print(f"approved app {found.bundle.app_hash.hex()} for task {task_id} in {path}")


@task_app.command("list", epilog=EXIT_CODES_HELP)
def list_tasks(
    home: HomeOpt = None,
    api: ApiOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every task: its app, version, accuracy (this node's and the network's), whether this
    node trains it."""
    from node.ops.config import load_config
    from node.ops.join import read_joined

    client = connect(home, api)
    rows: list[dict[str, Any]] = []
    try:
        joined = read_joined(home) if home is not None else {}
        catalog = home is not None and load_config(home).training.enabled
        for task in client.get("/tasks")["tasks"]:
            models = client.get(f"/tasks/{task['task_id']}/models")["models"]
            rows.append(_task_row(task, models, joined, trains_catalog=catalog))
    except ApiError as exc:
        fail_api(exc)
    except NodeError as exc:
        report(exc)
    if as_json:
        print_json({"tasks": rows})
    else:
        show_tasks(rows)


def _task_row(
    task: dict[str, Any],
    models: list[dict[str, Any]],
    joined: dict[int, str],
    *,
    trains_catalog: bool = False,
) -> dict[str, Any]:
    """One task for the list; a node with training on trains the catalog task (task 1, no app)
    and the app tasks it joined."""
    spec = task["spec"]
    app = spec.get("app")
    app_hash = app["app_hash"] if app else None
    accuracy = next((m["accuracy"] for m in reversed(models) if m["accuracy"] is not None), None)
    reported = [e for e in task.get("evaluations", []) if e["accuracy"] is not None]
    return {
        "task_id": task["task_id"],
        "app": spec["model_id"],
        "app_hash": app_hash,
        "version": task["version"],
        "accuracy": accuracy,
        "network_accuracy": reported[-1]["accuracy"] if reported else None,
        "network_version": reported[-1]["version"] if reported else None,
        "pending": task["pending"],
        "trains": joined.get(task["task_id"]) == app_hash
        if app_hash is not None
        else trains_catalog and task["task_id"] == CATALOG_TASK_ID,
    }
