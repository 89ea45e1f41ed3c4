"""What every command shares: exit codes, error reporting, JSON output, finding a node's API."""

from __future__ import annotations

import enum
import json
import logging
import sys
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from node.errors import ConfigError, NodeError, PortInUseError, StorageError

console = Console(stderr=True)


class ExitCode(enum.IntEnum):
    """Documented exit codes of ``deltachain`` commands."""

    OK = 0
    FAILURE = 1
    """A check failed or the run did not reach its goal."""
    USAGE = 2
    """Bad command-line arguments (typer's own code)."""
    CONFIG = 3
    """Missing home, bad config value, missing or malformed key or genesis, genesis mismatch."""
    STORAGE = 4
    """Corrupt or inconsistent data directory."""
    PORT_IN_USE = 5
    """A listening port is already taken."""
    HALTED = 6
    """The node's state diverged from the network's: it stopped rather than sign on top."""
    UNAVAILABLE = 7
    """The node's API could not be reached or refused the request."""


EXIT_CODES_HELP = (
    "Exit codes: 0 ok; 1 failure; 2 usage; 3 config (home, config, key, genesis); "
    "4 storage; 5 port in use; 6 halted (state diverged); 7 node API unavailable or refused."
)


def fail(message: str, code: ExitCode) -> NoReturn:
    console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(int(code))


def exit_code_for(error: BaseException) -> ExitCode:
    from node.chain.sync import StateDivergedError

    if isinstance(error, PortInUseError):
        return ExitCode.PORT_IN_USE
    if isinstance(error, StateDivergedError):
        return ExitCode.HALTED
    if isinstance(error, ConfigError):
        return ExitCode.CONFIG
    if isinstance(error, StorageError):
        return ExitCode.STORAGE
    return ExitCode.FAILURE


def report(error: NodeError) -> NoReturn:
    fail(str(error), exit_code_for(error))


def print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, sort_keys=True, default=_jsonable))


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def setup_logging(level: str) -> None:
    numeric = getattr(logging, level.upper(), None)
    if not isinstance(numeric, int):
        fail(f"unknown log level {level!r}", ExitCode.USAGE)
    logging.basicConfig(
        level=numeric,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )


def resolve_api(home: Path | None, api: str | None) -> str:
    """The API base URL: ``--api`` as given, else the one a running node in ``home`` wrote."""
    if api:
        return api
    if home is None:
        fail("give --api URL or --home of a running node", ExitCode.USAGE)
    info = home / "data" / "api.json"
    try:
        url = json.loads(info.read_text(encoding="utf-8"))["api"]
    except FileNotFoundError:
        fail(f"{info} not found: is the node in {home} running?", ExitCode.UNAVAILABLE)
    except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:
        fail(f"{info} is unreadable: {exc}", ExitCode.UNAVAILABLE)
    if not isinstance(url, str):
        fail(f"{info} has no API address", ExitCode.UNAVAILABLE)
    return url
