"""``desugar console [PID|ADDRESS]``: attach the terminal UI to a program run with ``--console``."""

from __future__ import annotations

import os
import sys

import click

from desugar.console.client import Connection, ProgramEnded, RefusedRequest, running_programs
from desugar.console.server import ConsoleError

INSTALL_HINT = "desugar console needs Textual: pip install 'desugar[console]'"


def _load_app() -> type:
    """The Textual app's class; a usage message (exit 1) when Textual is not installed."""
    try:
        from desugar.console.app import ConsoleApp
    except ImportError as error:
        if (error.name or "").partition(".")[0] not in ("textual", "rich"):
            raise
        click.echo(f"{INSTALL_HINT} (cannot import {error.name})", err=True)
        sys.exit(1)
    return ConsoleApp


def _fail(message: str) -> None:
    click.echo(f"desugar console: {message}", err=True)
    sys.exit(1)


def pick_target() -> str:
    """The pid of the only program that serves a console; a message listing them if not one."""
    programs = running_programs()
    if len(programs) == 1:
        return str(programs[0].pid)
    if not programs:
        _fail("no program with a console is running (start one: desugar run --console app.py)")
    lines = [f"  {program.pid:>7}  {program.program}" for program in programs]
    _fail(
        f"{len(programs)} programs serve a console; name one (desugar console PID):\n"
        + "\n".join(lines)
    )
    raise AssertionError("unreachable")


@click.command("console", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("target", required=False, metavar="[PID|HOST:PORT]")
@click.option(
    "--token",
    envvar="DESUGAR_CONSOLE_TOKEN",
    metavar="TOKEN",
    help="The token of a program served on HOST:PORT (printed by desugar run --console-address; "
    "or set DESUGAR_CONSOLE_TOKEN).",
)
@click.option(
    "--refresh",
    type=click.FloatRange(min=0.05),
    default=0.5,
    show_default=True,
    metavar="SECONDS",
    help="Seconds between two snapshots.",
)
def console_command(target: str | None, token: str | None, refresh: float) -> None:
    """Show a live table of the tasks of a program run with desugar run --console.

    TARGET is the program's pid (its socket is found in the user's console
    directory), a socket's path, or HOST:PORT for a program run with
    --console-address (then --token is needed). Without TARGET, the only
    running program with a console is shown, or the running ones are listed.

    Keys: arrows move, Enter shows a task (its await chain, poll and scheduled
    times, wakers, spans), Esc goes back, s changes the sort, t shows the task
    tree, w the warnings, q quits. When the program ends, its last snapshot
    stays on screen.
    """
    app_class = _load_app()
    if target is None:
        target = pick_target()
    try:
        connection = Connection.to(target, token)
    except (ValueError, ConsoleError) as error:
        _fail(str(error))
    if isinstance(connection.target, tuple) and token is None:
        _fail(f"{target} needs the program's token: --token TOKEN (printed when it started)")
    if isinstance(connection.target, str) and not os.path.exists(connection.target):
        _fail(f"no program serves a console at {connection.target} (is it running with --console?)")
    try:
        connection.hello()
    except (ProgramEnded, RefusedRequest) as error:
        _fail(str(error))
    with connection:
        app_class(connection, refresh=refresh, where=connection.describe()).run()
