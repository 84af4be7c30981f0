"""The console's terminal UI (Textual): the task table, a task's details, the tree, the warnings.

`ConsoleApp` asks its source (a `desugar.console.client.Connection`, or
anything with its ``snapshot(full)`` method) for a snapshot every
`REFRESH` seconds, from a worker thread so that a slow program never freezes
the screen. When the program ends (`ProgramEnded`), the last snapshot stays
on screen and the status line says so.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar, Protocol

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from desugar.console import render
from desugar.console.client import ProgramEnded, RefusedRequest

#: Seconds between two snapshots.
REFRESH = 0.5

_STATE_STYLE = {"running": "bold green", "scheduled": "yellow", "idle": "", "done": "dim"}


class SnapshotSource(Protocol):
    def snapshot(self, full: list[int] | bool = False) -> dict[str, Any]: ...


def _cells(task: dict[str, Any]) -> list[Any]:
    """A task's row in the table, styled."""
    cells: list[Any] = list(render.row(task))
    cells[2] = Text(cells[2], style=_STATE_STYLE.get(cells[2], ""))
    if cells[8]:
        cells[8] = Text(cells[8], style="bold yellow")
    return cells


class DetailScreen(Screen[None]):
    """One task: its numbers, await chain, poll and scheduled times, wakers, spans, warnings."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self, task_id: int) -> None:
        super().__init__()
        self.task_id = task_id

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Static(id="detail")
        yield Footer()

    def on_mount(self) -> None:
        self.show(self.app)  # type: ignore[arg-type]

    def show(self, app: ConsoleApp) -> None:
        task = app.task(self.task_id)
        lines: list[str | Text] = []
        if task is None:
            lines.append(f"Task {self.task_id} is not in the program's records any more.")
        else:
            lines += _detail(task, app.snapshot or {})
        if app.ended:
            lines += ["", Text(app.ended_message(), style="bold red")]
        self.query_one("#detail", Static).update(Text("\n").join(
            line if isinstance(line, Text) else Text(line) for line in lines
        ))


def _detail(task: dict[str, Any], snapshot: dict[str, Any]) -> list[str | Text]:
    names = {other["id"]: other.get("name", "") for other in snapshot.get("tasks", ())}

    def named(task_id: int) -> str:
        return f"#{task_id} {names.get(task_id, '?')}"

    head = Text(f"Task #{task['id']} {task.get('name', '')}  ", style="bold")
    head.append(task.get("state", ""), style=_STATE_STYLE.get(task.get("state", ""), ""))
    lines: list[str | Text] = [
        head,
        f"polls {task.get('polls', 0)}   busy {render.duration(task.get('busy', 0.0))}   "
        f"scheduled {render.duration(task.get('scheduled', 0.0))}   "
        f"idle {render.duration(task.get('idle', 0.0))}",
        f"location {render.location(task) or '-'}",
    ]
    parent = task.get("parent")
    lines.append(f"parent {named(parent) if parent is not None else '-'}")
    awaits = task.get("awaits") or []
    lines.append(f"awaits {', '.join(named(other) for other in awaits) if awaits else '-'}")
    awaited = [other for other in snapshot.get("tasks", ()) if task["id"] in (other.get("awaits") or ())]
    if awaited:
        lines.append(f"awaited by {', '.join(named(other['id']) for other in awaited)}")
    sections: list[tuple[str, list[str]]] = [
        ("Await chain", render.chain_lines(task)),
        ("Poll times", _times(task, "poll_times")),
        ("Scheduled times", _times(task, "scheduled_times")),
        ("Woken by", [render.woken_by(task)]),
        ("Spans", render.span_lines(task)),
        ("Warnings", list(task.get("warnings") or []) or ["(none)"]),
    ]
    for title, body in sections:
        lines += ["", Text(title, style="bold underline")]
        lines += ["  " + line for line in body]
    return lines


def _times(task: dict[str, Any], field: str) -> list[str]:
    times = task.get(field)
    if times is None:
        return ["(loading)"]
    lines = render.histogram(times)
    if times:
        lines.append("recent " + render.sparkline(times))
    return lines


class TreeScreen(Screen[None]):
    """The task tree: who awaits whom, and who spawned whom."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("t", "app.pop_screen", "Back"),
        Binding("q", "app.quit", "Quit"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="tree-title")
        with VerticalScroll():
            yield Static(id="tree")
        yield Footer()

    def on_mount(self) -> None:
        self.show(self.app)  # type: ignore[arg-type]

    def show(self, app: ConsoleApp) -> None:
        tasks = (app.snapshot or {}).get("tasks", [])
        title = "Task tree: under each task, the tasks it awaits, then those it spawned"
        self.query_one("#tree-title", Static).update(Text(title, style="bold"))
        lines = render.task_tree(tasks) or ["(no tasks)"]
        if app.ended:
            lines += ["", app.ended_message()]
        self.query_one("#tree", Static).update(Text("\n".join(lines)))


class WarningsScreen(Screen[None]):
    """Every warning the program's lints raised; Enter shows its task."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("w", "app.pop_screen", "Back"),
        Binding("q", "app.quit", "Quit"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="warnings-title")
        yield DataTable(id="warnings", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("Task", "Lint", "Location", "Message")
        self.show(self.app)  # type: ignore[arg-type]

    def show(self, app: ConsoleApp) -> None:
        warnings = (app.snapshot or {}).get("warnings", [])
        title = f"{len(warnings)} warning{'s' if len(warnings) != 1 else ''}"
        if app.ended:
            title += f" · {app.ended_message()}"
        self.query_one("#warnings-title", Static).update(Text(title, style="bold"))
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear()
        for index, warning in enumerate(warnings):
            table.add_row(
                str(warning.get("task", "")),
                warning.get("lint", ""),
                warning.get("location", ""),
                warning.get("message", ""),
                key=str(index),
            )
        if warnings:
            table.move_cursor(row=min(cursor, len(warnings) - 1))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        warnings = (self.app.snapshot or {}).get("warnings", [])  # type: ignore[attr-defined]
        index = int(event.row_key.value or 0)
        if index < len(warnings) and isinstance(warnings[index].get("task"), int):
            self.app.push_screen(DetailScreen(warnings[index]["task"]))


class TaskTable(DataTable[Any]):
    """The table of tasks: Enter (its own key, so the footer shows it) opens a task."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select_cursor", "Details")]


class MainScreen(Screen[None]):
    """The table of tasks, with the status line above it."""

    def __init__(self) -> None:
        super().__init__()
        self._cells: dict[str, list[Any]] = {}  # the row shown for each task, by its key

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "sort", "Sort"),
        Binding("t", "app.tree", "Tree"),
        Binding("w", "app.warnings", "Warnings"),
        Binding("q", "app.quit", "Quit"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="status")
        yield TaskTable(id="tasks", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label in render.COLUMNS:
            table.add_column(label, key=label)
        self.show(self.app)  # type: ignore[arg-type]

    def show(self, app: ConsoleApp) -> None:
        self._show_status(app)
        self._show_table(app)

    def _show_status(self, app: ConsoleApp) -> None:
        snapshot = app.snapshot
        tasks = (snapshot or {}).get("tasks", [])
        counts = {state: 0 for state in render.STATES}
        for task in tasks:
            counts[task.get("state", "")] = counts.get(task.get("state", ""), 0) + 1
        parts = [f"{len(tasks)} tasks"] + [f"{counts[state]} {state}" for state in render.STATES]
        warnings = len((snapshot or {}).get("warnings", []))
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
        name, _key, descending = render.SORTS[app.sort]
        parts.append(f"sorted by {name} {'▼' if descending else '▲'}")
        status = Text(" · ".join(parts))
        if app.ended:
            status = Text(app.ended_message(), style="bold red") + Text("\n") + status
        elif app.problem is not None:
            status = Text(f"{app.where}: {app.problem}", style="bold yellow") + Text("\n") + status
        elif snapshot is None:
            status = Text(f"connecting to {app.where}…")
        self.query_one("#status", Static).update(status)

    def _show_table(self, app: ConsoleApp) -> None:
        """The snapshot's tasks in the table, in sort order; the cursor stays on its task.

        Rows are updated in place (only the cells that changed), added and
        removed as tasks come and go, then put in order: rebuilding a table
        of a thousand tasks twice a second would keep the console busy.
        """
        table = self.query_one(DataTable)
        selected = self.selected_task()
        tasks = render.sorted_tasks((app.snapshot or {}).get("tasks", []), app.sort)
        shown = self._cells
        rows = {str(task["id"]): _cells(task) for task in tasks}
        for key in [key for key in shown if key not in rows]:
            table.remove_row(key)
            del shown[key]
        for key, cells in rows.items():
            old = shown.get(key)
            if old is None:
                table.add_row(*cells, key=key)
            else:
                for column, cell, before in zip(render.COLUMNS, cells, old):
                    if cell != before:
                        table.update_cell(key, column, cell)
            shown[key] = cells
        position = {key: index for index, key in enumerate(rows)}
        table.sort("ID", key=lambda cell: position[str(cell)])
        if selected is not None and str(selected) in table.rows:
            table.move_cursor(row=table.get_row_index(str(selected)), scroll=False)

    def selected_task(self) -> int | None:
        """The id of the task under the cursor."""
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(key) if key is not None else None

    def on_data_table_row_selected(self, _event: DataTable.RowSelected) -> None:
        self.action_details()

    def action_details(self) -> None:
        task_id = self.selected_task()
        if task_id is not None:
            self.app.push_screen(DetailScreen(task_id))

    def action_sort(self) -> None:
        app: ConsoleApp = self.app  # type: ignore[assignment]
        app.sort = (app.sort + 1) % len(render.SORTS)
        self.show(app)


class ConsoleApp(App[None]):
    """The live console of one program: ``source.snapshot(full)`` every ``refresh`` seconds."""

    TITLE = "desugar console"
    ENABLE_COMMAND_PALETTE = False
    CSS = """
    #status { height: auto; padding: 0 1; background: $boost; }
    #tree-title, #warnings-title { height: auto; padding: 0 1; }
    #detail, #tree { padding: 0 1; }
    DataTable { height: 1fr; }
    """

    def __init__(self, source: SnapshotSource, *, refresh: float = REFRESH, where: str = "") -> None:
        super().__init__()
        self.source = source
        self.refresh_interval = refresh
        self.where = where
        self.snapshot: dict[str, Any] | None = None
        self.ended = False
        self.problem: str | None = None
        self.sort = 0
        self._fetching = False
        self._tasks: dict[int, dict[str, Any]] = {}
        self._timer: Any = None

    async def on_mount(self) -> None:
        await self.push_screen(MainScreen())
        await self.fetch()
        self._timer = self.set_interval(self.refresh_interval, self.fetch)

    # -- data

    def task(self, task_id: int) -> dict[str, Any] | None:
        """The task ``task_id`` of the last snapshot."""
        return self._tasks.get(task_id)

    def ended_message(self) -> str:
        at = (self.snapshot or {}).get("time")
        when = f" (taken at {render.duration(at)})" if at is not None else ""
        return f"The program ended: this is its last snapshot{when}."

    async def fetch(self) -> None:
        """Ask for a snapshot (in a thread), then show it."""
        if self._fetching or self.ended:
            return
        self._fetching = True
        full = [self.screen.task_id] if isinstance(self.screen, DetailScreen) else []
        try:
            snapshot = await asyncio.to_thread(self.source.snapshot, full)
        except ProgramEnded:
            self.ended = True
            if self._timer is not None:
                self._timer.stop()
        except RefusedRequest as error:
            self.problem = str(error)
        else:
            self.problem = None
            self._keep_times(snapshot, full)
            self.snapshot = snapshot
            self._tasks = {task["id"]: task for task in snapshot.get("tasks", ())}
            self.title = f"desugar console · {snapshot.get('program', '')} (pid {snapshot.get('pid', '?')})"
            self.sub_title = f"{snapshot.get('driver', '')} · {render.duration(snapshot.get('time', 0.0))}"
        finally:
            self._fetching = False
        self.show()

    def _keep_times(self, snapshot: dict[str, Any], full: list[int]) -> None:
        """A task's poll and scheduled times, kept from the last snapshot that carried them."""
        for task in snapshot.get("tasks", ()):
            old = self._tasks.get(task["id"])
            if old is not None and task["id"] not in full:
                for field in ("poll_times", "scheduled_times"):
                    if field in old and field not in task:
                        task[field] = old[field]

    def show(self) -> None:
        """Show the last snapshot on the screen on top, and on the table below it."""
        for screen in self.screen_stack:
            if (isinstance(screen, MainScreen) or screen is self.screen) and screen.is_mounted:
                if isinstance(screen, (MainScreen, DetailScreen, TreeScreen, WarningsScreen)):
                    try:
                        screen.show(self)
                    except NoMatches:  # still composing (its on_mount shows it) or going away
                        pass

    def action_tree(self) -> None:
        if not isinstance(self.screen, TreeScreen):
            self.push_screen(TreeScreen())

    def action_warnings(self) -> None:
        if not isinstance(self.screen, WarningsScreen):
            self.push_screen(WarningsScreen())
