"""libcst's code generation without an interpreter re-entry per node.

``CSTNode._codegen`` forwards ``**kwargs`` to ``_codegen_impl``. On CPython
3.12 and 3.13 a method call made with ``**`` is not inlined: it enters the
interpreter anew and counts toward the fixed C recursion limit (about 1500
levels on 3.12, 10000 on 3.13), which ``sys.setrecursionlimit`` does not
raise. Generating a 1500-term sum then fails on 3.12 although CPython compiles
it. `install` replaces ``_codegen`` with the same steps, calling
``_codegen_impl`` without ``**`` when there are no keyword arguments (nearly
always), so generation nests as deep as the Python recursion limit allows.
The replacement is installed only over the implementation it was written
for; another libcst's is left alone.

Statements get one more step: a code generation state that is a
`StatementHook` generates each statement itself (`StatementHook.statement`),
so it can take a statement's code and positions from elsewhere
(see `desugar.compiler.lines`). Other states generate them as usual.
"""

from __future__ import annotations

from typing import Any

from libcst._nodes.base import CSTNode
from libcst._nodes.statement import BaseStatement

_EXPECTED_NAMES = ("before_codegen", "_codegen_impl", "after_codegen")


def _codegen(self: CSTNode, state: Any, **kwargs: Any) -> None:
    state.before_codegen(self)
    if kwargs:
        self._codegen_impl(state, **kwargs)
    else:
        self._codegen_impl(state)
    state.after_codegen(self)


class StatementHook:
    """A code generation state that generates statements itself (mixed into a ``CodegenState``)."""

    __slots__ = ()

    def statement(self, node: BaseStatement) -> None:
        """Generate ``node`` (a statement, with no keyword arguments) into this state."""
        raise NotImplementedError


def _statement_codegen(self: BaseStatement, state: Any, **kwargs: Any) -> None:
    if kwargs:
        state.before_codegen(self)
        self._codegen_impl(state, **kwargs)
        state.after_codegen(self)
    elif isinstance(state, StatementHook):
        state.statement(self)
    else:
        state.before_codegen(self)
        self._codegen_impl(state)
        state.after_codegen(self)


def generate(node: CSTNode, state: Any) -> None:
    """``node._codegen(state)``, as the replacement does it, without the statement step."""
    state.before_codegen(node)
    node._codegen_impl(state)
    state.after_codegen(node)


def install() -> bool:
    """Replace libcst's ``_codegen`` if it is the one this module mirrors."""
    current = CSTNode.__dict__.get("_codegen")
    if current is _codegen:
        return statements_hooked()
    code = getattr(current, "__code__", None)
    if code is None or code.co_names != _EXPECTED_NAMES or code.co_argcount != 2:
        return False
    if "_codegen" in BaseStatement.__dict__:
        return False
    CSTNode._codegen = _codegen  # type: ignore[method-assign]
    BaseStatement._codegen = _statement_codegen  # type: ignore[method-assign]
    return True


def statements_hooked() -> bool:
    """Do statements go through `StatementHook.statement` (is the replacement installed)?"""
    return BaseStatement.__dict__.get("_codegen") is _statement_codegen


install()
