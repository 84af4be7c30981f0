"""The code-flag rewrite: a translated ``async def``'s code flagged as a coroutine's before it is cached."""

from __future__ import annotations

from types import CodeType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ast


def flag_coroutines(
    code: CodeType, source: bytes, keys: set[tuple[tuple[str, ...], int]] | None = None
) -> CodeType:
    """``code`` with each translated ``async def``'s code flagged as `async_fn` flags it.

    A translated ``async def`` is a generator function decorated
    ``@_ds_rt.async_fn``, which makes a coroutine function of it at run time
    by copying its code with a coroutine's flags. Done here once, before the
    code is cached, that leaves `async_fn` nothing to do (it returns a
    function whose code is flagged already as it is). Which code objects are
    those of an ``async def`` is read off the source: a generator's code
    whose name, the names of the functions and classes around it, and first
    line (the first decorator's) are those of an ``async def`` of the source
    (async generators stay async generators, and are left alone). A name and
    line that two code objects share is left alone too. ``keys``, if given, are
    the source's `coroutine_keys` (then the source is not parsed again).
    """
    import ast

    from desugar.runtime._awaitee import (
        CO_ASYNC_GENERATOR,
        CO_COROUTINE,
        CO_GENERATOR,
        CO_ITERABLE_COROUTINE,
        as_coroutine_code,
    )

    if keys is None:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return code  # (bytes only CPython's tokenizer skips, or nesting too deep here)
        keys = coroutine_keys(tree)
    wanted = keys
    if not wanted:
        return code
    found: dict[tuple[tuple[str, ...], int], int] = {}
    other_kinds = CO_COROUTINE | CO_ITERABLE_COROUTINE | CO_ASYNC_GENERATOR

    def key(c: CodeType, scope: tuple[str, ...]) -> tuple[tuple[str, ...], int]:
        return ((*scope, c.co_name), c.co_firstlineno)

    def count(c: CodeType, scope: tuple[str, ...]) -> None:
        for const in c.co_consts:
            if isinstance(const, CodeType):
                if const.co_flags & CO_GENERATOR and not const.co_flags & other_kinds:
                    k = key(const, scope)
                    found[k] = found.get(k, 0) + 1
                count(const, _scope(const, scope))

    def flagged(c: CodeType, scope: tuple[str, ...]) -> CodeType:
        consts = []
        for const in c.co_consts:
            if isinstance(const, CodeType):
                new = flagged(const, _scope(const, scope))
                if (
                    new.co_flags & CO_GENERATOR
                    and not new.co_flags & other_kinds
                    and found.get(key(new, scope)) == 1
                    and key(new, scope) in wanted
                ):
                    new = as_coroutine_code(new)
                const = new
            consts.append(const)
        consts_tuple = tuple(consts)
        if all(a is b for a, b in zip(consts_tuple, c.co_consts)):
            return c
        return c.replace(co_consts=consts_tuple)

    try:
        count(code, ())
        return flagged(code, ())
    except RecursionError:  # lambdas nested too deeply for this walk: async_fn flags them
        return code


def coroutine_keys(tree: ast.Module) -> set[tuple[tuple[str, ...], int]]:
    """Each ``async def`` of the module ``tree``: the names of it and of the functions and
    classes around it, and its first line (its first decorator's), as `flag_coroutines` finds them."""
    import ast

    wanted: set[tuple[tuple[str, ...], int]] = set()
    blocks = (ast.stmt, ast.excepthandler, ast.match_case)

    def visit(node: ast.AST, scope: tuple[str, ...]) -> None:
        for child in ast.iter_child_nodes(node):  # (statements only: no def is in an expression)
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                inner = (*scope, child.name)
                if isinstance(child, ast.AsyncFunctionDef):
                    first = child.decorator_list[0] if child.decorator_list else child
                    wanted.add((inner, first.lineno))
                visit(child, inner)
            elif isinstance(child, blocks):
                visit(child, scope)

    visit(tree, ())
    return wanted


def _scope(code: CodeType, scope: tuple[str, ...]) -> tuple[str, ...]:
    """The scope names of the code inside ``code``: its name added, but for CPython's own scopes.

    (``<genexpr>``, ``<lambda>``, comprehensions and 3.12's ``<generic parameters of f>``
    hold no ``def`` of the source, or, for the last, hold the function itself.)
    """
    return scope if code.co_name.startswith("<") else (*scope, code.co_name)
