"""The `deltachain` command line: one typer app, one sub-app per area."""

from __future__ import annotations

import typer

from node.cli import account_cmds, audit_cmds, node_cmds
from node.cli.app_cmds import app_app
from node.cli.data_cmds import data_app
from node.cli.model_cmds import model_app
from node.cli.sim import sim_app
from node.cli.task_cmds import task_app
from node.cli.testnet_cmds import testnet_app
from node.cli.tx_cmds import tx_app

app = typer.Typer(
    name="deltachain",
    help="Deltachain: federated learning coordinated by a DPoS BFT chain.",
    no_args_is_help=True,
    add_completion=False,
)


app.add_typer(sim_app, name="sim")
node_cmds.register(app)
app.add_typer(testnet_app, name="testnet")
app.add_typer(tx_app, name="tx")
app.add_typer(model_app, name="model")
app.add_typer(app_app, name="app")
app.add_typer(data_app, name="data")
app.add_typer(task_app, name="task")
audit_cmds.register(app)
account_cmds.register(app)


@app.callback()
def root() -> None:
    """Federated learning on a delegated-proof-of-stake chain with BFT finality."""


@app.command()
def version() -> None:
    """Print the installed Deltachain version."""
    from importlib.metadata import version as dist_version

    typer.echo(dist_version("deltachain"))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
