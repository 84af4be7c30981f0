"""Which ``async def`` statements need the compact shapes: CPython's limit of nested blocks.

CPython refuses a function whose code nests more than 20 blocks (loops,
``try`` bodies and handlers, ``with`` statements: "too many statically nested
blocks"). The usual lowerings add blocks native code does not have: a poll
loop per ``await``, a ``try``/``finally`` around each ``async for``, a
``try``/``except``/``finally`` per ``async with``. A function nested so deeply
that those could reach the limit is lowered in the *compact* shapes, which add
none where CPython has none:

* an ``await`` is ``yield from _ds_awaitee.__await__()`` (``await
  _ds_awaitee`` in an async generator): no loop;
* an ``async for`` is the ``for`` over its stream alone, its iterator released
  after the loop (not in a ``finally``);
* an ``async with`` whose body no ``return``, ``break`` or ``continue`` leaves
  is one ``try``/``except``/``else`` (the ``else`` exits when the body
  completes, the handler with the exception); one whose body is natively at
  the deepest block (20 ``async with`` nested), where that handler would nest
  two blocks too many, is a ``with`` that keeps the body's exception, then
  the exit (``_ds_rt.Caught``, ``exiting``, ``reraise``).

The estimate below is an upper bound of the usual lowering's depth, from the
input's own blocks: a function it clears compiles in the usual shapes.
"""

from __future__ import annotations

import ast
import sys
from typing import Iterator, Sequence

LIMIT = 20
"""CPython's ``CO_MAXBLOCKS``: blocks a code object may nest (3.10 to 3.13)."""

SEND_BLOCK = 1 if sys.version_info[:2] == (3, 12) else 0
"""CPython 3.12 crashes compiling a ``yield from`` (or ``await``) nested in `LIMIT` blocks: its
``SEND`` takes a block of its own there. Natively an ``await`` at that depth crashes it too;
a translation made by 3.12 keeps its poll loops' ``yield from`` one block shallower: a
function is lowered in the usual shapes when its estimate is at most ``LIMIT - SEND_BLOCK``."""

_INLINED = sys.version_info >= (3, 12)
"""Async comprehensions are inlined (see `desugar.compiler.lowering.comprehension`)."""

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def deep_async_defs(tree: ast.Module) -> dict[int, frozenset[int]]:
    """The ``def`` lines of the outermost ``async def`` statements to lower compactly.

    Each with the lines of the managers of its ``async with`` statements (and of its nested
    scopes') whose body is natively at the deepest block CPython allows: there
    the compact shape's handler would not fit, a ``with`` does (see
    `desugar.compiler.lowering.async_with`).
    """
    return {node.lineno: _tight_withs(node) for node in _outermost(tree.body) if _depth(node) > LIMIT - SEND_BLOCK}


def _tight_withs(function: ast.AST) -> frozenset[int]:
    """The lines of the managers of the ``async with`` statements whose handler would nest beyond `LIMIT`."""
    tight = set()
    stack: list[tuple[Sequence[ast.stmt], int]] = [(function.body, 0)]  # type: ignore[attr-defined]
    while stack:
        stmts, depth = stack.pop()
        for stmt in stmts:
            for scope in _scopes(stmt):
                body = scope.body if isinstance(scope.body, list) else [ast.Expr(scope.body)]
                stack.append((body, 0))
            if isinstance(stmt, (ast.For, ast.While, ast.AsyncFor)):
                stack.append((stmt.body, depth + 1))
                stack.append((stmt.orelse, depth))
            elif isinstance(stmt, (ast.With, ast.AsyncWith)):
                for at, item in enumerate(stmt.items):  # (each item a block, its handler two more)
                    if isinstance(stmt, ast.AsyncWith) and depth + at + 2 > LIMIT:
                        tight.add(item.context_expr.lineno)
                stack.append((stmt.body, depth + len(stmt.items)))
            elif isinstance(stmt, (ast.Try, getattr(ast, "TryStar", ast.Try))):
                final = 1 if stmt.finalbody else 0
                stack.append((stmt.body, depth + 1 + final))
                for handler in stmt.handlers:
                    stack.append((handler.body, depth + 2 + final))
                stack.append((stmt.orelse, depth + final))
                stack.append((stmt.finalbody, depth + 1))
            elif isinstance(stmt, ast.If):
                stack.append((stmt.body, depth))
                stack.append((stmt.orelse, depth))
            elif isinstance(stmt, ast.Match):
                for case in stmt.cases:
                    stack.append((case.body, depth))
    return frozenset(tight)


def _outermost(stmts: Sequence[ast.stmt]) -> Iterator[ast.AsyncFunctionDef]:
    """The outermost ``async def`` statements (as `desugar.compiler.walk` finds them)."""
    for stmt in stmts:
        if isinstance(stmt, ast.AsyncFunctionDef):
            yield stmt
            continue
        for field in ("body", "handlers", "orelse", "finalbody", "cases"):
            for child in getattr(stmt, field, None) or ():
                if isinstance(child, (ast.excepthandler, ast.match_case)):
                    yield from _outermost(child.body)
                elif isinstance(child, ast.stmt):
                    yield from _outermost([child])


def _depth(function: ast.AST) -> int:
    """An upper bound of the blocks the usual lowering nests in ``function`` (or its nested scopes)."""
    deepest = 0
    # (statements, blocks around them); nested scopes start again from 0
    stack: list[tuple[Sequence[ast.stmt], int]] = [(function.body, 0)]  # type: ignore[attr-defined]
    while stack:
        stmts, depth = stack.pop()
        for stmt in stmts:
            # An await: its poll loop, in a `while True` (an awaiting `while` test, a
            # long comparison chain) and, for a definition, a scope of its own; and
            # the `try` that clears the statement's temporaries if it raises.
            here = depth + (4 if _awaits(stmt) else 0)
            deepest = max(deepest, here)
            for scope in _scopes(stmt):
                body = scope.body if isinstance(scope.body, list) else [ast.Expr(scope.body)]
                stack.append((body, 0))
            comps = list(_async_comprehensions(stmt))
            for comp in comps:  # a nested async def: a loop per clause
                deepest = max(deepest, 2 * len(comp.generators) + 2)
            if _INLINED and comps:  # or here: a `try` and a loop per clause each, nested in any order
                deepest = max(deepest, depth + sum(1 + 2 * len(c.generators) for c in comps) + 4)
            if isinstance(stmt, ast.For):  # (an awaiting iterable: its iterator released in a `finally`)
                stack.append((stmt.body, depth + (2 if _awaits(ast.Expr(stmt.iter)) else 1)))
                stack.append((stmt.orelse, depth + (1 if _awaits(ast.Expr(stmt.iter)) else 0)))
            elif isinstance(stmt, ast.While):
                stack.append((stmt.body, depth + 1))
                stack.append((stmt.orelse, depth))
            elif isinstance(stmt, ast.AsyncFor):
                stack.append((stmt.body, depth + 2))  # `try`/`finally` and the loop
                deepest = max(deepest, depth + 4)  # a step's await (in a `try`, for some lowerings)
                stack.append((stmt.orelse, depth))
            elif isinstance(stmt, ast.With):
                stack.append((stmt.body, depth + len(stmt.items)))
            elif isinstance(stmt, ast.AsyncWith):
                blocks = depth + 2 * len(stmt.items)  # `try`/`except`/`finally` per manager
                deepest = max(deepest, blocks + 2)  # the exit in the handler, and its poll loop
                stack.append((stmt.body, blocks))
            elif isinstance(stmt, (ast.Try, getattr(ast, "TryStar", ast.Try))):
                final = 1 if stmt.finalbody else 0
                stack.append((stmt.body, depth + 1 + final))
                # (+1: an awaiting type's `try`/`finally`; an `except*` whose types
                # await runs its handlers in two `try`/`except` in its own handler)
                star = isinstance(stmt, getattr(ast, "TryStar", ())) and any(
                    h.type is not None and _awaits(ast.Expr(h.type)) for h in stmt.handlers
                )
                if any(h.type is not None and _awaits(ast.Expr(h.type)) for h in stmt.handlers):
                    # (an awaiting type's poll loop, in its `try`, in the handler)
                    deepest = max(deepest, depth + (7 if star else 4) + final)
                for handler in stmt.handlers:
                    stack.append((handler.body, depth + (6 if star else 3) + final))
                stack.append((stmt.orelse, depth + final))
                stack.append((stmt.finalbody, depth + 1))
            elif isinstance(stmt, ast.If):  # (no block: an `if`, however its tests are lowered)
                stack.append((stmt.body, depth))
                stack.append((stmt.orelse, depth))
            elif isinstance(stmt, ast.Match):
                for case in stmt.cases:
                    stack.append((case.body, depth))
    return deepest


def _own_nodes(stmt: ast.stmt) -> Iterator[ast.AST]:
    """The expression nodes of ``stmt`` itself (not of its body, nor of nested scopes' bodies)."""
    todo: list[ast.AST] = []
    for field, value in ast.iter_fields(stmt):
        if field in ("body", "orelse", "finalbody", "handlers", "cases"):
            if field == "handlers":
                todo += [h.type for h in value if h.type is not None]
            elif field == "cases":
                todo += [c.guard for c in value if c.guard is not None]
            continue
        if isinstance(value, ast.AST):
            todo.append(value)
        elif isinstance(value, list):
            todo += [v for v in value if isinstance(v, ast.AST)]
    while todo:
        node = todo.pop()
        yield node
        if isinstance(node, ast.Lambda):
            todo += node.args.defaults + [d for d in node.args.kw_defaults if d is not None]
            yield node  # (its body is a scope: `_scopes`)
            continue
        todo.extend(ast.iter_child_nodes(node))


def _awaits(stmt: ast.stmt) -> bool:
    if isinstance(stmt, _SCOPES[:3]):
        return True  # (its decorators, defaults or bases may await: as if they did)
    return any(isinstance(n, ast.Await) or isinstance(n, _COMPREHENSIONS) for n in _own_nodes(stmt))


def _scopes(stmt: ast.stmt) -> Iterator[ast.AST]:
    if isinstance(stmt, _SCOPES[:3]):
        yield stmt
        return
    for node in _own_nodes(stmt):
        if isinstance(node, ast.Lambda):
            yield node


def _async_comprehensions(stmt: ast.stmt) -> Iterator[ast.AST]:
    if isinstance(stmt, _SCOPES[:3]):
        return
    for node in _own_nodes(stmt):
        if isinstance(node, _COMPREHENSIONS):
            yield node
