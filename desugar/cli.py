"""The ``desugar`` command line: translate files, directories or stdin.

``desugar [OPTIONS] SRC...`` is short for ``desugar translate [OPTIONS] SRC...``;
the group falls back to the ``translate`` command whenever its first argument
is not a subcommand name, so further subcommands (``desugar run SCRIPT``) can
be added with ``main.add_command`` without breaking ``desugar FILE``.

Exit codes follow black: 0 for success, 1 when ``--check`` finds files that
would change, 123 when any file failed (one that cannot be read, whether named
or found in a directory, included), 2 for a bad command line.

A file is never lost: output is written to a temporary file beside its
destination and renamed over it (`write_file`), and a translation is written
only once it compiles.
"""

from __future__ import annotations

import codecs
import difflib
import errno
import io
import os
import secrets
import stat
import sys
import tokenize
import traceback
from dataclasses import dataclass
from pathlib import Path

import click

import desugar
from desugar.compiler import validate
from desugar.errors import InternalError, TranslateError
from desugar.mode import Mode
from desugar.mode import options as mode_options

EXIT_OK = 0
EXIT_WOULD_CHANGE = 1
EXIT_ERROR = 123

#: Directory names never entered when a directory is translated recursively
#: (hidden directories, starting with ``.``, are skipped as well).
SKIPPED_DIRS = frozenset(
    {
        "__pycache__",
        "__pypackages__",
        "build",
        "dist",
        "venv",
        "node_modules",
        "_build",
        "buck-out",
    }
)

#: With more files than this, a ``[i/n] path`` progress line is shown per file.
PROGRESS_THRESHOLD = 5

STDIN = "-"
STDIN_NAME = "<stdin>"


# --------------------------------------------------------------------------
# The command group


workers_option = click.option(
    "-W",
    "--workers",
    type=click.IntRange(min=1),
    metavar="N",
    help="Translate files in N processes (default: the number of cores).",
)
"""``-W/--workers N``, as black's: the commands that translate many files."""


def _check_not_a_mistyped_command(ctx: click.Context, word: str, commands: dict[str, click.Command]) -> None:
    """A usage error for ``word``, the first argument, if it is no file but near a command's name.

    ``desugar runn x.py`` means ``desugar run x.py`` mistyped, not two files
    to translate.
    """
    import difflib

    if word.startswith("-") or os.path.exists(word):
        return
    near = difflib.get_close_matches(word, [n for n in commands if n != "translate"], n=1, cutoff=0.6)
    if near:
        ctx.fail(f"No such command {word!r} (and no such file). Did you mean {near[0]!r}?")


_IMPLICIT_COMMAND = "desugar.implicit_command"


class _DefaultCommandContext(click.Context):
    """The default command's context: named as the user typed it.

    ``desugar a.py`` runs ``translate`` without naming it, so its usage lines
    and "Try ... --help" hints say ``desugar``, not ``desugar translate``.
    """

    @property
    def command_path(self) -> str:
        if self.parent is not None and self.meta.get(_IMPLICIT_COMMAND):
            return self.parent.command_path
        return super().command_path


class _LazyCommands(dict):
    """The group's commands, some named by ``(module, attribute)`` in
    ``lazy`` and imported on first use."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, tuple[str, str]] = {}

    def __missing__(self, name: str) -> click.Command:
        if name not in self.lazy:
            raise KeyError(name)
        import importlib

        module, attribute = self.lazy.pop(name)
        command = getattr(importlib.import_module(module), attribute)
        self[name] = command
        return command

    def __contains__(self, name: object) -> bool:
        return super().__contains__(name) or name in self.lazy

    def __iter__(self):
        return iter(sorted({*super().keys(), *self.lazy}))

    def keys(self):  # type: ignore[override]
        return list(self)

    def get(self, name, default=None):  # type: ignore[override]
        return self[name] if name in self else default

    def pop(self, name, *default):  # type: ignore[override]
        self.lazy.pop(name, None)
        return super().pop(name, *default)


class _DefaultCommand(click.Command):
    context_class = _DefaultCommandContext


class DefaultCommandGroup(click.Group):
    """A group that runs ``default_command`` when no subcommand is named.

    ``desugar a.py`` means ``desugar translate a.py``; ``desugar --version``
    and ``desugar --help`` still belong to the group, and any registered
    subcommand name as the first argument selects that subcommand.
    """

    def __init__(self, *args, default_command: str = "translate", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.default_command = default_command

    def _own_option_names(self, ctx: click.Context) -> set[str]:
        names: set[str] = set()
        for param in self.get_params(ctx):
            if isinstance(param, click.Option):
                names.update(param.opts)
                names.update(param.secondary_opts)
        return names

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if (
            args
            and args[0] not in self.commands
            and args[0] not in self._own_option_names(ctx)
        ):
            _check_not_a_mistyped_command(ctx, args[0], self.commands)
            ctx.meta[_IMPLICIT_COMMAND] = True
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)

    # Help: show the default command's options, since that is what
    # ``desugar [OPTIONS] SRC...`` runs, followed by the subcommands.

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, "[OPTIONS] SRC...")
        formatter.write_usage(ctx.command_path, "COMMAND [ARGS]...", prefix="   or: ")

    def format_options(
        self, ctx: click.Context, formatter: click.HelpFormatter
    ) -> None:
        records = []
        default = self.commands.get(self.default_command)
        if default is not None:
            sub_ctx = click.Context(default, info_name=self.default_command, parent=ctx)
            help_option = default.get_help_option(sub_ctx)
            for param in default.get_params(sub_ctx):
                if param is help_option:
                    continue
                record = param.get_help_record(sub_ctx)
                if record is not None:
                    records.append(record)
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is not None:
                records.append(record)
        if records:
            with formatter.section("Options"):
                formatter.write_dl(records)
        self.format_commands(ctx, formatter)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Each command with the first sentence of its help, whole (wrapped, not cut)."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=1000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(
    cls=DefaultCommandGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(
    desugar.__version__,
    "--version",
    prog_name="desugar",
    message="%(prog)s %(version)s",
    help="Show the version and exit.",
)
def main() -> None:
    """Lower async/await in Python source to explicit generator poll loops.

    SRC is a file, a directory (all *.py files below it, recursively), or -
    for standard input. With one file and no options the translation is
    printed to stdout; use -o to write it to a file or directory, or
    --in-place to rewrite the inputs.

    Without a COMMAND, the translate command runs.
    """


# --------------------------------------------------------------------------
# Reading, writing and reporting


class FileError(Exception):
    """A per-file problem already worded for the user (without ``error: ``)."""


class StdoutError(Exception):
    """Standard output cannot be written (a full disk, a closed pipe): nothing more can be."""


@dataclass
class Source:
    """One input: ``path`` is None for stdin; ``name`` is how it is shown."""

    path: Path | None
    name: str
    dest: Path | None = None


@dataclass
class Decoded:
    raw: bytes
    text: str  # newlines normalised to "\n"
    encoding: str
    newline: str  # the first line ending of the input: "\n", "\r\n" or "\r"


def _reason(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "no such file or directory"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, IsADirectoryError):
        return "is a directory"
    if isinstance(exc, NotADirectoryError):
        return "not a directory"
    text = exc.strerror or str(exc) or type(exc).__name__
    return text[:1].lower() + text[1:]


def _read_bytes(source: Source) -> bytes:
    if source.path is None:
        return sys.stdin.buffer.read()
    try:
        return source.path.read_bytes()
    except FileNotFoundError:
        raise FileError(f"cannot read {source.name}: no such file") from None
    except OSError as exc:
        raise FileError(f"cannot read {source.name}: {_reason(exc)}") from None


def _same_codec(a: str, b: str) -> bool:
    try:
        return codecs.lookup(a).name == codecs.lookup(b).name
    except LookupError:
        return False


def decode(raw: bytes, name: str) -> Decoded:
    """Decode source bytes as Python would: BOM, PEP 263 cookie, else UTF-8."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    except SyntaxError as exc:
        if "invalid or missing encoding declaration" in str(exc):
            encoding = "utf-8"  # undecodable first lines: report it below
        else:
            raise FileError(f"cannot read {name}: bad coding cookie ({exc})") from None
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        label = "UTF-8" if _same_codec(encoding, "utf-8") else encoding
        raise FileError(
            f"cannot read {name}: not valid {label} text ({exc.reason} at offset {exc.start})"
        ) from None
    newline = first_line_ending(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return Decoded(raw=raw, text=text, encoding=encoding, newline=newline)


def first_line_ending(text: str) -> str:
    """The input's first line ending (``\n`` when it has none), which the output keeps.

    As Python reads source, only ``\r\n``, ``\r`` and ``\n`` end lines.
    """
    cr = text.find("\r")
    lf = text.find("\n")
    if cr < 0 or (0 <= lf < cr):
        return "\n"
    return "\r\n" if text.startswith("\n", cr + 1) else "\r"


def encode(text: str, decoded: Decoded, name: str) -> bytes:
    """Encode translated text in the input's encoding and newline style.

    A non-UTF-8 encoding is kept only while the output still declares it
    (the coding cookie must stay on line 1 or 2); otherwise UTF-8 is used.
    """
    if decoded.newline != "\n":
        text = text.replace("\n", decoded.newline)
    encoding = decoded.encoding
    if not _same_codec(encoding, "utf-8"):
        try:
            declared, _ = tokenize.detect_encoding(
                io.BytesIO(text.encode(encoding, errors="replace")).readline
            )
        except SyntaxError:
            declared = "utf-8"
        if not _same_codec(declared, encoding):
            encoding = "utf-8"
    try:
        return text.encode(encoding)
    except UnicodeEncodeError as exc:
        raise FileError(
            f"cannot encode the translation of {name} as {encoding}: {exc.reason}"
        ) from None


def write_file(dest: Path, data: bytes) -> None:
    """Write ``data`` to ``dest``, creating parent directories; never leave ``dest`` half written.

    The data goes to a temporary file beside the destination, which is flushed
    to disk and then renamed over it (``os.replace``), so on a full disk or an
    interrupted run the old file stays whole. A file that exists keeps its
    permission bits (and, where allowed, its owner); a new one gets those
    ``open()`` would give it. A symbolic link stays a link: the file it points
    to is replaced. Something that is not a regular file (``/dev/null``,
    ``/dev/full``, a pipe) is written directly, as it cannot be replaced.
    """
    target = Path(os.path.realpath(dest))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocker = next(
            (p for p in dest.parents if p.exists() and not p.is_dir()), dest.parent
        )
        raise FileError(f"cannot write {dest}: {blocker} is not a directory") from None
    except OSError as exc:
        raise FileError(f"cannot write {dest}: {_reason(exc)}") from None
    try:
        st: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise FileError(f"cannot write {dest}: {_reason(exc)}") from None
    try:
        if st is not None and not stat.S_ISREG(st.st_mode):
            if stat.S_ISDIR(st.st_mode):
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
            with open(target, "wb") as file:
                file.write(data)
            return
        if st is not None and not os.access(target, os.W_OK):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
        _replace(target, data, st, dest)
    except OSError as exc:
        raise FileError(f"cannot write {dest}: {_reason(exc)}") from None


def _replace(target: Path, data: bytes, st: os.stat_result | None, dest: Path) -> None:
    """Write ``data`` to a new file beside ``target`` and rename it over ``target``."""
    # A new file: mode 0o666 less the umask, as open() gives it. A file that
    # exists: private until it has that file's own mode.
    mode = 0o666 if st is None else 0o600
    while True:
        temporary = target.parent / f".{target.name}.{secrets.token_hex(4)}.desugar-tmp"
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
            break
        except FileExistsError:
            continue
        except OSError as exc:
            raise FileError(
                f"cannot write {dest}: cannot create a temporary file beside it "
                f"(in {target.parent}): {_reason(exc)}"
            ) from None
    try:
        with open(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        if st is not None:
            os.chmod(temporary, stat.S_IMODE(st.st_mode))
            _keep_owner(temporary, st)
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def _keep_owner(path: Path, st: os.stat_result) -> None:
    if not hasattr(os, "chown") or (st.st_uid, st.st_gid) == (os.geteuid(), os.getegid()):
        return
    try:
        os.chown(path, st.st_uid, st.st_gid)
    except OSError:
        pass  # not allowed: the file becomes ours, as an editor's copy would


def write_stdout(data: bytes | str) -> None:
    """Write to standard output and flush it; `StdoutError` if that fails.

    After a failure, the file descriptor is pointed at ``os.devnull`` so that
    Python's own flush at exit does not fail again with a traceback.
    """
    try:
        stream = getattr(sys.stdout, "buffer", None)
        if isinstance(data, bytes) and stream is not None:
            sys.stdout.flush()
            stream.write(data)
            stream.flush()
        else:
            click.echo(data, nl=False)  # flushes; encodes as stdout does
    except OSError as exc:
        _silence_stdout()
        raise StdoutError(f"cannot write to standard output: {_reason(exc)}") from None


def _silence_stdout() -> None:
    for stream in (sys.stdout, getattr(sys.stdout, "buffer", None)):
        try:
            fd = stream.fileno()  # type: ignore[union-attr]
        except (AttributeError, OSError, ValueError):
            continue
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, fd)
            os.close(devnull)
        except OSError:
            pass
        return


def unified_diff(old: str, new: str, name: str) -> str:
    """A unified diff of ``old`` to ``new``, labelled ``(original)``/``(translated)``."""
    old_lines = io.StringIO(old, newline="\n").readlines()
    new_lines = io.StringIO(new, newline="\n").readlines()
    out = []
    for line in difflib.unified_diff(
        old_lines,
        new_lines,
        fromfile=name,
        tofile=name,
        fromfiledate="(original)",
        tofiledate="(translated)",
    ):
        if line.endswith("\n"):
            out.append(line)
        else:
            out.append(line + "\n")
            out.append("\\ No newline at end of file\n")
    return "".join(out)


BUG_NOTE = "This is a bug in desugar; please report it with the input file."


def internal_error_message(exc: Exception, name: str) -> str:
    """The report for an exception other than TranslateError from translate.

    The compiler's own InternalError already reads ``INTERNAL ERROR while
    translating FILE: ...``; it is shown as is rather than wrapped twice. One
    located in the input reads ``file:line:col: INTERNAL ERROR ...`` with the
    line and a caret, as a `TranslateError` does.
    """
    text = str(exc)
    if isinstance(exc, InternalError) and exc.line is not None:
        return text if BUG_NOTE in text else f"{text}\n{BUG_NOTE}"
    if isinstance(exc, InternalError) and text.startswith("INTERNAL ERROR"):
        message = f"error: {text}"
    else:
        message = f"error: INTERNAL ERROR while translating {name}: {type(exc).__name__}: {exc}"
    if "This is a bug in desugar" not in message:
        message += "\n" + BUG_NOTE
    return message


def _syntax_hint() -> str:
    """What to do about input this Python cannot compile."""
    version = ".".join(map(str, sys.version_info[:2]))
    return (
        f"hint: desugar translates what Python {version} compiles: fix the line, or run "
        "desugar under the Python the code is written for"
    )


def _err(message: str) -> None:
    try:
        click.echo(message, err=True)
    except OSError:
        pass  # stderr itself cannot be written: the exit status still tells


def _files(n: int) -> str:
    return f"{n} file" if n == 1 else f"{n} files"


def _line_map(text: str, name: str, code: str, mode: Mode) -> list[int] | None:
    """For each line of ``code``, the line of ``text`` it comes from, if ``code`` is
    the unformatted translation of ``text`` (asked only to place an internal error)."""
    from desugar.compiler import translate_with_lines

    translated = translate_with_lines(text, name, mode=mode)
    if translated is None or translated[0] != code:
        return None
    return translated[1]


def _uncompilable(text: str, name: str, mode: Mode) -> InternalError | None:
    """After translating with black failed: the located error if the translation
    itself does not compile (what black choked on), else None."""
    from desugar.compiler import translate_with_lines

    try:
        translated = translate_with_lines(text, name, mode=mode)
        if translated is not None:
            code, lines = translated
            validate.check_output(code, text, name, lambda: lines)
    except InternalError as exc:
        return exc if exc.line is not None else None
    except Exception:  # noqa: BLE001 - only a better message was sought
        return None
    return None


# --------------------------------------------------------------------------
# Finding inputs and where their output goes


def _skip_dir(path: Path, excluded: set[str]) -> bool:
    name = path.name
    return (
        name.startswith(".")
        or name in SKIPPED_DIRS
        or name.endswith(".egg-info")
        or (path / "pyvenv.cfg").exists()
        or os.path.realpath(path) in excluded
    )


def python_files(
    root: Path, excluded: set[str], errors: list[str] | None = None
) -> list[Path]:
    """All ``*.py`` files below ``root``, sorted, skipping build and tool dirs.

    A directory that cannot be listed is not skipped in silence: its message
    is added to ``errors``.
    """
    found: list[Path] = []

    def unreadable(exc: OSError) -> None:
        if errors is not None:
            errors.append(f"cannot read {exc.filename or root}: {_reason(exc)}")

    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not _skip_dir(here / d, excluded))
        found.extend(
            here / f for f in filenames if f.endswith(".py") and (here / f).is_file()
        )
    return sorted(found)


def _file_id(path: Path | str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _is_input(
    dest: Path, input_paths: set[str], input_ids: set[tuple[int, int]]
) -> bool:
    """Whether ``dest`` is an input file, by path or (hard links) by inode."""
    if os.path.realpath(dest) in input_paths:
        return True
    file_id = _file_id(dest)
    return file_id is not None and file_id in input_ids


# --------------------------------------------------------------------------
# The translate command


@main.command("translate", cls=_DefaultCommand)
# readable=False: an unreadable input is reported as any file that cannot be
# read is, inside a directory or not (exit 123), not as a usage error (2).
@click.argument(
    "src", nargs=-1, required=True, type=click.Path(allow_dash=True, readable=False)
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    metavar="OUT",
    help=(
        "Write the translation to OUT instead of stdout. For one input file OUT is a "
        "file (or an existing directory to write into); for a directory or several inputs "
        "it is a directory that mirrors their layout. Never overwrites an input."
    ),
)
@click.option("--in-place", is_flag=True, help="Rewrite the input files that change.")
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 if any file would be translated, 0 if none would.",
)
@click.option(
    "--diff",
    is_flag=True,
    help="Write nothing; print a unified diff of each change to stdout.",
)
@click.option(
    "--no-format",
    "no_format",
    is_flag=True,
    help="Do not run black over the translated code.",
)
@mode_options()
@click.option("-q", "--quiet", is_flag=True, help="Report nothing but errors.")
@workers_option
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="Report every file, and tracebacks of internal errors.",
)
@click.pass_context
def translate_command(
    ctx: click.Context,
    src: tuple[str, ...],
    output: Path | None,
    in_place: bool,
    check: bool,
    diff: bool,
    no_format: bool,
    mode: Mode,
    quiet: bool,
    workers: int | None,
    verbose: bool,
) -> None:
    """Translate files (the default command)."""
    to_stdout = _check_options(src, output, in_place, check, diff, quiet, verbose)
    report = Report(check=check, diff=diff, quiet=quiet, verbose=verbose)
    excluded = {os.path.realpath(output)} if output is not None else set()
    sources, roots = expand_inputs(src, excluded, report)
    if output is not None and sources:
        plan_destinations(src, sources, roots, output)
        clashes = _clashes(sources)
        for source in clashes:
            _err(
                f"error: refusing to write {source.dest}: it is an input file "
                "(use --in-place to rewrite inputs)"
            )
        if clashes:
            ctx.exit(EXIT_ERROR)

    total = len(sources)
    progress = total > PROGRESS_THRESHOLD and not quiet
    progress = progress and (verbose or click.get_text_stream("stderr").isatty())
    options = dict(mode=mode, format=not no_format, to_stdout=to_stdout, in_place=in_place, diff=diff)
    if workers is None:
        workers = os.cpu_count() or 1
    results = None
    if workers > 1 and total > 1 and not to_stdout and not diff:
        results = _translate_in_processes(sources, report, options, workers)
    if results is None:
        results = _translate_here(sources, report, options, progress)
    for index, (source, result) in enumerate(zip(sources, results), 1):
        if isinstance(result, _Outcome):
            if progress:
                _err(f"[{index}/{total}] {source.name}")
            result.replay(report)
            is_changed = result.is_changed
        else:
            is_changed = result
        if isinstance(is_changed, StdoutError):
            _err(f"error: {is_changed}")
            ctx.exit(EXIT_ERROR)
        if is_changed is not None:
            report.done(source.name, is_changed, dest=source.dest)

    several = len(src) > 1 or any(arg != STDIN and os.path.isdir(arg) for arg in src)
    if sources:
        report.summarise(several=several)
    ctx.exit(report.return_code)


def _translate_here(sources: list[Source], report: Report, options: dict, progress: bool):
    """Each source's outcome, translated in this process one after another
    (lazily, so each file's messages come as it is done)."""
    for index, source in enumerate(sources, 1):
        if progress:
            _err(f"[{index}/{len(sources)}] {source.name}")
        try:
            yield translate_file(source, report, **options)
        except StdoutError as exc:
            yield exc
            return


@dataclass
class _Outcome:
    """One file translated in a worker process: what it told on stderr and
    what it counted, to be told and counted here in input order."""

    is_changed: bool | None
    stderr: str
    failures: int
    skips: int

    def replay(self, report: Report) -> None:
        if self.stderr:
            try:
                sys.stderr.write(self.stderr)
                sys.stderr.flush()
            except OSError:
                pass
        report.failure_count += self.failures
        report.skip_count += self.skips


def _translate_in_worker(source: Source, flags: tuple[bool, bool, bool, bool], options: dict) -> _Outcome:
    check, diff, quiet, verbose = flags
    report = Report(check=check, diff=diff, quiet=quiet, verbose=verbose)
    captured = io.StringIO()
    saved = sys.stderr
    sys.stderr = captured
    try:
        is_changed = translate_file(source, report, **options)
    finally:
        sys.stderr = saved
    return _Outcome(is_changed, captured.getvalue(), report.failure_count, report.skip_count)


def _translate_in_processes(sources: list[Source], report: Report, options: dict, workers: int):
    """Each source's outcome, translated in up to ``workers`` processes and
    given back in input order; None where processes cannot be had (then the
    files are translated in this one)."""
    try:
        from concurrent.futures import ProcessPoolExecutor

        executor = ProcessPoolExecutor(max_workers=min(workers, len(sources)))
    except (ImportError, NotImplementedError, OSError):
        return None  # e.g. no working multiprocessing (no sem_open): one process
    preload_for_workers(format=options["format"])
    flags = (report.check, report.diff, report.quiet, report.verbose)

    def outcomes():
        with executor:
            futures = [executor.submit(_translate_in_worker, s, flags, options) for s in sources]
            for future in futures:
                yield future.result()

    return outcomes()


def preload_for_workers(*, format: bool = True, hook: bool = False) -> None:
    """Import the compiler (libcst, and black if ``format``) here, before worker processes start.

    Where workers are forked (Linux, up to Python 3.13), each then starts with
    them imported, instead of importing them once per worker (about half a
    second of CPU each); where they are spawned, nothing is imported here.
    ``hook``: the modules the import hook's compile uses too (`desugar.cache`).
    """
    import multiprocessing

    if multiprocessing.get_start_method(allow_none=False) != "fork":
        return
    import desugar.compiler.async_fn  # noqa: F401  (libcst and the lowering)
    import desugar.compiler.walk  # noqa: F401

    if format:
        import black  # noqa: F401
    if hook:
        import desugar.compiler.lines  # noqa: F401


def _check_options(
    src: tuple[str, ...],
    output: Path | None,
    in_place: bool,
    check: bool,
    diff: bool,
    quiet: bool,
    verbose: bool,
) -> bool:
    """Refuse option combinations that make no sense; whether output goes to stdout."""
    if quiet and verbose:
        raise click.UsageError("--quiet and --verbose cannot be combined.")
    if in_place and output is not None:
        raise click.UsageError("--in-place and --output cannot be combined.")
    if (check or diff) and (in_place or output is not None):
        raise click.UsageError(
            "--check and --diff write nothing; drop --in-place and --output."
        )
    if STDIN in src and len(src) > 1:
        raise click.UsageError(
            "standard input (-) cannot be combined with other inputs."
        )
    if STDIN in src and in_place:
        raise click.UsageError("--in-place cannot rewrite standard input.")
    to_stdout = not (output is not None or in_place or check or diff)
    if to_stdout and (len(src) > 1 or os.path.isdir(src[0])):
        raise click.UsageError(
            "a directory or several inputs need --output DIR, --in-place, --check or --diff."
        )
    return to_stdout


def expand_inputs(
    src: tuple[str, ...], excluded: set[str], report: Report
) -> tuple[list[Source], list[str]]:
    """The files to translate, each once, in order; and for each input the
    directory its output paths are relative to. A directory that cannot be
    read or holds no Python file is reported as a failure."""
    sources: list[Source] = []
    seen: set[str] = set()
    roots: list[str] = []
    for arg in src:
        if arg == STDIN:
            sources.append(Source(None, STDIN_NAME))
            continue
        path = Path(arg)
        if path.is_dir():
            walk_errors: list[str] = []
            files = python_files(path, excluded, walk_errors)
            for message in walk_errors:
                report.failed(f"error: {message}")
            if not files:
                if not walk_errors:
                    report.failed(f"error: no Python files found in {arg}")
                continue
            roots.append(os.path.abspath(path))
        else:
            files = [path]
            roots.append(os.path.dirname(os.path.abspath(path)))
        for file in files:
            key = os.path.abspath(file)
            if path.is_dir() and (outside := _link_outside(file, path)) is not None:
                # As black does: a link in the tree to a file outside it is
                # not the tree's to translate (nor, with --in-place, to rewrite).
                report.skipped(str(file), f"a symbolic link to {outside}, outside {arg}")
                continue
            if key not in seen:
                seen.add(key)
                sources.append(Source(file, str(file)))
    return sources, roots


def _link_outside(file: Path, root: Path) -> str | None:
    """Where ``file`` points if it is a symbolic link that resolves outside
    ``root``; None for a file of the tree."""
    if not file.is_symlink():
        return None
    target = os.path.realpath(file)
    top = os.path.realpath(root)
    if os.path.commonpath([target, top]) == top:
        return None
    return target


def plan_destinations(
    src: tuple[str, ...], sources: list[Source], roots: list[str], output: Path
) -> None:
    """Set each source's ``dest`` under ``--output``: OUT itself (or a file in
    it) for one input file, else a mirror of the inputs' layout below OUT."""
    single_file = len(src) == 1 and src[0] != STDIN and not os.path.isdir(src[0])
    if single_file or src == (STDIN,):
        target = output
        if output.is_dir() and sources[0].path is not None:
            target = output / sources[0].path.name
        sources[0].dest = target
        return
    base = os.path.commonpath(roots)
    for source in sources:
        assert source.path is not None
        source.dest = output / os.path.relpath(os.path.abspath(source.path), base)


def _clashes(sources: list[Source]) -> list[Source]:
    """The sources whose destination is an input file."""
    input_files = [s.path for s in sources if s.path is not None]
    input_paths = {os.path.realpath(p) for p in input_files}
    input_ids = {i for i in map(_file_id, input_files) if i is not None}
    return [
        s
        for s in sources
        if s.dest is not None and _is_input(s.dest, input_paths, input_ids)
    ]


def translate_file(
    source: Source,
    report: Report,
    *,
    mode: Mode,
    format: bool,
    to_stdout: bool,
    in_place: bool,
    diff: bool,
) -> bool | None:
    """Translate one source and write, print or diff the result; whether it
    changed, or None if it failed (the failure is in ``report``). A failure to
    write stdout raises StdoutError: nothing after it can be shown."""
    try:
        decoded = decode(_read_bytes(source), source.name)
        new_text = _translated(decoded, source.name, report, mode=mode, format=format)
        if new_text is None:
            return None
        is_changed = new_text != decoded.text
        if is_changed:
            try:  # never write, print or diff a translation that does not compile
                validate.check_output(
                    new_text,
                    decoded.text,
                    source.name,
                    lambda: _line_map(decoded.text, source.name, new_text, mode),
                )
            except InternalError as exc:
                report.failed(internal_error_message(exc, source.name))
                return None
        data = encode(new_text, decoded, source.name) if is_changed else decoded.raw

        if to_stdout:
            write_stdout(data)
        elif source.dest is not None:
            write_file(source.dest, data)
        elif in_place and is_changed:
            assert source.path is not None
            write_file(source.path, data)
        if diff and is_changed:
            write_stdout(unified_diff(decoded.text, new_text, source.name))
    except FileError as exc:
        report.failed(f"error: {exc}")
        return None
    return is_changed


def _translated(
    decoded: Decoded, name: str, report: Report, *, mode: Mode, format: bool
) -> str | None:
    """The translation of ``decoded``, or None when it fails (reported)."""
    try:
        return desugar.translate(decoded.text, name, format=format, mode=mode)
    except TranslateError as exc:
        if exc.filename != name or not exc.source_line:
            exc.located(name, decoded.text)
        if exc.hint is None and exc.message.startswith("SyntaxError: "):
            exc.hint = _syntax_hint()
        report.failed(str(exc))
        return None
    except Exception as exc:  # noqa: BLE001 - any other exception is our bug
        located = _uncompilable(decoded.text, name, mode) if format else None
        report.failed(internal_error_message(located or exc, name))
        if report.verbose:
            _err("".join(traceback.format_exception(exc)).rstrip())
        return None


@dataclass
class Report:
    """What a translate run did to its files, told on stderr as it goes, and
    the summary line and exit status at the end.

    ``check`` and ``diff`` write nothing, so their messages say "would";
    ``quiet`` tells nothing but errors; ``verbose`` tells every file.
    """

    check: bool = False
    diff: bool = False
    quiet: bool = False
    verbose: bool = False
    change_count: int = 0
    same_count: int = 0
    failure_count: int = 0
    skip_count: int = 0

    def done(self, name: str, changed: bool, *, dest: Path | None = None) -> None:
        """Count a file translated (``changed``) or left as it was, and tell it."""
        if changed:
            self.change_count += 1
        else:
            self.same_count += 1
        if self.quiet:
            return
        if self.check or self.diff:
            if changed:
                _err(f"would translate {name}")
            elif self.verbose:
                _err(f"unchanged {name}")
        elif self.verbose:
            if not changed:
                _err(f"unchanged {name}")
            elif dest is not None:
                _err(f"translated {name} -> {dest}")
            else:
                _err(f"translated {name}")

    def skipped(self, name: str, reason: str) -> None:
        """Count a file of a directory left out, and tell why (unless quiet)."""
        self.skip_count += 1
        if not self.quiet:
            _err(f"skipped {name}: {reason}")

    def failed(self, message: str) -> None:
        """Count a failure and tell it (even when quiet); ``message`` names the file."""
        self.failure_count += 1
        _err(message)

    @property
    def return_code(self) -> int:
        """123 if anything failed; else 1 if ``--check`` found a file to
        translate; else 0."""
        if self.failure_count:
            return EXIT_ERROR
        if self.check and self.change_count:
            return EXIT_WOULD_CHANGE
        return EXIT_OK

    def __str__(self) -> str:
        """The summary line."""
        if self.check or self.diff:
            summary = (
                f"{_files(self.change_count)} would be translated, "
                f"{_files(self.same_count)} would be left unchanged"
            )
            if self.failure_count:
                summary += f", {_files(self.failure_count)} would fail to translate"
        else:
            summary = (
                f"{_files(self.change_count)} translated, {self.same_count} left unchanged, "
                f"{self.failure_count} failed"
            )
        if self.skip_count:
            summary += f", {self.skip_count} skipped"
        return summary + "."

    def summarise(self, *, several: bool) -> None:
        """Tell the summary line, unless quiet; for one input only with
        ``--check``, ``--diff`` or ``--verbose``."""
        if not self.quiet and (several or self.check or self.diff or self.verbose):
            _err(str(self))


# --------------------------------------------------------------------------
# Other commands: each module is imported only when its command is asked for,
# so that ``desugar FILE`` starts without them.

main.commands = _LazyCommands(main.commands)
main.commands.lazy.update(
    {
        "run": ("desugar.run", "run_command"),
        "diagram": ("desugar.diagram", "diagram_command"),
        "compare": ("desugar.compare", "compare_command"),
        "console": ("desugar.console.command", "console_command"),
        "explore": ("desugar.explore", "explore_command"),
        "cache": ("desugar.precompile", "cache_command"),
    }
)
