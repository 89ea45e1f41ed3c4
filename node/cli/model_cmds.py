"""``deltachain tx create-task``, ``model show`` and ``model export``.

``create-task`` derives the initial snapshot from ``ml.models.init_weights(model, seed)``,
uploads it (``PUT /blobs/{hash}``) so that the network can fetch it by hash, then submits the
task. ``model export`` fetches a version's snapshot (``GET /blobs/{hash}``), checks its hash and
writes the named tensors into an ``.npz`` file.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import Annotated, Any

import typer

from ml.errors import MlError
from node.api.client import ApiClient
from node.api.errors import ApiError
from node.cli.common import EXIT_CODES_HELP, ExitCode, fail, print_json
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
    tx_app,
)

model_app = typer.Typer(
    help="Model versions of training tasks.", no_args_is_help=True, epilog=EXIT_CODES_HELP
)
TaskOpt = Annotated[int, typer.Option("--task", min=1, max=2**63 - 1, help="Task id.")]
U64Opt = {"min": 0, "max": MAX_U64}
TASK_FIELDS = ("model_id", "rule", "clip_norm", "min_deltas")


def parse_rule_params(pairs: list[str]) -> dict[str, int | float]:
    """``name=value`` pairs (``f=1``, ``beta=0.1``) as numbers; exit 2 on anything else."""
    params: dict[str, int | float] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        try:
            value: int | float = int(text) if text.lstrip("-").isdigit() else float(text)
        except ValueError:
            value = math.nan
        if not sep or not name or not math.isfinite(value):
            fail(f"--param must be name=number, got {pair!r}", ExitCode.USAGE)
        if name in TASK_FIELDS:
            fail(
                f"--param {name} is set by its own option, not as a rule parameter", ExitCode.USAGE
            )
        params[name] = value
    return params


@tx_app.command("create-task", epilog=EXIT_CODES_HELP)
def create_task(
    model: Annotated[str, typer.Option("--model", help="Model id, e.g. mlp-digits.")],
    rule: Annotated[
        str, typer.Option("--rule", help="fedavg, median, trimmed_mean, krum or multi_krum.")
    ],
    min_deltas: Annotated[int, typer.Option("--min-deltas", min=1, max=MAX_U64)],
    max_staleness: Annotated[int, typer.Option("--max-staleness", **U64Opt)],
    clip_norm: Annotated[float, typer.Option("--clip-norm", min=0.0)],
    reward_per_delta: Annotated[int, typer.Option("--reward-per-delta", **U64Opt)],
    reward_pool: Annotated[int, typer.Option("--reward-pool", **U64Opt)],
    param: Annotated[
        list[str] | None, typer.Option("--param", help="Rule parameter name=value (repeatable).")
    ] = None,
    initial_seed: Annotated[int, typer.Option("--initial-seed", **U64Opt)] = 0,
    home: HomeOpt = None,
    api: ApiOpt = None,
    token: TokenOpt = "",
    fee: FeeOpt = None,
    wait: WaitOpt = False,
    wait_timeout: WaitTimeoutOpt = 60.0,
    as_json: JsonOpt = False,
) -> None:
    """Open a training task; its initial weights are init_weights(MODEL, INITIAL_SEED)."""
    from node.cli.choices import validate_model, validate_rule
    from node.ops.testnet import TaskOptions, TestnetOptions, build_task

    validate_model(model)
    validate_rule(rule)
    options = TaskOptions(
        model, rule, parse_rule_params(param or []), min_deltas, max_staleness, clip_norm,
        reward_per_delta, reward_pool, initial_seed,
    )  # fmt: skip
    try:
        body, snapshot = build_task(TestnetOptions(task=options))
    except MlError as exc:
        fail(f"bad task: {exc}", ExitCode.USAGE)
    try:
        connect(home, api, token).put_blob(snapshot)
    except ApiError as exc:
        fail_api(exc)
    result = send(TxOptions(home, api, token, fee, wait, wait_timeout, as_json), body)
    if wait and not as_json:
        task_id = _find_task(connect(home, api), result["sender"], body.initial_model_hash)
        typer.echo(f"task id {task_id}" if task_id else "task id: not found")


def _find_task(client: ApiClient, creator: str, model_hash: bytes) -> int | None:
    """The newest task ``creator`` opened with this initial model."""
    try:
        tasks = client.get("/tasks")["tasks"]
    except ApiError as exc:
        fail_api(exc)
    ids = [
        int(t["task_id"])
        for t in tasks
        if t["creator"] == creator and t["spec"]["initial_model_hash"] == model_hash.hex()
    ]
    return max(ids, default=None)


@model_app.command("show", epilog=EXIT_CODES_HELP)
def show(
    task: TaskOpt,
    home: HomeOpt = None,
    api: ApiOpt = None,
    as_json: JsonOpt = False,
    limit: Annotated[
        int, typer.Option("--limit", min=0, help="Only the newest N versions (0: all).")
    ] = 20,
) -> None:
    """List a task's model versions, newest last: height, model hash, this node's accuracy and
    the network's (the sample-weighted mean of the accuracies the deltas reported)."""
    from rich.console import Console
    from rich.table import Table

    from node.cli.humane import print_whole

    client = connect(home, api)
    try:
        info = client.get(f"/tasks/{task}")
        models = client.get(f"/tasks/{task}/models")["models"]
    except ApiError as exc:
        fail_api(exc)
    total = len(models)
    models = models[-limit:] if limit else models
    if as_json:
        print_json({"task": info, "models": models})
        return
    shown = (
        f" (the newest {len(models)} of {total}; --limit 0 for all)" if len(models) < total else ""
    )
    typer.echo(f"task {task}: {info['spec']['model_id']}, version {info['version']}{shown}")
    table = Table("version", "height", "accuracy", "network (reports)", "model hash")
    for m in models:
        accuracy = "-" if m["accuracy"] is None else f"{m['accuracy']:.4f}"
        network = m.get("network_accuracy")
        reports = f"{network:.4f} ({m['reports']})" if network is not None else "-"
        table.add_row(str(m["version"]), str(m["height"]), accuracy, reports, m["model_hash"])
    print_whole(Console(), table, 4)  # a hash to copy: never cut


@model_app.command("export", epilog=EXIT_CODES_HELP)
def export(
    task: TaskOpt,
    out: Annotated[Path, typer.Option("--out", help="Output .npz file.")],
    version: Annotated[
        int | None, typer.Option("--version", min=0, help="Default: latest; 0: initial.")
    ] = None,
    home: HomeOpt = None,
    api: ApiOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write a model version's named tensors into an .npz file."""
    client = connect(home, api)
    try:
        info = client.get(f"/tasks/{task}")
        chosen = _pick_version(client, info, version)
        data = client.get_bytes(f"/blobs/{chosen['model_hash']}")
    except ApiError as exc:
        fail_api(exc)
    names = _write_npz(out, info["spec"], chosen["model_hash"], data)
    result = {**chosen, "task_id": task, "out": str(out), "tensors": names}
    if as_json:
        print_json(result)
        return
    accuracy = chosen["accuracy"]
    shown = "not measured" if accuracy is None else f"{accuracy:.4f}"
    typer.echo(f"wrote {out}: task {task} version {chosen['version']} ({len(names)} tensors)")
    typer.echo(f"test accuracy recorded for this version: {shown}")


def _pick_version(client: ApiClient, info: dict[str, Any], version: int | None) -> dict[str, Any]:
    """The model record of ``version`` (latest when None; 0 is the task's initial model)."""
    if version == 0 or (version is None and info["version"] == 0):
        initial = info["spec"]["initial_model_hash"]
        return {"version": 0, "model_hash": initial, "height": 0, "accuracy": None}
    models = client.get(f"/tasks/{info['task_id']}/models")["models"]
    wanted = version if version is not None else max((m["version"] for m in models), default=0)
    found = [m for m in models if m["version"] == wanted]
    if not found:
        fail(f"task {info['task_id']} has no model version {wanted}", ExitCode.FAILURE)
    record: dict[str, Any] = found[0]
    return record


def _write_npz(out: Path, spec: dict[str, Any], model_hash: str, data: bytes) -> list[str]:
    """Check the snapshot against its hash, decode it, save the named tensors to ``out``
    (named by the task's app layout, or by its catalog model)."""
    import numpy as np

    from ml.layout import Layout, LayoutEntry, split_flat
    from ml.models import get_model_spec
    from ml.snapshot import decode_weights

    if hashlib.sha256(data).hexdigest() != model_hash:
        fail(f"the node sent a snapshot that does not hash to {model_hash}", ExitCode.FAILURE)
    try:
        app = spec.get("app")
        if app:
            entries = tuple(LayoutEntry(t["name"], tuple(t["shape"])) for t in app["layout"])
            layout = Layout(app["layout_hash"], entries)
        else:
            layout = get_model_spec(spec["model_id"]).layout
        tensors = split_flat(layout, decode_weights(data))
    except MlError as exc:
        fail(f"snapshot {model_hash[:16]} is unusable: {exc}", ExitCode.FAILURE)
    try:
        with out.open("wb") as handle:
            np.savez(handle, **tensors)  # type: ignore[arg-type]
    except OSError as exc:
        fail(f"cannot write {out}: {exc}", ExitCode.FAILURE)
    return list(tensors)
