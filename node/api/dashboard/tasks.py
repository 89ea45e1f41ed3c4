"""Training tasks: the list (model, rule, reward pool left, limits, trainers) and one task with
its accuracy chart, its trainers and its model versions (paged, newest live)."""

from __future__ import annotations

from consensus.state import Task
from node.api.dashboard import fmt
from node.api.dashboard.html import Html, definitions, link, table, tag
from node.api.dashboard.layout import panel, query_int, respond_page
from node.api.dashboard.source import Source, open_source
from node.api.dashboard.txs import describe_rule
from node.api.dashboard.versions import render_accuracy_chart, render_versions
from node.api.errors import NotFoundError
from node.api.request import Call, Response


def render_task_table(src: Source) -> Html:
    rows = [
        (
            link(f"/ui/tasks/{task.task_id}", f"task {task.task_id}"),
            task.spec.model_id,
            describe_rule(task.spec),
            link(f"/ui/tasks/{task.task_id}#versions", f"v{task.version}"),
            _pool(task),
            task.spec.min_deltas,
            task.spec.max_staleness,
            len(task.pending),
            len(src.index.get_task_totals(task.task_id)),
        )
        for _, task in sorted(src.state.tasks.items())
    ]
    if not rows:
        return tag("p", "No training task on this chain yet.", class_="empty")
    headers = (
        "task",
        "model",
        "rule",
        "version",
        "reward pool left",
        "min deltas",
        "max staleness",
        "pending deltas",
        "trainers",
    )
    return table(headers, rows, class_="tasks")


def _pool(task: Task) -> str:
    total = task.spec.reward_pool
    share = f" ({task.pool / total:.1%})" if total else ""
    return f"{fmt.amount(task.pool)} of {fmt.amount(total)}{share}"


async def get_tasks(call: Call) -> Response:
    src = open_source(call.view)
    content = (tag("h1", "Training tasks"), tag("section", render_task_table(src), class_="panel"))
    return respond_page(call, "Tasks", content, live=True)


def find_task(src: Source, task_id: int) -> Task:
    task = src.state.tasks.get(task_id)
    if task is None:
        raise NotFoundError(f"no task {task_id}")
    return task


async def get_task(call: Call) -> Response:
    src = open_source(call.view)
    task = find_task(src, call.params["task_id"])
    before = query_int(call, "before", 0)
    tid = task.task_id
    content = (
        tag("h1", f"Task {tid}: ", task.spec.model_id),
        panel("Specification", _spec(src, task)),
        panel("Accuracy per model version", render_accuracy_chart(src, tid)),
        panel("Trainers", _trainers(src, tid)),
        panel("Model versions", render_versions(src, task, before), id_="versions"),
    )
    return respond_page(call, f"Task {tid}", content, live=before == 0)


def _spec(src: Source, task: Task) -> Html:
    spec = task.spec
    return definitions(
        (
            ("model", spec.model_id),
            ("aggregation rule", describe_rule(spec)),
            ("created by", fmt.address_link(task.creator, src.monikers, full=True)),
            ("current version", f"v{task.version}"),
            ("current model hash", fmt.full_hex(task.model_hash)),
            ("reward pool left", _pool(task)),
            ("reward per accepted delta", fmt.amount(spec.reward_per_delta)),
            ("min deltas per version", str(spec.min_deltas)),
            ("max staleness (versions)", str(spec.max_staleness)),
            ("clip norm", f"{spec.clip_norm:g}"),
            ("max payload", f"{spec.max_payload_bytes:,} bytes"),
            ("pending deltas", _pending(src, task)),
        )
    )


def _pending(src: Source, task: Task) -> Html:
    if not task.pending:
        return Html("none")
    senders = [fmt.address_link(p.sender, src.monikers) for p in task.pending]
    return tag("span", f"{len(task.pending)}: ", Html(", ".join(senders)))


def _trainers(src: Source, task_id: int) -> Html:
    rows = [
        (
            fmt.address_link(t.sender, src.monikers),
            t.deltas,
            t.accepted,
            t.deltas - t.accepted,
            fmt.amount(t.reward),
        )
        for t in src.index.get_task_totals(task_id)
    ]
    if not rows:
        return tag("p", "No delta has been aggregated yet.", class_="empty")
    return table(("trainer", "deltas counted", "accepted", "rejected", "rewards paid"), rows)
