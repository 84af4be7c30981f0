"""Async backtraces in the article's edited form: runtime frames hidden, youngest first.

Because a translated future polls the future it awaits, every async caller is
a live frame below its callee, and an exception's traceback already holds the
whole await chain. :func:`format_backtrace` prints it as Rust does with
``RUST_BACKTRACE=1``, minus the runtime's own frames::

    task panicked at 'RuntimeError: nested async panic!', ex.py:27
    stack backtrace:
       4: ex::blow_up
                 at ex.py:27
       ...
"""

from __future__ import annotations

import os
import sys
import traceback
from types import FrameType, TracebackType
from typing import IO, Iterator

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def is_runtime_frame(frame: FrameType) -> bool:
    """True for frames of desugar itself (the executor, `GenFuture.poll`, wrappers)."""
    filename = os.path.abspath(frame.f_code.co_filename)
    return filename.startswith(_PACKAGE_DIR + os.sep)


def _frames(tb: TracebackType | None) -> Iterator[tuple[FrameType, int]]:
    while tb is not None:
        yield tb.tb_frame, tb.tb_lineno
        tb = tb.tb_next


def _function_name(frame: FrameType) -> str:
    code = frame.f_code
    qualname = getattr(code, "co_qualname", code.co_name)
    module = frame.f_globals.get("__name__", "?")
    if module == "__main__":
        module = os.path.splitext(os.path.basename(code.co_filename))[0]
    return "::".join([module, *qualname.replace(".<locals>", "").split(".")])


def _display_path(filename: str) -> str:
    try:
        relative = os.path.relpath(filename)
    except ValueError:
        return filename
    return filename if relative.startswith("..") else relative


def format_backtrace(error: BaseException) -> str:
    """The backtrace of ``error`` in the article's form, youngest frame first.

    Frames are numbered as in the full stack (runtime frames count but are not
    shown, so the numbers have gaps, as in the article).
    """
    frames = list(_frames(error.__traceback__))[::-1]
    message = "".join(traceback.format_exception_only(type(error), error)).strip()
    notes = getattr(error, "__notes__", None)  # (a captured async stack's note: printed apart)
    if isinstance(notes, (list, tuple)) and notes:
        count = sum(len(str(note).splitlines()) for note in notes)
        message = "\n".join(message.splitlines()[:-count] or [message])
    lines = []
    shown = [(i, f, n) for i, (f, n) in enumerate(frames) if not is_runtime_frame(f)]
    if shown:
        _, youngest, line = shown[0]
        where = f"{_display_path(youngest.f_code.co_filename)}:{line}"
        lines.append(f"task panicked at '{message}', {where}")
    else:
        lines.append(f"task panicked at '{message}'")
    lines.append("stack backtrace:")
    for index, frame, lineno in shown:
        lines.append(f"{index:>4}: {_function_name(frame)}")
        lines.append(f"             at {_display_path(frame.f_code.co_filename)}:{lineno}")
    return "\n".join(lines) + "\n"


def print_backtrace(error: BaseException, file: IO[str] | None = None) -> None:
    """Print :func:`format_backtrace` of ``error`` (to stderr by default)."""
    print(format_backtrace(error), end="", file=file if file is not None else sys.stderr)
