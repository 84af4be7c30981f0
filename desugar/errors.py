"""Errors the compiler reports about its input, located as `file:line:col`."""

from __future__ import annotations


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
        lines = source.splitlines()
        if 1 <= self.line <= len(lines):
            self.source_line = lines[self.line - 1]
        return self

    def __str__(self) -> str:
        out = f"{self.filename}:{self.line}:{self.col}: {self.message}"
        if self.source_line:
            text = self.source_line.expandtabs(1).rstrip()
            out += f"\n    {text}\n    {' ' * max(self.col - 1, 0)}^"
        if self.hint:
            out += f"\n{self.hint}"
        return out


class InternalError(Exception):
    """A bug in desugar itself, not in the input."""
