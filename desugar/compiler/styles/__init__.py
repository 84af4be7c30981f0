"""Output styles: what an ``await`` and an ``async def`` become, one module per style.

The lowering (`desugar.compiler.lowering`) decides where each ``await`` is
evaluated (after the operands before it, into temporaries) and where its value
goes; a style decides what the await itself is spelled as, and what an
``async def`` becomes around its lowered body. A style is an instance of a
`Style` subclass in a module of this package; `get` finds the one a
`desugar.mode.Mode` names (its row in `desugar.mode.LOWERINGS` or
`desugar.mode.STYLES`), so a new lowering or style is one row there and one
module here:

* ``poll`` (the default): the poll loop ``for _ds_poll in _ds_awaitee:
  yield from _ds_awaitee``, chosen by measurement (``bench/run.py``);
* ``hir``: the article's HIR dump, line by line: ``Pin.new_unchecked``,
  a ``while True`` loop and a ``match`` on each poll's result;
* ``callback``: the ``callback`` and ``callback-async-stacks`` lowerings
  (JavaScript's model, without and with async stacks).

The first two spell the ``poll`` *lowering* (the article's Rust model).

The article: Nick Fitzgerald, "Async Stack Traces in Rust" (2019),
https://fitzgeraldnick.com/2019/08/27/async-stacks-in-rust.html
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from desugar.mode import DEFAULT, Mode

if TYPE_CHECKING:  # (libcst only when lowering)
    import libcst as cst

    Stmts = list[cst.BaseStatement]


class AwaitSite:
    """One ``await`` to emit: what a style gets to spell it (plain data from the lowering)."""

    __slots__ = ("awaited", "async_gen", "comment", "compact", "awaitee")

    def __init__(
        self,
        awaited: cst.BaseExpression,
        async_gen: bool,
        comment: cst.EmptyLine | None,
        compact: bool,
        awaitee: bool = False,
    ) -> None:
        self.awaited = awaited
        """The awaited expression, its operands already evaluated (it may be a temporary)."""
        self.async_gen = async_gen
        """In an async generator, which stays native: a suspension is ``await``, not ``yield``."""
        self.comment = comment
        """The ``# line N: ...`` comment of the await's original line (None: no comment)."""
        self.compact = compact
        """In the shapes that add no statically nested block (see `desugar.compiler.blocks`)."""
        self.awaitee = awaitee
        """``awaited`` already gives an awaitee (``_ds_rt.anext(it)``): no ``into_future``."""


class Style:
    """How one lowering spells an ``await`` and an ``async def``."""

    name = ""

    streams = False
    """``async for`` is a ``for`` over ``_ds_rt.async_for(it)``'s stream of items (see
    `desugar.compiler.lowering.async_for`); else a loop that awaits ``_ds_rt.anext(it)``
    each round, spelled as the style spells an await."""

    result: cst.BaseExpression
    """The awaited value, once an await's statements have run (read once)."""

    release: cst.SimpleStatementLine
    """``del`` of what an await leaves in generated locals, once its value is used."""

    temporaries: tuple[str, ...]
    """The names `release` deletes (a statement with several releases deletes them once)."""

    def await_(self, site: AwaitSite) -> Stmts:
        """The statements that await ``site.awaited``; its value is then `result`."""
        raise NotImplementedError

    def async_def(self, node: cst.FunctionDef, body: Stmts, *, async_gen: bool, polls: bool) -> cst.FunctionDef:
        """``node`` with its body lowered to ``body``: the function the ``async def`` becomes.

        ``async_gen``: it is an async generator (which stays native); ``polls``: its body awaits.
        """
        raise NotImplementedError

    @staticmethod
    def commented(stmts: Stmts, site: AwaitSite) -> Stmts:
        """``stmts`` under ``site``'s ``# line N: ...`` comment, if it has one."""
        if site.comment is not None:
            stmts[0] = stmts[0].with_changes(leading_lines=[site.comment])
        return stmts


_loaded: dict[Mode, Style] = {}


def get(mode: Mode = DEFAULT) -> Style:
    """The style that emits ``mode``'s code (its row's ``module:attribute``)."""
    style = _loaded.get(mode)
    if style is None:
        import importlib

        module, _, attribute = mode.emitter.partition(":")
        style = _loaded[mode] = getattr(importlib.import_module(f"{__name__}.{module}"), attribute)
    return style
