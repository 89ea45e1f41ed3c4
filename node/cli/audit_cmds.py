"""``deltachain audit``: ask a node to audit a model version and show the verdict.

The node runs :func:`node.learning.audit.audit_model_version`
(``GET /tasks/{id}/models/{v}/audit``):
the block that finalized the version, each delta's signature, inclusion and block commit, each
reward against the ledger's rule, and the snapshot's hash. Exit code 1 when anything failed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from node.api.errors import ApiError
from node.cli.common import EXIT_CODES_HELP, ExitCode, print_json
from node.cli.tx_cmds import ApiOpt, JsonOpt, connect, fail_api


def audit(
    task: Annotated[int, typer.Option("--task", min=1, max=2**63 - 1, help="Task id.")],
    version: Annotated[int, typer.Option("--version", min=1, max=2**63 - 1)],
    home: Annotated[Path | None, typer.Option("--home", help="Home of a running node.")] = None,
    api: ApiOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Audit a model version: block -> deltas -> contributors and rewards, all re-verified."""
    try:
        report = connect(home, api).get(f"/tasks/{task}/models/{version}/audit")
    except ApiError as exc:
        fail_api(exc)
    if as_json:
        print_json(report)
    else:
        _print_report(report)
    if report.get("verified") is not True:
        raise typer.Exit(int(ExitCode.FAILURE))


def _mark(ok: object) -> str:
    return "[green]ok[/]" if ok is True else "[red]FAILED[/]"


def _evaluation_text(evaluation: dict[str, Any] | None, short: bool = False) -> str:
    if not evaluation:
        return "-"
    samples = "" if short else " samples"
    return f"{evaluation['accuracy']:.4f} ({evaluation['samples']}{samples})"


def _delta_checks(delta: dict[str, Any]) -> str:
    """``ok`` when the signature, the inclusion proof and the block's commit all verify."""
    names = {
        "signature_valid": "sig",
        "inclusion_verified": "inclusion",
        "commit_verified": "commit",
    }
    failed = [label for key, label in names.items() if delta[key] is not True]
    return "[red]FAILED: " + ", ".join(failed) + "[/]" if failed else "[green]ok[/]"


def _reward_text(paid: int, expected: int) -> str:
    return str(paid) if paid == expected else f"[red]{paid}[/] (rule: {expected})"


def _print_report(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()

    snapshot = _mark(report["snapshot_verified"]) if report["snapshot_held"] else "not held"
    replay = "not possible (blobs not held)"
    if report["aggregation_replayed"]:
        replay = _mark(report["aggregation_verified"])
    console.print(
        f"task {report['task_id']} version {report['version']}: model {report['model_hash']}\n"
        f"finalized at height {report['height']} (block {report['block_hash'][:16]}): "
        f"commit {_mark(report['commit_verified'])}\n"
        f"snapshot {snapshot}; aggregation re-run {replay}\n"
        f"network accuracy of this version: {_evaluation_text(report.get('evaluation'))}",
        highlight=False,
    )
    from rich import box
    from rich.table import Column

    headers = ("delta", "sender", "height", "checks", "accepted", "reward", "base: accuracy")
    table = Table(
        *(Column(h, min_width=len(h)) for h in headers), box=box.SIMPLE_HEAD, pad_edge=False
    )
    for d in report["deltas"]:
        table.add_row(
            d["tx_hash"][:10], d["sender"][:10], str(d["height"]), _delta_checks(d),
            "yes" if d["accepted"] else "no", _reward_text(d["reward"], d["expected_reward"]),
            f"v{d.get('base_version')} {_evaluation_text(d.get('evaluation'), short=True)}",
        )  # fmt: skip
    console.print(table)
    console.print("contributors (whole addresses; --json prints every hash whole):")
    for sender in sorted({d["sender"] for d in report["deltas"]}):
        console.print(f"  {sender}", highlight=False, soft_wrap=True)
    for failure in report["failures"]:
        console.print(f"[red]failure:[/] {failure}", highlight=False)
    verdict = "[bold green]verified[/]" if report["verified"] else "[bold red]NOT verified[/]"
    console.print(verdict)


def register(app: typer.Typer) -> None:
    app.command(epilog=EXIT_CODES_HELP)(audit)
