"""The lowerings and the poll lowering's output styles, by name, with no compiler imported.

The import hook resolves its options at every start of a program that uses
it, and a cache hit imports none of the compiler: the names are read here, the
styles from the modules of ``desugar/compiler/styles`` (not imported).
"""

from __future__ import annotations

import os

DEFAULT_STYLE = "poll"
"""The style of `desugar.translate` and the CLI when none is asked for."""

LOWERINGS = ("poll", "callback", "callback-async-stacks")
"""The lowerings (``--lowering``), the default first; a style spells the first."""

LOWERING_MODULES = {"callback"}
"""The modules of ``desugar/compiler/styles`` that are lowerings, not poll styles."""

_STYLES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "compiler", "styles")


def style_names() -> list[str]:
    """The output styles (the modules of ``desugar/compiler/styles``), the default first."""
    try:
        names = sorted(
            n[:-3] for n in os.listdir(_STYLES_DIR)
            if n.endswith(".py") and not n.startswith("_") and n[:-3] not in LOWERING_MODULES
        )
    except OSError:
        names = []
    return sorted(names, key=lambda n: n != DEFAULT_STYLE)


def strategy(lowering: str | None, style: str | None) -> str | None:
    """The compiler's one name for ``lowering`` spelled in ``style`` (None: the default).

    That is the style for the poll lowering, else the lowering. ValueError for an
    unknown lowering, or a style given with a lowering other than poll.
    """
    if lowering is None or lowering == "poll":
        return style
    if lowering not in LOWERINGS:
        raise ValueError(f"unknown lowering {lowering!r}: the lowerings are {', '.join(LOWERINGS)}")
    if style is not None:
        raise ValueError(f"a style ({style!r}) spells the poll lowering; it does not apply to {lowering!r}")
    return lowering
