"""Errors the compiler reports about its input, located as `file:line:col`."""

from __future__ import annotations


def source_lines(source: str) -> list[str]:
    """The lines of ``source`` as CPython numbers them.

    CPython ends a line only at ``\\n``, ``\\r\\n`` and ``\\r``;
    ``str.splitlines()`` also splits at form feed, vertical tab,
    ``\\x1c``-``\\x1e``, ``\\x85``, U+2028 and U+2029, which would put every
    later line number, and the line shown with it, off.
    """
    # (Not a regular expression: `re` is costly to import.)
    return source.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _shown(line: str) -> str:
    """A source line as printed under a location: one column per character.

    Tabs and characters a terminal would not print as one glyph (form feed,
    U+2028, other controls) become a space each, so the caret below stays under
    the column it names.
    """
    return "".join(c if c.isprintable() else " " for c in line).rstrip()


def _located_text(
    filename: str, line: int, col: int, message: str, source_line: str, hint: str | None
) -> str:
    out = f"{filename}:{line}:{col}: {message}"
    if source_line:
        text = _shown(source_line)
        if text:
            out += f"\n    {text}\n    {' ' * max(col - 1, 0)}^"
    if hint:
        out += f"\n{hint}"
    return out


class TranslateError(Exception):
    """Input that cannot be translated, with its place in the file.

    ``str()`` gives ``file:line:col: message``, then the source line and a caret
    under the column, then what to do about it when there is a hint.
    ``line`` and ``col`` are 1-based.
    """

    def __init__(
        self,
        message: str,
        *,
        filename: str = "<string>",
        line: int = 1,
        col: int = 1,
        source_line: str = "",
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.filename = filename
        self.line = line
        self.col = col
        self.source_line = source_line
        self.hint = hint

    def located(self, filename: str, source: str) -> "TranslateError":
        """Return this error with the file name and the source line filled in."""
        self.filename = filename
        lines = source_lines(source)
        if 1 <= self.line <= len(lines):
            self.source_line = lines[self.line - 1]
        return self

    def __str__(self) -> str:
        return _located_text(
            self.filename, self.line, self.col, self.message, self.source_line, self.hint
        )


class InternalError(Exception):
    """A bug in desugar itself, not in the input.

    With a ``line``, ``str()`` reads like a `TranslateError`: the place in the
    input whose translation went wrong, the line and a caret, then ``hint``.
    """

    def __init__(
        self,
        message: str,
        *,
        filename: str | None = None,
        line: int | None = None,
        col: int = 1,
        source_line: str = "",
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.filename = filename
        self.line = line
        self.col = col
        self.source_line = source_line
        self.hint = hint

    def __str__(self) -> str:
        if self.filename is None or self.line is None:
            return self.message if not self.hint else f"{self.message}\n{self.hint}"
        return _located_text(
            self.filename, self.line, self.col, self.message, self.source_line, self.hint
        )
