#!/usr/bin/env python3
"""Translate real code bases: every ``.py`` file with ``async`` in this interpreter's
standard library (``Lib/test`` included) and in the third-party sources of
``bench/realworld.py``, with black and without, and check every output.

Which files: those of ``sysconfig.get_paths()["stdlib"]`` (``site-packages``
left out) and of the unpacked sdists of ``bench/realworld.py``'s pinned list
(fetched into its cache, ``--cache``, when not there yet), in which the
compiler's own cheap test (``desugar.compiler.needs_translation``) finds
``async`` or ``await``. Each is read as Python reads a module
(``importlib.util.decode_source``: coding cookie, universal newlines) and
translated twice, ``desugar.translate(source, filename, format=True)`` (black)
and ``format=False``. Each output must

* ``compile()``, and
* come back unchanged when translated again (with the same ``format``), and
* hold no ``async`` construct but those a translation keeps on purpose (an
  async generator stays ``async def``; its polls suspend on ``await _ds_awaitee``).

Outcomes per file and mode:

=====================  =====================================================
translated             changed, and the output passes the checks
unchanged              ``async`` in the text, but nothing to translate
not valid Python here  CPython itself does not compile the input (a test's
                       deliberately bad input, another version's syntax,
                       an undecodable file): not the compiler's business
rejected               ``TranslateError``: the compiler refuses the input
                       with a located message (listed with the message;
                       not a failure)
failures (exit 1)      internal error (the lowering), black rejects the
                       output, crash (any other exception, e.g.
                       ``RecursionError``), output does not compile, not
                       idempotent, async left, timeout, worker died
=====================  =====================================================

Usage::

    python bench/codebases.py                    # stdlib and third-party, both modes, 2 processes
    python bench/codebases.py --stdlib-only --no-black --jobs 1
    python bench/codebases.py --list             # every failure as file:line: kind: error
    ~/.pyenv/versions/3.13.0/bin/python bench/codebases.py --stdlib-only

Files are handed to ``--jobs`` worker processes, one (file, mode) at a time; a
worker still busy with one after ``--timeout`` seconds is killed (the file
counts as a timeout) and replaced, as is one that dies. Exit status: 0 if
nothing failed, 1 otherwise, 2 for bad options.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import difflib
import importlib.util
import multiprocessing
import multiprocessing.connection
import os
import re
import sys
import sysconfig
import time
import warnings
from collections import Counter, defaultdict
from pathlib import Path
from typing import Iterable, Iterator

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

MODES = ("black", "no-black")

OK_KINDS = ("translated", "unchanged")
#: Outcomes that are not failures, in the order of the summary's columns.
NEUTRAL_KINDS = ("not valid Python here", "rejected")
#: Failures, in the order of the summary's columns.
FAILURE_KINDS = (
    "internal error",
    "black rejects output",
    "crash",
    "output does not compile",
    "not idempotent",
    "async left",
    "timeout",
    "worker died",
)


@dataclasses.dataclass
class Result:
    """The outcome of one file in one mode."""

    kind: str
    mode: str
    path: str = ""
    line: int | None = None  # in the input, when known
    message: str = ""
    seconds: float = 0.0  # wall-clock
    cpu: float = 0.0  # process time

    @property
    def failed(self) -> bool:
        return self.kind in FAILURE_KINDS


# --------------------------------------------------------------------------
# Checking one file


def read_source(path: str | os.PathLike[str]) -> str:
    """The file's text as the import system reads it (raises on undecodable input)."""
    with open(path, "rb") as fp:
        return importlib.util.decode_source(fp.read())


def check_file(path: str | os.PathLike[str], modes: Iterable[str] = MODES) -> list[Result]:
    """Read ``path`` and `check_source` it in each mode."""
    try:
        source = read_source(path)
    except (SyntaxError, UnicodeDecodeError, LookupError) as error:  # bad cookie, bad bytes
        message = f"cannot decode: {type(error).__name__}: {error}"
        return [Result("not valid Python here", mode, str(path), None, message) for mode in modes]
    return [check_source(source, str(path), mode) for mode in modes]


def check_source(source: str, filename: str, mode: str) -> Result:
    """Translate ``source`` (black if ``mode`` is ``"black"``) and check the output."""
    import desugar
    from desugar.compiler import needs_translation

    started, cpu = time.perf_counter(), time.process_time()

    def result(kind: str, line: int | None = None, message: str = "") -> Result:
        return Result(
            kind, mode, filename, line, message, time.perf_counter() - started, time.process_time() - cpu
        )

    if not needs_translation(source):
        return result("unchanged", message="no async")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarning (invalid escapes, `is` with a literal)
        try:
            compile(source, filename, "exec", dont_inherit=True)
        except (SyntaxError, ValueError, OverflowError, MemoryError, RecursionError) as error:
            line = getattr(error, "lineno", None)
            return result("not valid Python here", line, f"{type(error).__name__}: {_first_line(error)}")
        fmt = mode == "black"
        try:
            output = desugar.translate(source, filename, format=fmt)
        except desugar.TranslateError as error:
            return result("rejected", error.line, error.message)
        except desugar.InternalError as error:
            message = str(error)
            if "black could not format" in message:
                # black's message: "cannot parse: L:C" on its first line, then the line it stopped at
                lines = [part.strip() for part in message.splitlines() if part.strip()]
                text = _first_line(error) + (f" ({lines[1]!r})" if len(lines) > 2 else "")
                return result("black rejects output", _black_line(source, filename, message), text)
            return result("internal error", None, _first_line(error))
        except Exception as error:  # noqa: BLE001 - neither a TranslateError nor an InternalError: a bug
            return result("crash", None, f"{type(error).__name__}: {_first_line(error)}")
        if output == source:
            return result("unchanged")
        try:
            tree = compile(output, filename, "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
            compile(tree, filename, "exec", dont_inherit=True)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
            out_line = getattr(error, "lineno", None)
            line = _input_line(source, filename, out_line) if not fmt else None
            text = ""
            if out_line and 1 <= out_line <= len(output.split("\n")):
                text = f" (output line {out_line}: {output.split(chr(10))[out_line - 1].strip()!r})"
            return result(
                "output does not compile", line, f"{type(error).__name__}: {_first_line(error)}{text}"
            )
        try:
            again = desugar.translate(output, filename, format=fmt)
        except Exception as error:  # noqa: BLE001 - any failure here is a failure of the check
            return result(
                "not idempotent",
                None,
                f"translating the output again: {type(error).__name__}: {_first_line(error)}",
            )
        if again != output:
            return result("not idempotent", None, _first_difference(output, again))
        left = leftover_async(tree)
        if left:
            kind, out_line = left[0]
            line = _input_line(source, filename, out_line) if not fmt else None
            return result("async left", line, f"{len(left)} left: {kind} at output line {out_line}")
    return result("translated")


def _is_suspension(name: str) -> bool:
    """An async generator's poll loops suspend on ``await _ds_awaitee``, its ``async for`` on ``await _ds_iterN``."""
    return name == "_ds_awaitee" or (name.startswith("_ds_iter") and name[len("_ds_iter"):].isdigit())


def leftover_async(tree: ast.AST) -> list[tuple[str, int]]:
    """(kind, output line) of each async construct a translation should not hold.

    An async generator stays a native ``async def`` and its poll loops suspend
    with ``await _ds_awaitee`` (its ``async for`` on ``await _ds_iterN``). An async generator expression outside a
    coroutine (in a plain function, a lambda, a class body, at module level)
    is an async generator too and stays as written: the compiler lowers what
    is inside ``async def``; so does one inside a sync comprehension (made in
    the comprehension's scope, which stays sync, as CPython's symtable says). Every other ``async def``, ``await``, ``async
    for``, ``async with`` and async comprehension must be gone.
    """
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST, in_coroutine: bool, line: int) -> None:
        line = getattr(node, "lineno", line)
        if isinstance(node, ast.AsyncFunctionDef):
            if not any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in _own_nodes(node)):
                found.append(("AsyncFunctionDef", line))
            in_coroutine = True
        elif isinstance(node, ast.FunctionDef):
            in_coroutine = any(_is_async_fn(d) for d in node.decorator_list)
        elif isinstance(node, (ast.Lambda, ast.ClassDef)):
            in_coroutine = False
        elif isinstance(node, ast.GeneratorExp) and not in_coroutine and _is_async_genexp(node):
            visit(node.generators[0].iter, in_coroutine, line)  # evaluated in the enclosing scope
            return
        elif isinstance(node, ast.Await):
            if not (isinstance(node.value, ast.Name) and _is_suspension(node.value.id)):
                found.append(("Await", line))
        elif isinstance(node, (ast.AsyncFor, ast.AsyncWith)):
            found.append((type(node).__name__, line))
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            if any(g.is_async for g in node.generators):
                found.append(("async comprehension", line))
            elif in_coroutine:
                # A sync comprehension kept as written: its first iterable is evaluated
                # in the coroutine, the rest in its own scope, where an async generator
                # expression is made, not awaited (CPython's symtable: it stays sync).
                visit(node.generators[0].iter, in_coroutine, line)
                for child in ast.iter_child_nodes(node):
                    if child is not node.generators[0]:
                        visit(child, False, line)
                first = node.generators[0]
                for child in [first.target, *first.ifs]:
                    visit(child, False, line)
                return
        for child in ast.iter_child_nodes(node):
            visit(child, in_coroutine, line)

    visit(tree, False, 0)
    return sorted(found, key=lambda item: item[1])


def _is_async_fn(decorator: ast.expr) -> bool:
    """``@_ds_rt.async_fn``: the mark of a lowered coroutine."""
    return (
        isinstance(decorator, ast.Attribute)
        and decorator.attr == "async_fn"
        and isinstance(decorator.value, ast.Name)
        and decorator.value.id == "_ds_rt"
    )


def _is_async_genexp(node: ast.GeneratorExp) -> bool:
    if any(g.is_async for g in node.generators):
        return True
    parts: list[ast.AST] = [node.elt, *node.generators[0].ifs]
    for g in node.generators[1:]:
        parts += [g.iter, *g.ifs]
    return any(isinstance(n, ast.Await) for part in parts for n in ast.walk(part))


def _own_nodes(function: ast.AST) -> Iterator[ast.AST]:
    """The nodes of ``function``'s own body, not those of nested scopes."""
    stack = list(ast.iter_child_nodes(function))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            stack.extend(ast.iter_child_nodes(node))


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:400] if text else type(error).__name__


_BLACK_LINE = re.compile(r"cannot parse(?: for target version [^:]*)?: (\d+):(\d+)", re.I)


def _black_line(source: str, filename: str, message: str) -> int | None:
    """The input line of the unformatted output's line that black could not parse."""
    match = _BLACK_LINE.search(message)
    return _input_line(source, filename, int(match.group(1))) if match else None


def _input_line(source: str, filename: str, out_line: int | None) -> int | None:
    """The input line the unformatted output's ``out_line`` stands for."""
    if not out_line:
        return None
    try:
        from desugar.compiler import translate_with_lines

        translated = translate_with_lines(source, filename)
    except Exception:  # noqa: BLE001 - only a location; the failure is reported anyway
        return None
    if translated is None or not 1 <= out_line <= len(translated[1]):
        return None
    return translated[1][out_line - 1]


def _first_difference(first: str, second: str) -> str:
    a, b = first.splitlines(), second.splitlines()
    for index, (x, y) in enumerate(zip(a, b), 1):
        if x != y:
            return f"output line {index} changes: {x.strip()!r} -> {y.strip()!r}"
    diff = list(difflib.unified_diff(a, b, lineterm="", n=0))
    return f"{len(a)} -> {len(b)} lines: " + " | ".join(diff[2:5])


# --------------------------------------------------------------------------
# Which files


@dataclasses.dataclass
class Tree:
    """One code base: its name, its root, its ``.py`` files and those with ``async``."""

    name: str
    root: Path
    files: int = 0
    candidates: list[Path] = dataclasses.field(default_factory=list)


def scan(name: str, root: Path, skip: Iterable[Path] = ()) -> Tree:
    """The ``.py`` files below ``root`` (not below ``skip``) whose bytes mention async/await.

    The exact test (`needs_translation` on the decoded text) is the worker's;
    every encoding a module may declare keeps ASCII as ASCII.
    """
    from desugar.compiler import needs_translation

    skipped = {p.resolve() for p in skip}
    tree = Tree(name, root)
    for directory, dirs, files in os.walk(root):
        here = Path(directory)
        dirs[:] = sorted(d for d in dirs if (here / d).resolve() not in skipped and d != "__pycache__")
        for file in sorted(files):
            if not file.endswith(".py"):
                continue
            path = here / file
            tree.files += 1
            try:
                data = path.read_bytes()
            except OSError:
                tree.candidates.append(path)  # reported by the worker
                continue
            if needs_translation(data.decode("latin-1")):
                tree.candidates.append(path)
    return tree


def stdlib_tree() -> Tree:
    paths = sysconfig.get_paths()
    root = Path(paths["stdlib"])
    skip = [root / "site-packages", Path(paths["purelib"]), Path(paths["platlib"])]
    return scan("stdlib", root, skip)


def third_party_trees(cache: Path) -> list[Tree]:
    """The unpacked sdists of bench/realworld.py's suites (fetched into ``cache`` if needed)."""
    import realworld

    trees = []
    seen = set()
    for suite in realworld.SUITES:
        key = (suite.dist, suite.version)
        if key in seen:
            continue
        seen.add(key)
        src = realworld.fetch_sdist(suite, cache)
        trees.append(scan(f"{suite.dist}-{suite.version}", src))
    return trees


# --------------------------------------------------------------------------
# Worker processes with a per-job time limit


def _worker_main(conn: multiprocessing.connection.Connection) -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles ^C
    import desugar.compiler  # noqa: F401 - imported once, before the first job
    import black  # noqa: F401
    import libcst  # noqa: F401

    conn.send("ready")  # a job's time starts when the worker has its imports
    while True:
        job = conn.recv()
        if job is None:
            return
        path, mode = job
        try:
            (result,) = check_file(path, [mode])
        except BaseException as error:  # noqa: BLE001 - reported, the worker goes on
            result = Result("crash", mode, path, None, f"{type(error).__name__}: {_first_line(error)}")
        conn.send(result)


@dataclasses.dataclass
class _Worker:
    process: multiprocessing.process.BaseProcess
    conn: multiprocessing.connection.Connection
    job: tuple[str, str] | None = None
    started: float = 0.0


def run_jobs(jobs: list[tuple[str, str]], workers: int, timeout: float) -> Iterator[Result]:
    """Yield the result of every (path, mode) job, run ``workers`` at a time."""
    context = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")

    def start() -> _Worker:
        parent, child = context.Pipe()
        process = context.Process(target=_worker_main, args=(child,), daemon=True)
        process.start()
        child.close()
        try:
            if parent.poll(120):
                parent.recv()  # "ready"
        except (EOFError, OSError):
            pass  # the worker died: its first job says so
        return _Worker(process, parent)

    def stop(worker: _Worker) -> None:
        worker.process.kill()
        worker.process.join()
        worker.conn.close()

    pending = list(reversed(jobs))
    pool = [start() for _ in range(max(1, min(workers, len(jobs))))]
    try:
        while True:
            for worker in pool:
                if worker.job is None and pending:
                    worker.job = pending.pop()
                    worker.started = time.monotonic()
                    worker.conn.send(worker.job)
            busy = [w for w in pool if w.job is not None]
            if not busy:
                return
            ready = multiprocessing.connection.wait([w.conn for w in busy], timeout=1.0)
            now = time.monotonic()
            for index, worker in enumerate(pool):
                if worker.job is None:
                    continue
                path, mode = worker.job
                if worker.conn in ready:
                    try:
                        result = worker.conn.recv()
                    except (EOFError, OSError):
                        worker.process.join()
                        code = worker.process.exitcode
                        result = Result(
                            "worker died",
                            mode,
                            path,
                            None,
                            f"the worker process ended with exit code {code}",
                            now - worker.started,
                        )
                        stop(worker)
                        pool[index] = worker = start()
                    worker.job = None
                    yield result
                elif now - worker.started > timeout:
                    stop(worker)
                    pool[index] = start()
                    yield Result(
                        "timeout",
                        mode,
                        path,
                        None,
                        f"still running after {timeout:g} s",
                        now - worker.started,
                    )
    finally:
        for worker in pool:
            if worker.job is None:
                try:
                    worker.conn.send(None)
                except OSError:
                    pass
            worker.process.join(timeout=5)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()


# --------------------------------------------------------------------------
# Reporting


def _elapsed(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def _where(result: Result) -> str:
    return f"{result.path}:{result.line}" if result.line else result.path


def summary(trees: list[Tree], results: list[Result], modes: list[str]) -> str:
    by_tree: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    seconds: dict[tuple[str, str], float] = defaultdict(float)
    tree_of = {str(path): tree.name for tree in trees for path in tree.candidates}
    for result in results:
        key = (tree_of[result.path], result.mode)
        by_tree[key][result.kind] += 1
        seconds[key] += result.cpu
    failures = [k for k in FAILURE_KINDS if any(c[k] for c in by_tree.values())]
    header = [
        "code base",
        "mode",
        ".py files",
        "with async",
        "translated",
        "unchanged",
        "not valid here",
        "rejected",
        "failed",
        *failures,
        "cpu s",
    ]
    rows = []
    total: Counter[str] = Counter()
    for mode in modes:
        mode_total: Counter[str] = Counter()
        mode_seconds = 0.0
        for tree in trees:
            counts = by_tree[(tree.name, mode)]
            mode_total.update(counts)
            mode_total["files"] += tree.files
            mode_total["async"] += len(tree.candidates)
            mode_seconds += seconds[(tree.name, mode)]
            rows.append(
                _row(
                    tree.name,
                    mode,
                    tree.files,
                    len(tree.candidates),
                    counts,
                    failures,
                    seconds[(tree.name, mode)],
                )
            )
        if len(trees) > 1:
            rows.append(
                _row(
                    "**all**",
                    mode,
                    mode_total["files"],
                    mode_total["async"],
                    mode_total,
                    failures,
                    mode_seconds,
                )
            )
        total.update(mode_total)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * 2 + "---:|" * (len(header) - 2)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _row(
    name: str,
    mode: str,
    files: int,
    candidates: int,
    counts: Counter[str],
    failures: list[str],
    seconds: float,
) -> list[str]:
    failed = sum(counts[k] for k in FAILURE_KINDS)
    return [
        name,
        mode,
        str(files),
        str(candidates),
        str(counts["translated"]),
        str(counts["unchanged"]),
        str(counts["not valid Python here"]),
        str(counts["rejected"]),
        str(failed),
        *(str(counts[k]) for k in failures),
        f"{seconds:.0f}",
    ]


def main(argv: Iterable[str] | None = None) -> int:
    import realworld

    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stdlib-only", action="store_true", help="only the standard library")
    parser.add_argument(
        "--no-black", action="store_true", help="only the unformatted translation (format=False)"
    )
    parser.add_argument("--jobs", type=int, default=2, metavar="N", help="worker processes (default 2)")
    parser.add_argument(
        "--timeout",
        type=float,
        default=300,
        metavar="S",
        help="seconds one file may take in one mode (default 300)",
    )
    parser.add_argument(
        "--list",
        action="store_true",
        help="print every failure (and rejection, and invalid input) as file:line: kind: error",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=realworld.DEFAULT_CACHE,
        help=f"bench/realworld.py's cache of sdists (default {realworld.DEFAULT_CACHE})",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="SUBSTRING",
        help="only files whose path contains this (repeatable)",
    )
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    modes = ["no-black"] if args.no_black else list(MODES)

    started = time.monotonic()
    import desugar

    print(
        f"desugar from {Path(desugar.__file__).parent.parent}; Python {sys.version.split()[0]} "
        f"({sys.executable}); {args.jobs} process(es)",
        file=sys.stderr,
        flush=True,
    )
    trees = [stdlib_tree()]
    if not args.stdlib_only:
        try:
            trees += third_party_trees(args.cache.expanduser().resolve())
        except (realworld.Failure, OSError) as error:
            print(f"cannot fetch the third-party sources: {error}", file=sys.stderr)
            return 1
    if args.only:
        for tree in trees:
            tree.candidates = [p for p in tree.candidates if any(s in str(p) for s in args.only)]
    tree_of = {str(path): tree.name for tree in trees for path in tree.candidates}
    jobs = [(str(path), mode) for tree in trees for path in tree.candidates for mode in modes]
    print(
        f"{sum(t.files for t in trees)} .py files, {len(tree_of)} with async: {len(jobs)} translations "
        f"(scanned in {_elapsed(time.monotonic() - started)})",
        file=sys.stderr,
        flush=True,
    )

    results: list[Result] = []
    done_per_tree: Counter[str] = Counter()
    jobs_per_tree = Counter(tree_of[path] for path, _ in jobs)
    last_report = 0.0
    for result in run_jobs(jobs, args.jobs, args.timeout):
        results.append(result)
        name = tree_of[result.path]
        done_per_tree[name] += 1
        now = time.monotonic()
        if result.failed:
            print(
                f"  FAIL [{result.mode}] {_where(result)}: {result.kind}: {result.message[:200]}",
                file=sys.stderr,
                flush=True,
            )
        if now - last_report >= 10 or done_per_tree[name] == jobs_per_tree[name]:
            last_report = now
            failed = sum(r.failed for r in results)
            print(
                f"[{len(results)}/{len(jobs)}] {name}: {done_per_tree[name]}/{jobs_per_tree[name]}, "
                f"{failed} failed, {_elapsed(now - started)}",
                file=sys.stderr,
                flush=True,
            )
    wall = time.monotonic() - started

    print(summary(trees, results, modes))
    failed = [r for r in results if r.failed]
    rejected = [r for r in results if r.kind == "rejected"]
    invalid = [r for r in results if r.kind == "not valid Python here"]
    by_kind = Counter(r.kind for r in failed)
    print()
    print(f"failures by kind: {dict(by_kind) if by_kind else 'none'}")
    causes = Counter((r.kind, _cause(r.message)) for r in failed)
    for (kind, cause), count in causes.most_common():
        print(f"  {count:5d} × {kind}: {cause}")
    if rejected:
        print(f"rejected (TranslateError), {len(rejected)}:")
        for (message,), count in Counter((r.message,) for r in rejected).most_common():
            print(f"  {count:5d} × {message}")
    if args.list:
        for title, group in (
            ("failures", failed),
            ("rejected", rejected),
            ("not valid Python here", invalid),
        ):
            if group:
                print(f"\n{title}:")
                for r in sorted(group, key=lambda r: (r.path, r.mode)):
                    print(f"{_where(r)}: [{r.mode}] {r.kind}: {r.message}")
    slowest = sorted(results, key=lambda r: -r.cpu)[:5]
    print("\nslowest (CPU): " + ", ".join(f"{_where(r)} [{r.mode}] {r.cpu:.1f}s" for r in slowest))
    cpu = sum(r.cpu for r in results)
    print(
        f"time: {_elapsed(wall)} wall, {_elapsed(cpu)} of CPU in the checks, {args.jobs} process(es); "
        f"Python {sys.version.split()[0]}"
    )
    return 1 if failed else 0


def _cause(message: str) -> str:
    """A failure's message without what varies from file to file (names, numbers, paths)."""
    text = re.sub(r"INTERNAL ERROR while translating \S+: ", "", message)
    text = re.sub(r"\. This is a bug in desugar.*", "", text)
    text = re.sub(r"black could not format the translation of \S+: ", "black: ", text)
    text = re.sub(r"\(output line \d+: .*\)", "", text)
    text = re.sub(r" \([^()]*, line \d+\)", "", text)  # SyntaxError's (file, line N)
    text = re.sub(r"black: cannot parse: \d+:\d+ \('[^']*'\)", "black: cannot parse", text)
    text = re.sub(r"\b\d+\b", "N", text)
    text = re.sub(r"'[^']*'", "'…'", text)
    return text.strip()[:160]


if __name__ == "__main__":
    sys.exit(main())
