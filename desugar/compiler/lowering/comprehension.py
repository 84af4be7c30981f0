"""Async comprehensions: inlined in the function around them (3.12+), or a nested ``async def``.

A comprehension that awaits (``async for`` clauses, or an ``await`` in any
part but the first iterable) becomes, as CPython compiles it on the Python
that translates (the import hook's is the one that runs the code):

* from 3.12 (PEP 709), a list, set or dict comprehension: its loops, in the
  function around it (no frame of its own, as natively), its variables
  isolated: each is saved before the loops and restored after them however
  they end (or unbound again, where the function has no variable of that
  name), as CPython's ``LOAD_FAST_AND_CLEAR`` and its handler do;
* up to 3.11, and for a generator expression on every Python: a nested
  ``async def`` over its first iterator, lowered like any other, and awaited
  where it stood (a generator expression: called, its async generator the
  value).

Inlined, a variable of the comprehension is a variable of the function. So a
comprehension keeps its nested function where that would not be the same: a
variable that a function defined inside it (a lambda, a generator
expression) closes over (natively each run of the comprehension gives it a
fresh cell; a function's variable has one), or whose name the function
declares ``global`` or ``nonlocal``, reads without binding it (a global or a
variable of an enclosing function) or closes over in a function of its own
(natively the comprehension's is a plain local beside that cell). So does
one in a function lowered in the compact shapes (`desugar.compiler.blocks`).

A comprehension whose only await is in the first iterable keeps its form:
that iterable is evaluated first, as natively.
"""

from __future__ import annotations

import sys
from typing import Any

import libcst as cst

from desugar.compiler import layout
from desugar.compiler.build import Stmts, assign, block, name, release, rt, simple
from desugar.compiler.lowering.base import _LEAVES
from desugar.compiler.lowering.common import Context, is_temp, walrus_targets
from desugar.compiler.lowering.expr import ExpressionLowering
from desugar.compiler.names import PREFIX

EMPTY_SET = cst.Set([cst.StarredElement(cst.Tuple([]))])
"""``{*()}``: an empty set, with no name a module could shadow (``set()``)."""

INLINED = sys.version_info >= (3, 12)
"""CPython 3.12+ inlines list, set and dict comprehensions in the function around them (PEP 709).

The translation follows the Python that translates, as for `_THREADED`
(`desugar.compiler.lowering.expr`); the hook's cache keys on the
interpreter's magic number, which differs between 3.11 and 3.12
(`desugar.cache.cache_key`)."""

_SCOPES = (cst.Lambda, cst.FunctionDef, cst.ClassDef, cst.GeneratorExp)
_INLINED_KINDS = (cst.ListComp, cst.SetComp, cst.DictComp)


class ComprehensionLowering(ExpressionLowering):
    """List, set, dict comprehensions and generator expressions that await."""

    # --- comprehensions --------------------------------------------------
    def _comprehension(self, node: cst.BaseComp) -> tuple[Stmts, cst.BaseExpression]:
        first = node.for_in
        if not self._comprehension_is_async(node):
            # Only the first iterable awaits: it is evaluated here, the rest stays as written.
            return self.ordered(node, [(first.iter, None)])
        if INLINED and isinstance(node, _INLINED_KINDS) and not self.ctx.compact:
            isolated = self._isolated(node)
            if isolated is not None:
                return self._inline(node, isolated)
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
        # (under the comprehension's `# line N:` comment: its function's lines are its line, as natively)
        stmts: Stmts = self.with_comment([lowered, *pre], node)
        if isinstance(node, cst.GeneratorExp):
            return stmts, call
        if not self.branches:
            self.awaited = True
        return stmts + self.emit_await(call, node), self.style.result

    _expr_ListComp = _expr_SetComp = _expr_DictComp = _expr_GeneratorExp = _comprehension

    # --- inlined (3.12+) -------------------------------------------------
    def _isolated(self, node: cst.BaseComp) -> dict[str, bool] | None:
        """The comprehension's variables, each with whether the function has one of that name
        (to save and restore) or not (to unbind after); None if it cannot be inlined."""
        if self.scope_names is None:
            self.scope_names = _scope_names(self.node)
        bound, used, closed = self.scope_names
        closed = closed | _captured(node)
        out: dict[str, bool] = {}
        clause: cst.CompFor | None = node.for_in
        while clause is not None:
            for n in _target_names(clause.target):
                if n in self.globals or n in self.nonlocals or n in closed:
                    return None
                if n in self.isolated or n in bound:
                    out[n] = True
                elif n in used:  # a global, or a variable of an enclosing function
                    return None
                else:
                    out.setdefault(n, False)
            clause = clause.inner_for_in
        return out

    def _inline(self, node: cst.BaseComp, isolated: dict[str, bool]) -> tuple[Stmts, cst.BaseExpression]:
        """The comprehension's loops here, its value in a temporary, its variables isolated::

            _ds_t1 = []
            try:                        # (a variable the function has too)
                _ds_saved1 = x
            except:
                _ds_saved1 = _ds_rt.END  # (unbound)
            try:
                async for x in xs:      # (lowered)
                    if cond:
                        _ds_t1.append(elt)
            finally:
                x = _ds_saved1
                if x is _ds_rt.END:
                    del x
                del _ds_saved1

        A variable the function has not is unbound after (``x = None; del x``).
        The loops are lowered as statements of their own; their temporaries
        are numbered above those of the statement the comprehension stands in.
        """
        first = node.for_in
        pre, iterable = self.expr(first.iter)
        if pre:  # (an awaited value: the loops await too)
            iterable = self.spill(iterable, pre)
        if self.awaited and self.style.temporaries:  # what the statement awaited is in temporaries now
            pre.append(release(*self.style.temporaries))
            self.awaited = False
        result = self.temp()
        if isinstance(node, cst.DictComp):  # (the key is evaluated before the value)
            call = cst.Call(
                func=cst.Attribute(value=name(result), attr=name("__setitem__")),
                args=[cst.Arg(node.key), cst.Arg(node.value)],
            )
        else:
            method = "append" if isinstance(node, cst.ListComp) else "add"
            call = cst.Call(func=cst.Attribute(value=name(result), attr=name(method)), args=[cst.Arg(node.elt)])  # type: ignore[attr-defined]
        body: Stmts = [simple(cst.Expr(call))]
        clauses: list[cst.CompFor] = []
        clause: cst.CompFor | None = first
        while clause is not None:
            clauses.append(clause)
            clause = clause.inner_for_in
        for i, clause in reversed(list(enumerate(clauses))):
            for cond in reversed(clause.ifs):
                body = [cst.If(test=cond.test, body=block(body))]
            body = [
                cst.For(
                    target=clause.target,
                    iter=iterable if i == 0 else clause.iter,
                    body=block(body),
                    asynchronous=clause.asynchronous,
                )
            ]
        keeps = {n: self.label("saved") for n, saved in isolated.items() if saved}
        state = (self.temps, self.unconditional, self.awaited, self.released, self.bools,
                 self.branches, self.temp_floor, self.isolated)
        self.temp_floor, self.branches, self.isolated = self.temps, 0, self.isolated | set(isolated)
        try:
            loops = self.block(layout.statements(body, set()))  # (the parts leave the brackets)
        finally:
            (self.temps, self.unconditional, self.awaited, self.released, self.bools,
             self.branches, self.temp_floor, self.isolated) = state
        if is_temp(iterable):  # (the loop released it once it had its iterator)
            self.released.add(iterable.value)  # type: ignore[attr-defined]
        empty: cst.BaseExpression = {
            cst.ListComp: cst.List([]),
            cst.SetComp: EMPTY_SET,
            cst.DictComp: cst.Dict([]),
        }[type(node)]
        stmts: Stmts = [*pre, *self.with_comment([assign(result, empty)], node)]
        restores: Stmts = []
        for n in isolated:
            keep = keeps.get(n)
            if keep is None:
                restores += [assign(n, name("None")), release(n)]
                continue
            stmts.append(
                cst.Try(
                    body=block([assign(keep, name(n))]),
                    handlers=[cst.ExceptHandler(body=block([assign(keep, rt("END"))]))],  # (unbound)
                )
            )
            unbound = cst.Comparison(name(n), [cst.ComparisonTarget(cst.Is(), rt("END"))])
            restores += [assign(n, name(keep)), cst.If(test=unbound, body=block([release(n)])), release(keep)]
        if restores:
            stmts.append(cst.Try(body=block(loops), finalbody=cst.Finally(body=block(restores))))
        else:
            stmts += loops
        return stmts, name(result)

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


def _target_names(target: cst.BaseExpression) -> list[str]:
    """The names a ``for`` target binds (not attributes nor subscripts)."""
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [n for e in target.elements for n in _target_names(e.value)]
    if isinstance(target, cst.StarredElement):
        return _target_names(target.value)
    return []


def _all_names(node: cst.CSTNode) -> set[str]:
    found: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, cst.Name):
            found.add(n.value)
        else:
            stack.extend(n.children)
    return found


def _captured(node: cst.BaseComp) -> set[str]:
    """The names the functions defined in a comprehension hold (but in its first iterable)."""
    found: set[str] = set()
    stack: list[cst.CSTNode] = [c for c in node.children if c is not node.for_in]
    clause: cst.CompFor | None = node.for_in
    while clause is not None:
        stack += [c.test for c in clause.ifs]
        stack.append(clause.target)
        if clause is not node.for_in:
            stack.append(clause.iter)
        clause = clause.inner_for_in
    while stack:
        n = stack.pop()
        if isinstance(n, _SCOPES):
            found |= _all_names(n)
        else:
            stack.extend(n.children)
    return found


def _scope_names(function: cst.FunctionDef) -> tuple[set[str], set[str], set[str]]:
    """What a function's own scope binds, what it names, and what its nested scopes name.

    An upper bound of each: a name a nested scope (a ``def``, ``class``,
    ``lambda`` or generator expression) holds anywhere counts as closed over;
    a name is used where no comprehension around it binds it (natively a
    list, set or dict comprehension's variables are its own); ``:=`` binds in
    the function, also in a comprehension.
    """
    bound: set[str] = set()
    used: set[str] = set()
    closed: set[str] = set()
    bound.update(p.name.value for p in _params(function.params))
    stack: list[tuple[cst.CSTNode, frozenset[str]]] = [(function.body, frozenset())]
    while stack:
        node, shadow = stack.pop()
        if isinstance(node, cst.Name):
            if node.value not in shadow:
                used.add(node.value)
            continue
        if isinstance(node, cst.GeneratorExp):  # (its first iterable is evaluated here)
            stack.append((node.for_in.iter, shadow))
            own = set()
            clause = node.for_in
            while clause is not None:
                own.update(_target_names(clause.target))
                clause = clause.inner_for_in
            closed |= _all_names(node.with_changes(for_in=node.for_in.with_changes(iter=cst.Name("_")))) - shadow - own
            continue
        if isinstance(node, _SCOPES):
            if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
                bound.add(node.name.value)
            own = {p.name.value for p in _params(node.params)} if isinstance(node, (cst.FunctionDef, cst.Lambda)) else set()
            closed |= _all_names(node) - shadow - own
            continue
        if isinstance(node, _INLINED_KINDS):
            names: set[str] = set()
            clause: cst.CompFor | None = node.for_in
            while clause is not None:
                names.update(_target_names(clause.target))
                clause = clause.inner_for_in
            inner = shadow | names
            stack.append((node.for_in.iter, shadow))
            parts: list[cst.CSTNode] = [node.key, node.value] if isinstance(node, cst.DictComp) else [node.elt]  # type: ignore[attr-defined]
            clause = node.for_in
            while clause is not None:
                parts += [c.test for c in clause.ifs]
                if clause is not node.for_in:
                    parts.append(clause.iter)
                clause = clause.inner_for_in
            stack += [(p, inner) for p in parts]
            continue
        if isinstance(node, cst.Attribute):
            stack.append((node.value, shadow))
            continue
        if isinstance(node, cst.Arg):
            stack.append((node.value, shadow))
            continue
        if isinstance(node, cst.ImportFrom):
            if not isinstance(node.names, cst.ImportStar):
                for alias in node.names:
                    bound.add(_alias_name(alias))
            continue
        if isinstance(node, cst.Import):
            for alias in node.names:
                bound.add(_alias_name(alias))
            continue
        targets: list[cst.CSTNode] = []
        if isinstance(node, cst.Assign):
            targets = [t.target for t in node.targets]
        elif isinstance(node, (cst.AugAssign, cst.AnnAssign, cst.For, cst.NamedExpr, cst.Del)):
            targets = [node.target]
        elif isinstance(node, cst.AsName):
            targets = [node.name]
        elif isinstance(node, (cst.MatchAs, cst.MatchStar)) and node.name is not None:
            targets = [node.name]
        elif isinstance(node, cst.MatchMapping) and node.rest is not None:
            targets = [node.rest]
        for target in targets:
            bound.update(_target_names(target))  # type: ignore[arg-type]
        stack.extend((child, shadow) for child in node.children)
    return bound, used, closed


def _params(params: cst.Parameters) -> list[cst.Param]:
    out = [*params.posonly_params, *params.params, *params.kwonly_params]
    out += [p for p in (params.star_arg, params.star_kwarg) if isinstance(p, cst.Param)]
    return out


def _alias_name(alias: cst.ImportAlias) -> str:
    if alias.asname is not None:
        return alias.asname.name.value  # type: ignore[attr-defined]
    head: cst.BaseExpression = alias.name
    while isinstance(head, cst.Attribute):
        head = head.value
    return head.value  # type: ignore[attr-defined]


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
