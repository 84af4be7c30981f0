"""black over a translation, a chunk of top-level statements at a time.

black's cost on one long module grows faster than the module: its syntax
trees link children to parents, so they are reference cycles, and the
garbage collector's full passes, whose number grows with the module, each
walk all of them (a translated 10k-line module spends half of black's time in
the collector, 50k lines took more than a quarter of an hour). So the
translation is formatted in chunks of about `CHUNK_LINES` lines, cut between
the pieces the compiler translated separately (`desugar.compiler.walk.segments`:
between whole top-level statements, with only empty lines and column-0
comments between them), and the chunks' results are joined. The result is
black's on the whole module:

- black formats each line from the line itself and, for the empty lines
  before it, from the lines above it. Each chunk is formatted after the piece
  above it (and cut after it again), so the first statement of a chunk sees
  the same line above it as in the whole module. The piece above is never an
  expression statement (as the first statement of a module, a string would
  be its docstring).
- The Python versions black targets (which decide, say, whether a trailing
  comma goes after ``*args``) are detected once from the features of all
  chunks and the ``__future__`` imports at the top, and given to every chunk.
- Anything that reaches further is not cut: a module with ``# fmt:`` or
  ``# yapf:`` comments, form feeds or carriage returns is formatted whole, and
  so is any module where a chunk's result does not split as expected.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Sequence

from desugar.compiler import validate

if TYPE_CHECKING:
    from desugar.compiler import Piece

#: About how many lines of unformatted code black formats at a time.
CHUNK_LINES = 1000

_WHOLE = ("fmt:", "yapf:", "\f", "\r")  # text that makes black look across statements


def format_code(code: str, pieces: Sequence[Piece] | None = None) -> str:
    """``black.format_str(code)`` with black's default mode, computed chunk by chunk."""
    import black

    chunks = _chunks(pieces) if pieces is not None and not any(s in code for s in _WHOLE) else None
    if not chunks or len(chunks) == 1:
        return black.format_str(code, mode=black.Mode())
    result = _format_chunks(black, pieces, chunks)  # type: ignore[arg-type]
    if result is None:  # not cut as expected: black over the whole module decides
        return black.format_str(code, mode=black.Mode())
    return result


def _chunks(pieces: Sequence[Piece]) -> list[tuple[int, int]]:
    """[first, past-last) piece indices of each chunk; a chunk starts where the piece above can stand first."""
    chunks: list[tuple[int, int]] = []
    start = 0
    lines = 0
    for index, piece in enumerate(pieces):
        if (
            lines >= CHUNK_LINES
            and index > start
            and not pieces[index - 1].opens_with_expression
            and pieces[index - 1].statements > 0
        ):
            chunks.append((start, index))
            start, lines = index, 0
        lines += piece.text.count("\n")
    chunks.append((start, len(pieces)))
    return chunks


def _format_chunks(black, pieces: Sequence[Piece], chunks: list[tuple[int, int]]) -> str | None:
    texts = ["".join(piece.text for piece in pieces[a:b]) for a, b in chunks]
    try:
        features: set = set()
        future: set[str] = set()
        for k, text in enumerate(texts):
            node = black.parsing.lib2to3_parse(text.lstrip())
            if k == 0:
                future = black.get_future_imports(node)
            features |= black.get_features_used(node, future_imports=future)
            del node
        versions = {
            version
            for version in black.TargetVersion
            if features <= black.mode.VERSION_TO_FEATURES[version]
        }
    except Exception:  # another black's internals, or input black refuses: the whole module
        return None
    if not versions:
        return None
    mode = black.Mode(target_versions=versions)
    try:
        out = [black.format_str(texts[0], mode=mode)]
    except Exception:  # black's own error is the whole module's
        return None
    for (a, b), text in zip(chunks[1:], texts[1:]):
        above = pieces[a - 1]
        try:
            formatted = black.format_str(above.text + text, mode=mode)
            with validate.ast_guard():
                body = ast.parse(formatted).body
        except Exception:
            return None
        if len(body) != above.statements + sum(p.statements for p in pieces[a:b]):
            return None
        end = body[above.statements - 1].end_lineno
        assert end is not None
        at = -1
        for _ in range(end):
            at = formatted.find("\n", at + 1)
            if at < 0:
                return None
        out.append(formatted[at + 1 :])
    return "".join(out)
