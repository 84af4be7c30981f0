"""Async comprehensions: a nested ``async def`` called at once, so their variables stay local.

A comprehension that awaits (``async for`` clauses, or an ``await`` in any
part but the first iterable) becomes a nested ``async def`` over its first
iterator, lowered like any other, and awaited where it stood (a generator
expression: called, its async generator the value). A comprehension whose
only await is in the first iterable keeps its form: that iterable is
evaluated first, as natively.
"""

from __future__ import annotations

from typing import Any

import libcst as cst

from desugar.compiler import layout
from desugar.compiler.build import Stmts, assign, block, name, rt, simple
from desugar.compiler.lowering.base import _LEAVES
from desugar.compiler.lowering.common import Context, walrus_targets
from desugar.compiler.lowering.expr import ExpressionLowering
from desugar.compiler.names import PREFIX

EMPTY_SET = cst.Set([cst.StarredElement(cst.Tuple([]))])
"""``{*()}``: an empty set, with no name a module could shadow (``set()``)."""


class ComprehensionLowering(ExpressionLowering):
    """List, set, dict comprehensions and generator expressions that await."""

    # --- comprehensions --------------------------------------------------
    def _comprehension(self, node: cst.BaseComp) -> tuple[Stmts, cst.BaseExpression]:
        first = node.for_in
        if not self._comprehension_is_async(node):
            # Only the first iterable awaits: it is evaluated here, the rest stays as written.
            return self.ordered(node, [(first.iter, None)])
        pre, iterable = self.expr(first.iter)
        self.ctx.comprehensions += 1
        kind = {cst.ListComp: "listcomp", cst.SetComp: "setcomp", cst.DictComp: "dictcomp"}.get(
            type(node), "genexp"
        )
        fname = f"{PREFIX}{kind}{self.ctx.comprehensions}"
        arg = f"{PREFIX}iter"
        result = f"{PREFIX}result"
        if isinstance(node, cst.GeneratorExp):
            innermost: Stmts = [simple(cst.Expr(cst.Yield(value=node.elt)))]
        elif isinstance(node, cst.DictComp):  # the key is evaluated before the value
            key = f"{PREFIX}key"
            innermost = [
                assign(key, node.key),
                assign(cst.Subscript(value=name(result), slice=[cst.SubscriptElement(cst.Index(name(key)))]), node.value),
            ]
        else:
            method = "append" if isinstance(node, cst.ListComp) else "add"
            call = cst.Call(func=cst.Attribute(value=name(result), attr=name(method)), args=[cst.Arg(node.elt)])
            innermost = [simple(cst.Expr(call))]
        clauses: list[cst.CompFor] = []
        clause: cst.CompFor | None = first
        while clause is not None:
            clauses.append(clause)
            clause = clause.inner_for_in
        body = innermost
        for i, clause in reversed(list(enumerate(clauses))):
            for cond in reversed(clause.ifs):
                body = [cst.If(test=cond.test, body=block(body))]
            source = name(arg) if i == 0 else clause.iter
            body = [
                cst.For(
                    target=clause.target,
                    iter=source,
                    body=block(body),
                    asynchronous=clause.asynchronous,
                )
            ]
        if not isinstance(node, cst.GeneratorExp):
            empty: cst.BaseExpression = {
                cst.ListComp: cst.List([]),
                cst.SetComp: EMPTY_SET,
                cst.DictComp: cst.Dict([]),
            }[type(node)]
            body = [assign(result, empty), *body, simple(cst.Return(name(result)))]
        # `:=` inside a comprehension binds in the enclosing function (PEP 572).
        bound = walrus_targets(node)
        declare: Stmts = []
        for kind_, names_ in (("global", [n for n in bound if n in self.globals]),
                              ("nonlocal", [n for n in bound if n not in self.globals])):
            if names_:
                decl = cst.Global if kind_ == "global" else cst.Nonlocal
                declare.append(simple(decl(names=[cst.NameItem(name(n)) for n in names_])))
        binding = [
            simple(cst.AnnAssign(target=name(n), annotation=cst.Annotation(cst.SimpleString('"bound in a comprehension"'))))
            for n in bound
            if n not in self.globals and n not in self.nonlocals
        ]
        fdef = cst.FunctionDef(
            name=name(fname),
            params=cst.Parameters(params=[cst.Param(name(arg))]),
            # (the clauses and the element leave the comprehension's brackets)
            body=block(layout.statements([*declare, *body], set())),
            asynchronous=cst.Asynchronous(),
            # `<genexpr>`: the names CPython gives it (an async function's decorator gives
            # the others theirs; see `desugar.runtime._names`)
            decorators=[cst.Decorator(rt("comprehension"))] if isinstance(node, cst.GeneratorExp) else [],
        )
        if self.super_self is not None and not isinstance(node, cst.GeneratorExp):
            fdef = fdef.with_changes(body=fdef.body.visit(_ZeroArgSuper(self.super_self, arg, self.ctx)))
        lowered = self.lower_nested(fdef, comprehension=True)
        pre[:0] = binding
        get_iter = (
            rt("async_for" if self.streams() else "aiter")  # type: ignore[attr-defined]
            if first.asynchronous is not None
            else rt("into_iter")
        )
        call = cst.Call(func=name(fname), args=[cst.Arg(cst.Call(func=get_iter, args=[cst.Arg(iterable)]))])
        stmts: Stmts = [lowered, *pre]
        if isinstance(node, cst.GeneratorExp):
            return stmts, call
        if not self.branches:
            self.awaited = True
        return stmts + self.emit_await(call, node), self.style.result

    _expr_ListComp = _expr_SetComp = _expr_DictComp = _expr_GeneratorExp = _comprehension

    def _comprehension_is_async(self, node: cst.BaseComp) -> bool:
        """Is ``node``'s own scope a coroutine's, as CPython's symtable decides it?

        It is when a clause is ``async for``, or when the code run in its scope
        (the element, the conditions, the targets, the iterables but the first)
        awaits: an ``await`` there, or a list, set or dict comprehension there
        that is itself async (it is awaited where it stands). A generator
        expression there only makes an async generator, which awaits nothing:
        ``((i async for i in g(j)) for j in js)`` is a sync generator of async
        generators. What awaits in the first iterable awaits in the enclosing
        scope.
        """
        memo = self.coroutines
        hit = memo.get(id(node))
        if hit is None:
            hit = memo[id(node)] = self._scope_awaits(node)
            self.keep.append(node)
        return hit

    def _scope_awaits(self, node: cst.BaseComp) -> bool:
        parts: list[cst.CSTNode] = []
        if isinstance(node, cst.DictComp):
            parts += [node.key, node.value]
        else:
            parts.append(node.elt)  # type: ignore[attr-defined]
        clause: cst.CompFor | None = node.for_in
        first = True
        while clause is not None:
            if clause.asynchronous is not None:
                return True
            if not first:
                parts.append(clause.iter)
            parts += [c.test for c in clause.ifs]
            parts.append(clause.target)
            first = False
            clause = clause.inner_for_in
        return any(self.awaits_here(p) for p in parts)

    def awaits_here(self, node: cst.CSTNode | None) -> bool:
        """Does evaluating ``node`` await in the scope it stands in (CPython's ``ste_coroutine``)?

        Unlike `suspends` (which also answers True for code holding an async
        generator expression, which the lowering rewrites), only an ``await`` or
        an async list, set or dict comprehension evaluated in this scope counts;
        nested definitions and lambdas are scopes of their own, and a
        comprehension's parts but its first iterable are evaluated in its scope.
        """
        stack: list[cst.CSTNode | None] = [node]
        while stack:
            part = stack.pop()
            if part is None or type(part) in _LEAVES:
                continue
            if isinstance(part, cst.Await):
                return True
            if isinstance(part, cst.BaseComp):
                if not isinstance(part, cst.GeneratorExp) and self._comprehension_is_async(part):
                    return True
                stack.append(part.for_in.iter)
                continue
            stack.extend(self._evaluated_parts(part))
        return False


class _ZeroArgSuper(cst.CSTTransformer):
    """``super()`` in a method's comprehension: ``super(__class__, <what CPython takes>)``.

    From 3.12 (PEP 709) a list, set or dict comprehension runs in the method's
    frame, so ``super()`` takes the method's first argument; before, the
    comprehension's own, its iterator, which makes it raise ``TypeError``.
    The comprehension's function is not the method, so the object is named:
    `desugar.runtime.comprehension_self` picks it on the running Python.
    (Not inside a nested function, class or generator expression, which have
    a first argument of their own.)
    """

    def __init__(self, first: str, iterator: str, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx
        self.first = first
        self.iterator = iterator
        self.changed: list[bool] = []  # per node being visited: was something below it rewritten?

    # A node with no ``super()`` below it is given back as it was (libcst
    # rebuilds every node a transformer visits): the lowering finds the
    # original lines of nodes by identity, for its ``# line N:`` comments.
    def on_visit(self, node: cst.CSTNode) -> bool:
        self.changed.append(False)
        return super().on_visit(node)

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> Any:
        result = super().on_leave(original_node, updated_node)
        changed = self.changed.pop() or result is not updated_node
        if not changed:
            return original_node
        if self.changed:
            self.changed[-1] = True
        if isinstance(result, cst.CSTNode):
            self.ctx.rewritten(result, original_node)
        return result

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> bool:
        return False

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        func = updated_node.func
        if not (isinstance(func, cst.Name) and func.value == "super" and not updated_node.args):
            return updated_node
        chosen = cst.Call(func=rt("comprehension_self"), args=[cst.Arg(name(self.first)), cst.Arg(name(self.iterator))])
        return updated_node.with_changes(args=[cst.Arg(name("__class__")), cst.Arg(chosen)])
