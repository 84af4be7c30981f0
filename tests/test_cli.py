"""The ``desugar`` command line: modes, outputs, messages and exit codes."""

from __future__ import annotations

import asyncio
import errno
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

import desugar
import desugar.cli
from support import leftover_async
from desugar.cli import main
from desugar.errors import InternalError

PROJECT_ROOT = Path(__file__).resolve().parent.parent

ASYNC_SRC = "async def f():\n    await g()\n"
PLAIN_SRC = "import os\n\n\ndef h(x):\n    return x  + 1  # odd spacing is kept\n"
# The compiler passes modules without async through untouched, so a syntax
# error is only reported in a module that needs translating.
BAD_SRC = "async def f(:\n"

EXIT_WOULD_CHANGE = 1
EXIT_ERROR = 123
EXIT_USAGE = 2


def invoke(args: list[str], input: bytes | str | None = None) -> Result:
    """Run the CLI in-process; ``result.stdout`` and ``result.stderr`` are separate."""
    return CliRunner().invoke(main, args, input=input, catch_exceptions=False)


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run every test in an empty directory so names in messages are relative."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(path: str, text: str | bytes) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_bytes(text.encode("utf-8"))
    return p


def translated(source: str, filename: str) -> str:
    return desugar.translate(source, filename)


# --------------------------------------------------------------------------
# One file to stdout


def test_file_with_async_def_is_printed_translated_to_stdout() -> None:
    write("a.py", ASYNC_SRC)
    result = invoke(["a.py"])
    assert result.exit_code == 0, result.stderr
    assert "def " in result.stdout
    assert leftover_async(result.stdout) == []
    compile(result.stdout, "a.py", "exec")
    assert result.stderr == ""


def test_module_without_async_is_printed_byte_for_byte_unchanged() -> None:
    write("plain.py", PLAIN_SRC)
    result = invoke(["plain.py"])
    assert result.exit_code == 0
    assert result.stdout_bytes == PLAIN_SRC.encode()
    assert result.stderr == ""


def test_stdin_dash_is_translated_to_stdout() -> None:
    result = invoke(["-"], input=ASYNC_SRC)
    assert result.exit_code == 0, result.stderr
    assert leftover_async(result.stdout) == []
    compile(result.stdout, "<stdin>", "exec")


def test_translate_subcommand_is_the_same_as_no_subcommand() -> None:
    write("a.py", ASYNC_SRC)
    assert invoke(["translate", "a.py"]).stdout == invoke(["a.py"]).stdout


def test_coding_cookie_is_respected_and_bytes_are_kept() -> None:
    raw = "# -*- coding: latin-1 -*-\nx = 'é'\n".encode("latin-1")
    write("latin.py", raw)
    result = invoke(["latin.py"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes == raw


def test_crlf_newlines_are_preserved_in_the_translation() -> None:
    write("crlf.py", ASYNC_SRC.replace("\n", "\r\n").encode())
    result = invoke(["crlf.py", "-o", "out.py"])
    assert result.exit_code == 0, result.stderr
    data = Path("out.py").read_bytes()
    assert leftover_async(data.decode()) == []
    assert b"\r\n" in data
    assert b"\n" not in data.replace(b"\r\n", b"")


# --------------------------------------------------------------------------
# -o / --in-place


def test_output_option_writes_the_translation_to_the_file() -> None:
    write("a.py", ASYNC_SRC)
    result = invoke(["a.py", "-o", "out.py"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert Path("out.py").read_text() == translated(ASYNC_SRC, "a.py")
    assert Path("a.py").read_text() == ASYNC_SRC


def test_output_into_an_existing_directory_keeps_the_file_name() -> None:
    write("a.py", ASYNC_SRC)
    Path("outdir").mkdir()
    result = invoke(["a.py", "-o", "outdir"])
    assert result.exit_code == 0, result.stderr
    assert Path("outdir/a.py").read_text() == translated(ASYNC_SRC, "a.py")


@pytest.mark.parametrize("out", ["a.py", "./a.py", "sub/../a.py"])
def test_output_onto_the_input_is_refused_and_the_input_is_untouched(out: str) -> None:
    Path("sub").mkdir()
    write("a.py", ASYNC_SRC)
    result = invoke(["a.py", "-o", out])
    assert result.exit_code == EXIT_ERROR
    assert result.stderr == (
        f"error: refusing to write {Path(out)}: it is an input file "
        "(use --in-place to rewrite inputs)\n"
    )
    assert Path("a.py").read_text() == ASYNC_SRC


def test_output_directory_equal_to_the_input_directory_is_refused() -> None:
    write("pkg/a.py", ASYNC_SRC)
    result = invoke(["pkg", "-o", "pkg"])
    assert result.exit_code == EXIT_ERROR
    assert result.stderr == (
        "error: refusing to write pkg/a.py: it is an input file "
        "(use --in-place to rewrite inputs)\n"
    )
    assert Path("pkg/a.py").read_text() == ASYNC_SRC


def test_in_place_rewrites_only_the_files_that_change() -> None:
    write("a.py", ASYNC_SRC)
    plain = write("plain.py", PLAIN_SRC)
    os.utime(plain, (0, 0))
    result = invoke(["a.py", "plain.py", "--in-place"])
    assert result.exit_code == 0, result.stderr
    assert Path("a.py").read_text() == translated(ASYNC_SRC, "a.py")
    assert plain.read_text() == PLAIN_SRC
    assert plain.stat().st_mtime == 0
    assert result.stdout == ""
    assert result.stderr == "1 file translated, 1 left unchanged, 0 failed.\n"


@pytest.mark.parametrize(
    "options", [[], ["-o", "out.py"], ["--check"], ["--diff"], ["--no-format"]]
)
def test_input_is_never_overwritten_without_in_place(options: list[str]) -> None:
    write("a.py", ASYNC_SRC)
    invoke(["a.py", *options])
    assert Path("a.py").read_text() == ASYNC_SRC


def test_directory_is_translated_recursively_mirroring_its_layout() -> None:
    write("pkg/__init__.py", PLAIN_SRC)
    write("pkg/sub/mod.py", ASYNC_SRC)
    write("pkg/notes.txt", "not python\n")
    for skipped in [
        "__pycache__",
        ".hidden",
        ".git",
        "build",
        "dist",
        "pkg.egg-info",
        ".venv",
        "venv",
    ]:
        write(f"pkg/{skipped}/skip.py", BAD_SRC)
    write("pkg/myenv/pyvenv.cfg", "home = /usr\n")
    write("pkg/myenv/lib/skip.py", BAD_SRC)

    result = invoke(["pkg", "-o", "out"])
    assert result.exit_code == 0, result.stderr
    written = sorted(
        str(p.relative_to("out")) for p in Path("out").rglob("*") if p.is_file()
    )
    assert written == ["__init__.py", "sub/mod.py"]
    assert Path("out/__init__.py").read_text() == PLAIN_SRC
    assert Path("out/sub/mod.py").read_text() == translated(ASYNC_SRC, "pkg/sub/mod.py")
    assert result.stderr == "1 file translated, 1 left unchanged, 0 failed.\n"


def test_several_inputs_are_mirrored_below_their_common_directory() -> None:
    write("src/a.py", ASYNC_SRC)
    write("src/lib/b.py", PLAIN_SRC)
    result = invoke(["src/a.py", "src/lib", "-o", "out"])
    assert result.exit_code == 0, result.stderr
    assert Path("out/a.py").read_text() == translated(ASYNC_SRC, "src/a.py")
    assert Path("out/lib/b.py").read_text() == PLAIN_SRC


def test_output_directory_inside_the_input_directory_is_not_read_back() -> None:
    write("pkg/a.py", ASYNC_SRC)
    write("pkg/out/stale.py", BAD_SRC)
    result = invoke(["pkg", "-o", "pkg/out"])
    assert result.exit_code == 0, result.stderr
    assert Path("pkg/out/a.py").exists()
    assert not Path("pkg/out/out").exists()


# --------------------------------------------------------------------------
# --check / --diff


def test_check_exits_1_and_names_each_file_that_would_be_translated() -> None:
    write("a.py", ASYNC_SRC)
    write("plain.py", PLAIN_SRC)
    result = invoke(["--check", "a.py", "plain.py"])
    assert result.exit_code == EXIT_WOULD_CHANGE
    assert result.stdout == ""
    assert result.stderr == (
        "would translate a.py\n"
        "1 file would be translated, 1 file would be left unchanged.\n"
    )
    assert sorted(os.listdir()) == ["a.py", "plain.py"]


def test_check_exits_0_when_no_file_would_change() -> None:
    write("plain.py", PLAIN_SRC)
    write("other.py", PLAIN_SRC)
    result = invoke(["--check", "plain.py", "other.py"])
    assert result.exit_code == 0
    assert (
        result.stderr
        == "0 files would be translated, 2 files would be left unchanged.\n"
    )


def test_check_quiet_prints_nothing_but_keeps_the_exit_code() -> None:
    write("a.py", ASYNC_SRC)
    result = invoke(["--check", "-q", "a.py"])
    assert result.exit_code == EXIT_WOULD_CHANGE
    assert result.stderr == ""


def test_diff_prints_a_labelled_unified_diff_and_exits_0() -> None:
    write("a.py", ASYNC_SRC)
    write("plain.py", PLAIN_SRC)
    result = invoke(["--diff", "a.py", "plain.py"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines(keepends=True)
    assert lines[0] == "--- a.py\t(original)\n"
    assert lines[1] == "+++ a.py\t(translated)\n"
    assert lines[2].startswith("@@ -1,2 ")
    assert "-async def f():\n" in lines
    assert "-    await g()\n" in lines
    assert "plain.py" not in result.stdout
    assert result.stderr == (
        "would translate a.py\n"
        "1 file would be translated, 1 file would be left unchanged.\n"
    )
    assert sorted(os.listdir()) == ["a.py", "plain.py"]


def test_diff_with_check_exits_1_when_there_are_changes() -> None:
    write("a.py", ASYNC_SRC)
    result = invoke(["--diff", "--check", "a.py"])
    assert result.exit_code == EXIT_WOULD_CHANGE
    assert result.stdout.startswith("--- a.py\t(original)\n+++ a.py\t(translated)\n")


def test_diff_marks_a_missing_final_newline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        desugar, "translate", lambda source, filename, format=True, mode=None: "y = 2"
    )
    write("a.py", "x = 1")
    result = invoke(["--diff", "a.py"])
    assert result.stdout == (
        "--- a.py\t(original)\n"
        "+++ a.py\t(translated)\n"
        "@@ -1 +1 @@\n"
        "-x = 1\n"
        "\\ No newline at end of file\n"
        "+y = 2\n"
        "\\ No newline at end of file\n"
    )


# --------------------------------------------------------------------------
# --no-format, reporting


def test_no_format_passes_format_false_to_translate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = []

    def fake(
        source: str, filename: str = "<string>", *, format: bool = True, mode: desugar.Mode | None = None
    ) -> str:
        calls.append((source, filename, format, mode))
        return "translated = True\n"

    monkeypatch.setattr(desugar, "translate", fake)
    write("a.py", ASYNC_SRC)
    result = invoke(["--no-format", "a.py"])
    assert result.stdout == "translated = True\n"
    assert calls == [(ASYNC_SRC, "a.py", False, desugar.Mode())]
    invoke(["a.py"])
    assert calls[-1] == (ASYNC_SRC, "a.py", True, desugar.Mode())
    invoke(["--style", "hir", "a.py"])
    assert calls[-1] == (ASYNC_SRC, "a.py", True, desugar.Mode(style="hir"))
    bad = invoke(["--style", "nope", "a.py"])
    assert bad.exit_code == 2 and calls[-1][3] == desugar.Mode(style="hir")


def test_verbose_reports_every_file() -> None:
    write("pkg/a.py", ASYNC_SRC)
    write("pkg/b.py", PLAIN_SRC)
    result = invoke(["-v", "pkg", "-o", "out"])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (
        "translated pkg/a.py -> out/a.py\n"
        "unchanged pkg/b.py\n"
        "1 file translated, 1 left unchanged, 0 failed.\n"
    )


def test_quiet_suppresses_the_summary() -> None:
    write("pkg/a.py", ASYNC_SRC)
    result = invoke(["-q", "pkg", "-o", "out"])
    assert result.exit_code == 0
    assert result.stderr == ""
    assert Path("out/a.py").exists()


def test_many_files_show_progress_with_verbose() -> None:
    for i in range(6):
        write(f"pkg/m{i}.py", PLAIN_SRC)
    result = invoke(["-v", "pkg", "-o", "out"])
    assert result.exit_code == 0, result.stderr
    progress = [line for line in result.stderr.splitlines() if line.startswith("[")]
    assert progress == [f"[{i + 1}/6] pkg/m{i}.py" for i in range(6)]


def test_few_files_show_no_progress() -> None:
    for i in range(5):
        write(f"pkg/m{i}.py", PLAIN_SRC)
    result = invoke(["-v", "pkg", "-o", "out"])
    assert not any(line.startswith("[") for line in result.stderr.splitlines())


# --------------------------------------------------------------------------
# Errors


def test_syntax_error_is_shown_as_file_line_col_with_a_caret() -> None:
    write("bad.py", BAD_SRC)
    result = invoke(["bad.py"])
    assert result.exit_code == EXIT_ERROR
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert re.match(r"^bad\.py:1:\d+: \S", lines[0]), lines
    col = int(lines[0].split(":")[2])
    assert lines[1] == "    async def f(:"
    assert lines[2] == "    " + " " * (col - 1) + "^"


def test_missing_file_is_reported() -> None:
    result = invoke(["missing.py"])
    assert result.exit_code == EXIT_ERROR
    assert result.stdout == ""
    assert result.stderr == "error: cannot read missing.py: no such file\n"


def test_unreadable_file_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests may run as root, where chmod does not stop reads: fake the failure.
    def deny(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    write("a.py", ASYNC_SRC)
    monkeypatch.setattr(Path, "read_bytes", deny)
    result = invoke(["a.py"])
    assert result.exit_code == EXIT_ERROR
    assert result.stderr == "error: cannot read a.py: permission denied\n"


def test_file_that_is_not_utf8_is_reported() -> None:
    write("latin.py", b"x = '\xe9'\n")
    result = invoke(["latin.py"])
    assert result.exit_code == EXIT_ERROR
    assert result.stderr == (
        "error: cannot read latin.py: not valid UTF-8 text (invalid continuation byte at offset 5)\n"
    )


def test_unknown_coding_cookie_is_reported() -> None:
    write("odd.py", b"# coding: no-such-codec\nx = 1\n")
    result = invoke(["odd.py"])
    assert result.exit_code == EXIT_ERROR
    assert result.stderr.startswith("error: cannot read odd.py: bad coding cookie (")


def test_directory_without_python_files_is_reported() -> None:
    write("empty/readme.txt", "nothing here\n")
    result = invoke(["empty", "-o", "out"])
    assert result.exit_code == EXIT_ERROR
    assert result.stderr == "error: no Python files found in empty\n"
    assert not Path("out").exists()


def test_unwritable_output_is_reported() -> None:
    # A regular file used as a directory: fails even for root.
    write("a.py", ASYNC_SRC)
    write("somefile.txt", "x\n")
    result = invoke(["a.py", "-o", "somefile.txt/out.py"])
    assert result.exit_code == EXIT_ERROR
    assert result.stderr == (
        "error: cannot write somefile.txt/out.py: somefile.txt is not a directory\n"
    )


def test_unexpected_exception_is_reported_as_an_internal_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def boom(source: str, filename: str = "<string>", *, format: bool = True, mode: desugar.Mode | None = None) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(desugar, "translate", boom)
    write("a.py", ASYNC_SRC)
    result = invoke(["a.py"])
    assert result.exit_code == EXIT_ERROR
    assert result.stdout == ""
    assert result.stderr == (
        "error: INTERNAL ERROR while translating a.py: RuntimeError: boom\n"
        "This is a bug in desugar; please report it with the input file.\n"
    )


def test_compiler_internal_error_is_shown_once_not_wrapped_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    message = (
        "INTERNAL ERROR while translating a.py: ValueError: bad node. "
        "This is a bug in desugar; please report it with the input file."
    )

    def boom(source: str, filename: str = "<string>", *, format: bool = True, mode: desugar.Mode | None = None) -> str:
        raise InternalError(message)

    monkeypatch.setattr(desugar, "translate", boom)
    write("a.py", ASYNC_SRC)
    result = invoke(["a.py"])
    assert result.exit_code == EXIT_ERROR
    assert result.stderr == f"error: {message}\n"


def test_internal_error_traceback_is_shown_with_verbose(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def boom(source: str, filename: str = "<string>", *, format: bool = True, mode: desugar.Mode | None = None) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(desugar, "translate", boom)
    write("a.py", ASYNC_SRC)
    result = invoke(["-v", "a.py"])
    assert result.exit_code == EXIT_ERROR
    assert "Traceback (most recent call last):" in result.stderr


def test_a_failing_file_does_not_stop_the_others_but_exits_123() -> None:
    write("pkg/a_bad.py", BAD_SRC)
    write("pkg/b_good.py", ASYNC_SRC)
    write("pkg/c_plain.py", PLAIN_SRC)
    result = invoke(["pkg", "missing.py", "-o", "out"])
    assert result.exit_code == EXIT_ERROR
    assert Path("out/pkg/b_good.py").read_text() == translated(
        ASYNC_SRC, "pkg/b_good.py"
    )
    assert Path("out/pkg/c_plain.py").read_text() == PLAIN_SRC
    assert not Path("out/pkg/a_bad.py").exists()
    lines = result.stderr.splitlines()
    assert lines[0].startswith("pkg/a_bad.py:1:")
    assert "error: cannot read missing.py: no such file" in lines
    assert lines[-1] == "1 file translated, 1 left unchanged, 2 failed."


def test_check_counts_failures_in_the_summary() -> None:
    write("a.py", ASYNC_SRC)
    write("bad.py", BAD_SRC)
    result = invoke(["--check", "a.py", "bad.py"])
    assert result.exit_code == EXIT_ERROR
    assert result.stderr.splitlines()[-1] == (
        "1 file would be translated, 0 files would be left unchanged, "
        "1 file would fail to translate."
    )


# --------------------------------------------------------------------------
# Command line shape


@pytest.mark.parametrize(
    "args, message",
    [
        (["a.py", "b.py"], "a directory or several inputs need --output DIR"),
        (["pkg"], "a directory or several inputs need --output DIR"),
        (
            ["a.py", "--in-place", "-o", "out.py"],
            "--in-place and --output cannot be combined",
        ),
        (["a.py", "--check", "--in-place"], "--check and --diff write nothing"),
        (["a.py", "--diff", "-o", "out.py"], "--check and --diff write nothing"),
        (["a.py", "-q", "-v"], "--quiet and --verbose cannot be combined"),
        (["-", "a.py", "--check"], "standard input (-) cannot be combined"),
        (["-", "--in-place"], "--in-place cannot rewrite standard input"),
    ],
)
def test_conflicting_options_are_usage_errors(args: list[str], message: str) -> None:
    write("a.py", ASYNC_SRC)
    write("b.py", ASYNC_SRC)
    write("pkg/c.py", ASYNC_SRC)
    result = invoke(args)
    assert result.exit_code == EXIT_USAGE
    assert message in result.stderr
    assert Path("a.py").read_text() == ASYNC_SRC


def test_version_option_prints_the_version() -> None:
    result = invoke(["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"desugar {desugar.__version__}\n"


def test_python_dash_m_desugar_version_works() -> None:
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    proc = subprocess.run(
        [sys.executable, "-m", "desugar", "--version"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"desugar {desugar.__version__}\n"


def test_help_lists_the_translate_options_and_the_commands() -> None:
    result = invoke(["--help"])
    assert result.exit_code == 0
    assert "[OPTIONS] SRC..." in result.stdout
    for option in [
        "--output",
        "--in-place",
        "--check",
        "--diff",
        "--no-format",
        "--version",
    ]:
        assert option in result.stdout
    assert "translate" in result.stdout


def test_a_later_subcommand_is_dispatched_while_files_still_translate() -> None:
    @click.command("hello")
    @click.argument("script")
    def hello(script: str) -> None:
        click.echo(f"hello {script}")

    main.add_command(hello)
    try:
        write("a.py", PLAIN_SRC)
        assert invoke(["hello", "a.py"]).stdout == "hello a.py\n"
        assert invoke(["a.py"]).stdout == PLAIN_SRC
        assert invoke(["-v", "a.py"]).stdout == PLAIN_SRC
    finally:
        main.commands.pop("hello")


# --------------------------------------------------------------------------
# Never lose a file: a temporary file beside the target, then os.replace

#: A translation cut short by a full disk: the writes get this many bytes out.
PARTIAL = 40

#: A translation that does not compile, naming input line 2 as compiled code does.
BROKEN_TRANSLATION = (
    "import desugar.runtime as _ds_rt\n\n\n@_ds_rt.async_fn\ndef f():\n"
    "    # line 2: await g()\n    _ds_t1 = g(\n"
)


def leftovers(directory: str = ".") -> list[str]:
    """Temporary files left beside the outputs."""
    return sorted(p.name for p in Path(directory).iterdir() if "desugar-tmp" in p.name)


class FullDisk:
    """An ``open`` for desugar.cli whose files take PARTIAL bytes, then fail with ENOSPC."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, file, mode="r", *args, **kwargs):  # type: ignore[no-untyped-def]
        real = open(file, mode, *args, **kwargs)
        if "w" not in mode and "a" not in mode:
            return real
        self.calls += 1
        inner_write = real.write

        def write(data: bytes) -> int:
            inner_write(data[:PARTIAL])
            real.flush()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        real.write = write  # type: ignore[method-assign]
        return real


@pytest.mark.parametrize("mode", ["in-place", "output"])
def test_a_full_disk_midway_leaves_the_old_file_whole(
    monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    write("a.py", ASYNC_SRC)
    write("out.py", "# the previous output\n")
    full = FullDisk()
    monkeypatch.setattr(desugar.cli, "open", full, raising=False)
    target = "a.py" if mode == "in-place" else "out.py"
    args = ["a.py", "--in-place"] if mode == "in-place" else ["a.py", "-o", "out.py"]
    result = invoke(args)
    assert full.calls == 1
    assert result.exit_code == EXIT_ERROR
    assert result.stderr == f"error: cannot write {target}: no space left on device\n"
    assert Path("a.py").read_text() == ASYNC_SRC
    assert Path("out.py").read_text() == "# the previous output\n"
    assert leftovers() == []


FSIZE_CHILD = """\
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, resource.RLIM_INFINITY))
from desugar.cli import main
sys.argv = ["desugar", *sys.argv[1:]]
main()
"""


@pytest.mark.skipif(
    not hasattr(os, "setrlimit") and sys.platform == "win32",
    reason="RLIMIT_FSIZE (files that cannot grow past a size) is POSIX only",
)
@pytest.mark.parametrize("no_format", [False, True])
def test_in_place_when_the_file_system_refuses_midway_leaves_the_input_whole(
    in_tmp: Path, no_format: bool
) -> None:
    # The kernel stops every write past `limit` bytes, as a full disk would.
    source = ASYNC_SRC * 3
    write("a.py", source)
    limit = len(source) + 10
    assert len(translated(source, "a.py").encode()) > limit
    flags = ["--no-format"] if no_format else []
    result = subprocess.run(
        [sys.executable, "-c", FSIZE_CHILD.format(limit=limit), "a.py", "--in-place", *flags],
        cwd=in_tmp,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == EXIT_ERROR, result.stderr
    assert result.stderr == "error: cannot write a.py: file too large\n"
    assert Path("a.py").read_text() == source
    assert leftovers() == []


def test_in_place_keeps_the_permission_bits_and_leaves_no_temporary_file() -> None:
    path = write("tool.py", ASYNC_SRC)
    path.chmod(0o751)
    result = invoke(["tool.py", "--in-place"])
    assert result.exit_code == 0, result.stderr
    assert path.read_text() == translated(ASYNC_SRC, "tool.py")
    assert stat.S_IMODE(path.stat().st_mode) == 0o751
    assert leftovers() == []


def test_a_new_output_file_gets_the_mode_open_would_give_it() -> None:
    write("a.py", ASYNC_SRC)
    umask = os.umask(0o022)
    try:
        result = invoke(["a.py", "-o", "out.py"])
    finally:
        os.umask(umask)
    assert result.exit_code == 0, result.stderr
    assert stat.S_IMODE(Path("out.py").stat().st_mode) == 0o644


def test_in_place_through_a_symbolic_link_rewrites_the_file_and_keeps_the_link() -> None:
    write("real/a.py", ASYNC_SRC)
    os.symlink("real/a.py", "link.py")
    result = invoke(["link.py", "--in-place"])
    assert result.exit_code == 0, result.stderr
    assert os.path.islink("link.py")
    assert Path("real/a.py").read_text() == translated(ASYNC_SRC, "link.py")


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="needs /dev/null")
def test_output_to_a_device_is_written_to_it_not_replaced() -> None:
    write("a.py", ASYNC_SRC)
    before = os.stat("/dev/null")
    result = invoke(["a.py", "-o", "/dev/null"])
    assert result.exit_code == 0, result.stderr
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode)
    assert (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)


@pytest.mark.parametrize("mode", ["in-place", "output", "stdout", "diff"])
def test_a_translation_that_does_not_compile_is_never_written(
    monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.setattr(desugar, "translate", lambda *a, **k: BROKEN_TRANSLATION)
    write("a.py", ASYNC_SRC)
    args = {
        "in-place": ["--in-place"],
        "output": ["-o", "out.py"],
        "stdout": [],
        "diff": ["--diff"],
    }[mode]
    result = invoke(["a.py", *args])
    assert result.exit_code == EXIT_ERROR
    assert result.stdout == ""
    assert Path("a.py").read_text() == ASYNC_SRC
    assert not Path("out.py").exists()
    assert leftovers() == []
    lines = result.stderr.splitlines()
    # Located at the input line the broken code stands for, with that line shown.
    assert lines[0].startswith(
        "a.py:2:5: INTERNAL ERROR: the translation of this line does not compile "
        "(SyntaxError: "
    ), lines
    assert "line 7 of the translation" in lines[0]
    assert lines[1:3] == ["        await g()", "        ^"]
    assert lines[3] == "This is a bug in desugar; please report it with the input file."


def test_an_uncompilable_unformatted_translation_is_located_by_its_line_map(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No "# line N:" comment to go by: the compiler's line map places it.
    import desugar.compiler

    source = "async def f():\n    x = 1\n    return x +\\\n        await g()\n"
    broken = "def f():\n    x = 1\n    return x +\n"
    monkeypatch.setattr(desugar, "translate", lambda *a, **k: broken)
    monkeypatch.setattr(
        desugar.compiler, "translate_with_lines", lambda *a, **k: (broken, [1, 2, 3, 3])
    )
    write("a.py", source)
    result = invoke(["a.py", "--no-format", "-o", "out.py"])
    assert result.exit_code == EXIT_ERROR
    assert not Path("out.py").exists()
    assert result.stderr.splitlines()[:3] == [
        "a.py:3:5: INTERNAL ERROR: the translation of this line does not compile "
        "(SyntaxError: invalid syntax, at line 3 of the translation)",
        "        return x +\\",
        "        ^",
    ]


def test_black_failing_on_an_uncompilable_translation_reports_the_input_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import desugar.compiler

    def black_fails(*args: object, **kwargs: object) -> str:
        raise InternalError("INTERNAL ERROR: black could not format the translation of a.py")

    monkeypatch.setattr(desugar, "translate", black_fails)
    monkeypatch.setattr(
        desugar.compiler,
        "translate_with_lines",
        lambda *a, **k: (BROKEN_TRANSLATION, [1, 1, 1, 1, 1, 2, 2, 2]),
    )
    write("a.py", ASYNC_SRC)
    result = invoke(["a.py", "-o", "out.py"])
    assert result.exit_code == EXIT_ERROR
    assert not Path("out.py").exists()
    assert result.stderr.startswith(
        "a.py:2:5: INTERNAL ERROR: the translation of this line does not compile"
    ), result.stderr


# --------------------------------------------------------------------------
# Unreadable inputs: one exit code, named directly or found in a directory


@pytest.mark.parametrize("where", ["named", "in_a_directory"])
def test_an_unreadable_file_exits_123_however_it_is_found(
    monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    # Root reads whatever chmod says: fake what a user without the permission sees.
    write("pkg/a.py", ASYNC_SRC)
    write("pkg/b.py", ASYNC_SRC)
    denied = os.path.abspath("pkg/a.py")
    real_access, real_read = os.access, Path.read_bytes

    def access(path, mode, *args, **kwargs):  # type: ignore[no-untyped-def]
        if os.path.abspath(path) == denied:
            return False
        return real_access(path, mode, *args, **kwargs)

    def read_bytes(self: Path) -> bytes:
        if os.path.abspath(self) == denied:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_read(self)

    monkeypatch.setattr(os, "access", access)
    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    args = ["pkg/a.py", "pkg/b.py"] if where == "named" else ["pkg"]
    result = invoke([*args, "-o", "out"])
    assert result.exit_code == EXIT_ERROR
    assert "error: cannot read pkg/a.py: permission denied" in result.stderr.splitlines()
    assert Path("out/b.py").read_text() == translated(ASYNC_SRC, "pkg/b.py")


def test_a_directory_that_cannot_be_listed_is_reported_not_skipped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write("pkg/a.py", ASYNC_SRC)
    write("pkg/secret/b.py", ASYNC_SRC)
    real_scandir = os.scandir

    def scandir(path=".", *args, **kwargs):  # type: ignore[no-untyped-def]
        if os.path.basename(os.fspath(path)) == "secret":
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return real_scandir(path, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", scandir)
    result = invoke(["pkg", "-o", "out"])
    assert result.exit_code == EXIT_ERROR
    assert "error: cannot read pkg/secret: permission denied" in result.stderr.splitlines()
    assert Path("out/a.py").exists()


# --------------------------------------------------------------------------
# A full output: one line of error, no traceback


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("how", ["output", "stdout", "diff"])
def test_writing_to_dev_full_is_a_one_line_error(in_tmp: Path, how: str) -> None:
    write("a.py", ASYNC_SRC)
    args = {"output": ["-o", "/dev/full"], "stdout": [], "diff": ["--diff"]}[how]
    with open("/dev/full", "wb") as full:
        result = subprocess.run(
            [sys.executable, "-m", "desugar", "a.py", *args],
            cwd=in_tmp,
            env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
            stdout=full if how != "output" else subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    what = "/dev/full" if how == "output" else "to standard output"
    assert result.stderr == f"error: cannot write {what}: no space left on device\n"
    assert result.returncode == EXIT_ERROR
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


# --------------------------------------------------------------------------
# Line endings come back as they went in


@pytest.mark.parametrize("newline", ["\r", "\r\n"], ids=["CR", "CRLF"])
@pytest.mark.parametrize("no_format", [False, True], ids=["black", "no-format"])
@pytest.mark.parametrize("to", ["output", "stdout"])
def test_cr_and_crlf_line_endings_are_kept(newline: str, no_format: bool, to: str) -> None:
    source = "import os\n\n\nasync def f():\n    await g()\n    return 1\n"
    write("a.py", source.replace("\n", newline).encode())
    flags = ["--no-format"] if no_format else []
    result = invoke(["a.py", *flags, *(["-o", "out.py"] if to == "output" else [])])
    assert result.exit_code == 0, result.stderr
    data = Path("out.py").read_bytes() if to == "output" else result.stdout_bytes
    text = data.decode()
    assert leftover_async(text) == []
    assert text.count(newline) >= 8
    other = {"\r": "\n", "\r\n": "\r"}[newline]
    assert other not in text.replace(newline, ""), repr(text)
    assert text.replace(newline, "\n") == desugar.translate(
        source, "a.py", format=not no_format
    )


@pytest.mark.parametrize(
    "text, newline",
    [
        ("a\nb\r\n", "\n"),
        ("a\r\nb\n", "\r\n"),
        ("a\rb\n", "\r"),
        ("a\r", "\r"),
        ("a", "\n"),
        ("a\f\x85\u2028b\rc", "\r"),
    ],
)
def test_the_first_line_ending_is_the_one_kept(text: str, newline: str) -> None:
    assert desugar.cli.first_line_ending(text) == newline


# --------------------------------------------------------------------------
# Source encodings


@pytest.mark.parametrize("no_format", [False, True])
def test_a_latin_1_coding_cookie_is_honoured_in_a_translation(no_format: bool) -> None:
    raw = (
        "#!/usr/bin/env python\n# -*- coding: latin-1 -*-\n"
        "async def f():\n    await g()\n    return 'caf\xe9'\n"
    ).encode("latin-1")
    write("latin.py", raw)
    result = invoke(["latin.py", "-o", "out.py", *(["--no-format"] if no_format else [])])
    assert result.exit_code == 0, result.stderr
    data = Path("out.py").read_bytes()
    assert b"coding: latin-1" in data.split(b"\n", 2)[1]
    assert b"caf\xe9" in data  # still latin-1, not UTF-8
    namespace: dict[str, Any] = {"g": asyncio.sleep}
    exec(compile(data, "out.py", "exec"), namespace)
    namespace["g"] = lambda: asyncio.sleep(0)
    assert asyncio.run(namespace["f"]()) == "caf\xe9"


def test_in_place_in_a_directory_where_no_file_can_be_created_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The input could be overwritten directly, but not replaced whole: it is left alone.
    write("a.py", ASYNC_SRC)
    real_open = os.open

    def no_new_files(path, flags, *args, **kwargs):  # type: ignore[no-untyped-def]
        if flags & os.O_CREAT:
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", no_new_files)
    result = invoke(["a.py", "--in-place"])
    assert result.exit_code == EXIT_ERROR
    assert result.stderr.startswith(
        "error: cannot write a.py: cannot create a temporary file beside it (in "
    )
    assert result.stderr.endswith("): permission denied\n")
    assert Path("a.py").read_text() == ASYNC_SRC


def test_a_private_file_is_never_readable_by_others_while_it_is_replaced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = write("secret.py", ASYNC_SRC)
    path.chmod(0o600)
    modes: list[int] = []
    real_replace = os.replace

    def replace(src, dst, *args, **kwargs):  # type: ignore[no-untyped-def]
        modes.append(stat.S_IMODE(os.stat(src).st_mode))
        return real_replace(src, dst, *args, **kwargs)

    real_open = os.open

    def watch_open(path, flags, mode=0o777, *args, **kwargs):  # type: ignore[no-untyped-def]
        if flags & os.O_CREAT:
            modes.append(mode)
        return real_open(path, flags, mode, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "open", watch_open)
    result = invoke(["secret.py", "--in-place"])
    assert result.exit_code == 0, result.stderr
    assert modes == [0o600, 0o600]  # created private, renamed with the file's own mode
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


# --------------------------------------------------------------------------
# Mistyped commands and options: click's usage error, with "did you mean"


def _desugar(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desugar", *args],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )


@pytest.mark.parametrize(("word", "command"), [("runn", "run"), ("dagram", "diagram"), ("comapre", "compare")])
def test_a_mistyped_command_is_a_usage_error_with_the_command_meant(
    tmp_path: Path, word: str, command: str
) -> None:
    result = _desugar(tmp_path, word, "x.py")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.endswith(
        f"\nError: No such command {word!r} (and no such file). Did you mean {command!r}?\n"
    ), result.stderr


@pytest.mark.parametrize(
    ("args", "usage"),
    [
        (["--bogus", "x.py"], "Usage: python -m desugar [OPTIONS] SRC...\nTry 'python -m desugar --help' for help."),
        (["translate", "--bogus", "x.py"],
         "Usage: python -m desugar translate [OPTIONS] SRC...\nTry 'python -m desugar translate --help' for help."),
        (["run", "--bogus", "x.py"],
         "Usage: python -m desugar run [OPTIONS] TARGET [ARGS]...\nTry 'python -m desugar run --help' for help."),
    ],
)
def test_usage_names_the_command_as_it_was_typed(tmp_path: Path, args: list[str], usage: str) -> None:
    result = _desugar(tmp_path, *args)
    assert result.returncode == 2
    assert result.stderr.startswith(usage + "\n"), result.stderr


def test_a_file_named_like_a_command_is_still_translated(tmp_path: Path) -> None:
    (tmp_path / "runn").write_text(ASYNC_SRC, encoding="utf-8")
    result = _desugar(tmp_path, "runn")
    assert result.returncode == 0, result.stderr
    assert "def f():" in result.stdout


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["run", "--bogus", "prog.py"], "No such option '--bogus'."),
        (["run", "--dump-onn", "SIGUSR1", "prog.py"],
         "No such option '--dump-onn'. (Did you mean one of: '--dump-on', '--dump-on-hang'?)"),
        (["run", "--lowring=callback", "prog.py"], "No such option '--lowring'. (Did you mean one of: '--lint', '--lowering'?)"),
        (["diagram", "--tsk", "main", "prog.py"], "No such option '--tsk'. (Did you mean one of: '--svg', '--task'?)"),
    ],
)
def test_an_unknown_option_before_the_script_is_a_usage_error_not_the_script(
    tmp_path: Path, args: list[str], error: str
) -> None:
    (tmp_path / "prog.py").write_text("open('ran', 'w').close()\n", encoding="utf-8")
    result = _desugar(tmp_path, *args)
    assert result.returncode == 2
    assert result.stderr.endswith(f"\nError: {error}\n"), result.stderr
    assert not (tmp_path / "ran").exists()


def test_options_after_the_script_are_the_programs(tmp_path: Path) -> None:
    (tmp_path / "prog.py").write_text("import sys\nprint(sys.argv[1:])\n", encoding="utf-8")
    result = _desugar(tmp_path, "run", "prog.py", "--bogus")
    assert (result.returncode, result.stdout) == (0, "['--bogus']\n")


def test_a_syntax_error_is_located_shown_and_hinted(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text("async def f(:\n", encoding="utf-8")
    result = _desugar(tmp_path, "bad.py")
    assert result.returncode == 123  # (as black's for a file it cannot parse)
    version = ".".join(map(str, sys.version_info[:2]))
    assert result.stderr == (
        "bad.py:1:13: SyntaxError: invalid syntax\n"
        "    async def f(:\n"
        "                ^\n"
        f"hint: desugar translates what Python {version} compiles: fix the line, or run "
        "desugar under the Python the code is written for\n"
    )


def test_help_gives_each_commands_first_sentence_whole(tmp_path: Path) -> None:
    result = _desugar(tmp_path, "--help")
    assert result.returncode == 0
    commands = " ".join(result.stdout.split("\nCommands:\n", 1)[1].split())
    assert "..." not in commands
    assert "compare Run SCRIPT natively and under each lowering; print the frames at its failure and the costs." in commands
    assert "run Run the script TARGET (or, with -m, the module) with async code translated on import." in commands


# --------------------------------------------------------------------------
# Symbolic links in a directory: one to a file outside it is skipped, as black does


def test_in_place_skips_a_link_to_a_file_outside_the_directory_and_says_so(tmp_path: Path) -> None:
    tree, elsewhere = tmp_path / "tree", tmp_path / "elsewhere"
    tree.mkdir()
    elsewhere.mkdir()
    outside = elsewhere / "shared.py"
    outside.write_text(ASYNC_SRC, encoding="utf-8")
    (tree / "own.py").write_text(ASYNC_SRC, encoding="utf-8")
    (tree / "link.py").symlink_to(outside)
    result = _desugar(tmp_path, "--in-place", "tree")
    assert result.returncode == 0, result.stderr
    assert outside.read_text(encoding="utf-8") == ASYNC_SRC  # not rewritten through the link
    assert (tree / "link.py").is_symlink()
    assert "def f():" in (tree / "own.py").read_text(encoding="utf-8")
    assert "async def" not in (tree / "own.py").read_text(encoding="utf-8")
    assert result.stderr == (
        f"skipped {Path('tree') / 'link.py'}: a symbolic link to {os.path.realpath(outside)}, outside tree\n"
        "1 file translated, 0 left unchanged, 0 failed, 1 skipped.\n"
    )


def test_a_link_to_a_file_inside_the_directory_is_translated(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub" / "real.py").write_text(ASYNC_SRC, encoding="utf-8")
    (tree / "alias.py").symlink_to(tree / "sub" / "real.py")
    result = _desugar(tmp_path, "--check", "tree")
    assert result.returncode == 1, result.stderr
    assert "skipped" not in result.stderr
    assert f"would translate {Path('tree') / 'alias.py'}\n" in result.stderr


def test_the_summary_counts_skipped_links(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tmp_path / "out.py").write_text(ASYNC_SRC, encoding="utf-8")
    (tree / "a.py").write_text(ASYNC_SRC, encoding="utf-8")
    (tree / "b.py").write_text("x = 1\n", encoding="utf-8")
    (tree / "l.py").symlink_to(tmp_path / "out.py")
    result = _desugar(tmp_path, "--check", "tree")
    assert result.returncode == 1
    assert result.stderr.endswith("1 file would be translated, 1 file would be left unchanged, 1 skipped.\n"), result.stderr


# --------------------------------------------------------------------------
# Several files in several processes


@pytest.mark.parametrize("extra", [[], ["--check"], ["-v"], ["-q"]])
def test_workers_give_the_same_output_report_and_status_as_one_process(extra: list[str]) -> None:
    write("src/a.py", ASYNC_SRC)
    write("src/b.py", PLAIN_SRC)
    write("src/c_bad.py", BAD_SRC)
    write("src/sub/d.py", ASYNC_SRC.replace("g()", "h()"))
    out = ["-o", "OUT"] if extra != ["--check"] else []
    one = invoke(["-W", "1", *extra, "src", *[o.replace("OUT", "out1") for o in out]])
    two = invoke(["-W", "2", *extra, "src", *[o.replace("OUT", "out2") for o in out]])
    assert one.exit_code == two.exit_code == EXIT_ERROR
    assert two.stderr.replace("out2", "out1") == one.stderr
    assert "c_bad.py:1:13: SyntaxError: invalid syntax" in two.stderr
    assert one.stdout == two.stdout == ""
    if out:
        for name in ("a.py", "b.py", "sub/d.py"):
            assert Path("out2", name).read_text() == Path("out1", name).read_text()
        assert not Path("out2", "c_bad.py").exists()


def test_workers_refuses_zero() -> None:
    write("a.py", ASYNC_SRC)
    result = invoke(["-W", "0", "a.py"])
    assert result.exit_code == EXIT_USAGE
    assert "Invalid value for '-W' / '--workers': 0 is not in the range x>=1." in result.stderr


def test_translate_of_a_file_imports_no_other_command(tmp_path: Path) -> None:
    write("a.py", ASYNC_SRC)
    code = (
        "import sys, desugar.cli\n"
        "try:\n"
        "    desugar.cli.main(['a.py'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "mods = ['desugar.compare', 'desugar.run', 'desugar.diagram', 'desugar.explore', 'desugar.console.command']\n"
        "print([m for m in mods if m in sys.modules])\n"
    )
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert proc.stdout.splitlines()[-1] == "[]", proc.stderr
