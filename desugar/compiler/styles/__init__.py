"""Output styles: what an ``await`` and an ``async def`` become, one module per style.

The lowering (`desugar.compiler.lowering`) decides where each ``await`` is
evaluated (after the operands before it, into temporaries) and where its value
goes; a style decides what the await itself is spelled as, and what an
``async def`` becomes around its lowered body. A style is a module of this
package that defines ``STYLE``, an instance of a `Style` subclass; `get` finds
it by the module's name, so a new lowering is one new module:

* ``poll`` (the default): the poll loop ``for _ds_poll in _ds_awaitee:
  yield from _ds_awaitee``, chosen by measurement (``bench/run.py``);
* ``hir``: the seed article's HIR dump, line by line: ``Pin.new_unchecked``,
  a ``while True`` loop and a ``match`` on each poll's result.

Those two spell the ``poll`` *lowering* (the seed article's Rust model). The
other lowerings (``--lowering``, `LOWERINGS`) have a module each too, which
may give several (``STYLES``, by name): ``callback`` gives ``callback`` and
``callback-async-stacks`` (JavaScript's model, without and with async
stacks). Inside the compiler one name says both: a style's name for the poll
lowering, the lowering's name for the others (`strategy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # (this package is imported to check a style's name: libcst only when lowering)
    import libcst as cst

    from desugar.compiler.lowering.function import FunctionLowering

    Stmts = list[cst.BaseStatement]

from desugar.strategies import DEFAULT_STYLE as DEFAULT
from desugar.strategies import LOWERINGS as LOWERINGS
from desugar.strategies import strategy as strategy
from desugar.strategies import style_names


class AwaitSite:
    """One ``await`` to emit: what a style gets to spell it."""

    __slots__ = ("awaited", "async_gen", "origin", "function", "awaitee")

    def __init__(
        self,
        awaited: cst.BaseExpression,
        async_gen: bool,
        origin: cst.CSTNode | None,
        function: FunctionLowering,
        awaitee: bool = False,
    ) -> None:
        self.awaited = awaited
        """The awaited expression, its operands already evaluated (it may be a temporary)."""
        self.async_gen = async_gen
        """In an async generator, which stays native: a suspension is ``await``, not ``yield``."""
        self.origin = origin
        """The node the await stands for, for the ``# line N: ...`` comment (None: no comment)."""
        self.function = function
        """The lowering of the function the await is in (its context, its counters)."""
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

    def async_def(self, function: FunctionLowering, node: cst.FunctionDef, body: Stmts) -> cst.FunctionDef:
        """``node`` with its body lowered to ``body``: the function the ``async def`` becomes."""
        raise NotImplementedError

    @staticmethod
    def commented(stmts: Stmts, site: AwaitSite) -> Stmts:
        """``stmts`` under the ``# line N: ...`` comment of ``site.origin``, if it has one."""
        comment = site.function.comment(site.origin)
        if comment is not None:
            stmts[0] = stmts[0].with_changes(leading_lines=[comment])
        return stmts


_loaded: dict[str, Style] = {}


def names() -> list[str]:
    """The styles there are (the modules of this package), the default first."""
    return style_names()


def check(name: str | None) -> str:
    """``name`` (None: the default) if there is a style of that name; else ValueError."""
    name = name or DEFAULT
    if name in LOWERINGS:
        return name
    if name not in _loaded and (not isinstance(name, str) or name not in names()):
        raise ValueError(f"unknown style {name!r}: the styles are {', '.join(names())}")
    return name


def get(name: str | None = None) -> Style:
    """The style called ``name`` (None: the default); ValueError for one that does not exist."""
    name = check(name)
    style = _loaded.get(name)
    if style is None:
        import importlib

        module = importlib.import_module(f"{__name__}.{name.partition('-')[0]}")
        style = _loaded[name] = getattr(module, "STYLES", {}).get(name) or module.STYLE
    return style
