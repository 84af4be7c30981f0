"""`async def f(...)` -> a generator function wrapped by ``_ds_rt.async_fn``.

The generator receives the task Context as the value of each ``yield`` (the
resume argument, ``_ds_task_context``) and polls what it awaits in explicit
loops (see `desugar.compiler.await_`). Calling the wrapped function returns a
`GenFuture`, as calling an ``async fn`` returns an ``impl Future`` in Rust.
"""

from __future__ import annotations

from typing import Sequence, Union

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from desugar.compiler import await_
from desugar.compiler.names import AUG_KEY, AUG_TARGET, AUG_VALUE, AWAITEE, POLL, RUNTIME

Body = Union[cst.IndentedBlock, cst.SimpleStatementSuite]
_CODEGEN = cst.Module(body=[])


def _one_line(node: cst.CSTNode, limit: int = 70) -> str:
    text = " ".join(_CODEGEN.code_for_node(node).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_docstring(stmt: cst.BaseStatement) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _subscript_key(slice_: Sequence[cst.SubscriptElement]) -> cst.BaseExpression:
    """The key ``a[...]`` passes to ``__getitem__``, evaluated once.

    A plain index is itself; slices and tuples go through the runtime's
    ``subscript_key[...]``, which returns what the same syntax builds (the
    program's own ``slice`` may be shadowed, so it is not called by name).
    """
    if len(slice_) == 1 and slice_[0].comma is cst.MaybeSentinel.DEFAULT:
        only = slice_[0].slice
        if isinstance(only, cst.Index) and only.star is None:
            return only.value
    return cst.Subscript(
        value=cst.Attribute(value=cst.Name(RUNTIME), attr=cst.Name("subscript_key")),
        slice=slice_,
    )


def _assign(target: cst.BaseAssignTargetExpression, value: cst.BaseExpression) -> cst.Assign:
    return cst.Assign(targets=[cst.AssignTarget(target)], value=value)


class AsyncFnLowering(cst.CSTTransformer):
    """Rewrite an ``async def`` and every ``async def`` nested in it."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, line_offset: int = 0) -> None:
        super().__init__()
        self.scopes: list[bool] = []  # True for an async def, False for other scopes
        self.line_offset = line_offset  # positions are relative to the lowered subtree

    # --- scopes ----------------------------------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.scopes.append(node.asynchronous is not None)

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.scopes.append(False)

    def leave_Lambda(self, original_node: cst.Lambda, updated_node: cst.Lambda) -> cst.Lambda:
        self.scopes.pop()
        return updated_node

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.scopes.append(False)

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
        self.scopes.pop()
        return updated_node

    def in_async_fn(self) -> bool:
        return bool(self.scopes) and self.scopes[-1]

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        self.scopes.pop()
        if updated_node.asynchronous is None:
            return updated_node
        body = updated_node.body
        statements = list(body.body) if isinstance(body, cst.IndentedBlock) else [
            cst.SimpleStatementLine(body=list(body.body))
        ]
        at = 0
        first = statements[0] if statements else None
        if isinstance(first, cst.SimpleStatementLine) and _is_docstring(
            cst.SimpleStatementLine(body=first.body[:1])
        ):
            at = 1
            if len(first.body) > 1:  # `"doc"; x = 1`: the rest runs after the first poll
                statements[0:1] = [
                    first.with_changes(body=[first.body[0].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)]),
                    cst.SimpleStatementLine(body=list(first.body[1:])),
                ]
        statements.insert(at, await_.PRIME)
        decorator = cst.Decorator(
            decorator=cst.Attribute(value=cst.Name(RUNTIME), attr=cst.Name("async_fn"))
        )
        new_body = (
            body.with_changes(body=statements)
            if isinstance(body, cst.IndentedBlock)
            else cst.IndentedBlock(body=statements, header=body.trailing_whitespace)
        )
        return updated_node.with_changes(
            asynchronous=None,
            decorators=[*updated_node.decorators, decorator],
            body=new_body,
        )

    # --- statements that await ------------------------------------------
    def _comment(self, node: cst.Await) -> str:
        line = self.get_metadata(PositionProvider, node).start.line + self.line_offset
        return f"# line {line}: {_one_line(node)}"

    def _lower_small(self, stmt: cst.BaseSmallStatement) -> list[cst.BaseStatement] | None:
        """The statements for one small statement whose whole value is awaited, or None."""
        value = getattr(stmt, "value", None)
        if not isinstance(value, cst.Await):
            return None
        loop = await_.poll_loop(value.expression)
        result = await_.RESULT
        if isinstance(stmt, cst.Expr):
            out = [*loop, await_.RELEASE]
        elif isinstance(stmt, cst.Return):
            out = [*loop, await_.simple(stmt.with_changes(value=result))]
        elif isinstance(stmt, (cst.Assign, cst.AnnAssign)):
            out = [*loop, await_.simple(stmt.with_changes(value=result)), await_.RELEASE]
        elif isinstance(stmt, cst.AugAssign):
            out = self._lower_aug_assign(stmt, loop)
        else:
            return None
        comment = cst.EmptyLine(comment=cst.Comment(self._comment(value)))
        out[0] = out[0].with_changes(leading_lines=[comment])
        return out

    def _lower_aug_assign(
        self, stmt: cst.AugAssign, loop: list[cst.BaseStatement]
    ) -> list[cst.BaseStatement]:
        # Python reads the target before it evaluates the right-hand side:
        # `t[k] += await f()` loads t, k and t[k], then awaits.
        target = stmt.target
        before: list[cst.BaseSmallStatement] = []
        temps = [AUG_VALUE]
        if isinstance(target, cst.Name):
            place: cst.BaseAssignTargetExpression = target
        elif isinstance(target, cst.Attribute):
            before.append(_assign(cst.Name(AUG_TARGET), target.value))
            place = target.with_changes(value=cst.Name(AUG_TARGET), lpar=[], rpar=[])
            temps.insert(0, AUG_TARGET)
        else:
            assert isinstance(target, cst.Subscript)
            before.append(_assign(cst.Name(AUG_TARGET), target.value))
            before.append(_assign(cst.Name(AUG_KEY), _subscript_key(target.slice)))
            place = cst.Subscript(
                value=cst.Name(AUG_TARGET),
                slice=[cst.SubscriptElement(cst.Index(cst.Name(AUG_KEY)))],
            )
            temps[:0] = [AUG_TARGET, AUG_KEY]
        before.append(_assign(cst.Name(AUG_VALUE), place))
        after = [
            await_.simple(stmt.with_changes(target=cst.Name(AUG_VALUE), value=await_.RESULT)),
            await_.simple(_assign(place, cst.Name(AUG_VALUE))),
            await_.release(*temps, AWAITEE, POLL),
        ]
        return [await_.simple(*before), *loop, *after]

    def _lower_line(
        self, small: Sequence[cst.BaseSmallStatement]
    ) -> list[cst.BaseStatement] | None:
        out: list[cst.BaseStatement] = []
        pending: list[cst.BaseSmallStatement] = []
        lowered_any = False
        for stmt in small:
            lowered = self._lower_small(stmt)
            if lowered is None:
                pending.append(stmt.with_changes(semicolon=cst.MaybeSentinel.DEFAULT))
                continue
            lowered_any = True
            if pending:
                out.append(cst.SimpleStatementLine(body=pending))
                pending = []
            out.extend(lowered)
        if not lowered_any:
            return None
        if pending:
            out.append(cst.SimpleStatementLine(body=pending))
        return out

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement]:
        if not self.in_async_fn():
            return updated_node
        out = self._lower_line(original_node.body)
        if out is None:
            return updated_node
        first = out[0]
        out[0] = first.with_changes(
            leading_lines=[*original_node.leading_lines, *first.leading_lines],
            trailing_whitespace=original_node.trailing_whitespace,
        )
        return cst.FlattenSentinel(out)

    def leave_SimpleStatementSuite(
        self, original_node: cst.SimpleStatementSuite, updated_node: cst.SimpleStatementSuite
    ) -> cst.BaseSuite:
        if not self.in_async_fn():
            return updated_node
        out = self._lower_line(original_node.body)
        if out is None:
            return updated_node
        return cst.IndentedBlock(body=out, header=original_node.trailing_whitespace)


def lower_async_def(node: cst.FunctionDef, def_line: int) -> cst.FunctionDef:
    """Lower one outermost ``async def`` whose ``def`` keyword is on ``def_line``."""
    module = cst.Module(body=[node])
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    name_line = wrapper.resolve(PositionProvider)[node.name].start.line
    lowered = wrapper.visit(AsyncFnLowering(line_offset=def_line - name_line))
    return lowered.body[0]  # type: ignore[return-value]


def import_runtime(module: cst.Module) -> cst.Module:
    """Add ``import desugar.runtime as _ds_rt`` after the docstring and ``__future__`` imports."""
    body = list(module.body)
    at = 0
    if body and _is_docstring(body[0]):
        at = 1
    while at < len(body) and _is_future_import(body[at]):
        at += 1
    stmt = cst.SimpleStatementLine(
        body=[
            cst.Import(
                names=[
                    cst.ImportAlias(
                        name=cst.Attribute(value=cst.Name("desugar"), attr=cst.Name("runtime")),
                        asname=cst.AsName(name=cst.Name(RUNTIME)),
                    )
                ]
            )
        ]
    )
    body.insert(at, stmt)
    return module.with_changes(body=body)


def _is_future_import(stmt: cst.BaseStatement) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and any(
            isinstance(s, cst.ImportFrom)
            and isinstance(s.module, cst.Name)
            and s.module.value == "__future__"
            for s in stmt.body
        )
    )
