"""Lowering of one ``async def``: statements, expressions, in CPython's evaluation order.

One module per category of code, as rustc's ``rustc_ast_lowering`` has them:

* `expr`: expressions that await, exploded into temporaries in CPython's order;
* `comprehension`: async comprehensions (a nested ``async def`` called at once);
* `stmt`: statements and blocks (assignments, ``if``, ``while``, ``for``,
  ``with``, ``try``, ``match``);
* `async_for`: ``async for`` (a loop awaiting ``__anext__``, as rustc lowers
  ``for await``);
* `async_with`: ``async with`` (``type(mgr).__aenter__``/``__aexit__``, the
  exception passed to ``__aexit__``);
* `item`: definitions nested in an ``async def``;
* `function`: the categories joined into `FunctionLowering`, and
  `lower_function`;
* `base` and `common`: the state and the facts they share.

What an ``await`` and an ``async def`` themselves become is the style's (see
`desugar.compiler.styles`): the lowering hands each await to it.
"""

from __future__ import annotations

from desugar.compiler.lowering.common import Context as Context, is_docstring as is_docstring
from desugar.compiler.lowering.function import (
    FunctionLowering as FunctionLowering,
    lower_function as lower_function,
)
