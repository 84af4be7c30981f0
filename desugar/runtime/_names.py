"""The names an async comprehension's function has natively, on the running Python.

A translation made by Python 3.10 or 3.11 lowers each comprehension that
awaits to a function of its own (``_ds_listcomp1``, ``_ds_genexp2``: see
`desugar.compiler.lowering.comprehension`), which CPython would call
``<listcomp>``, ``<setcomp>``, ``<dictcomp>`` or ``<genexpr>``. One made by
3.12+ inlines an async list, set or dict comprehension in the function around
it (``INLINED`` there), as CPython does (PEP 709): no function, no frame, no
names to fix. It keeps a function only for a generator expression and in the
fallback cases docs/semantics.md lists (a variable a function defined in the
comprehension closes over; a variable's name the function declares ``global``
or ``nonlocal``, reads unbound or closes over; a function nested so deeply it
is lowered in the compact shapes).

The names of such a function are fixed here, once per code object, when the
function is first made: ``__name__``, ``__qualname__``, the code's
``co_name`` (frames, tracebacks) and ``co_qualname``, and the qualnames of
what is defined inside (a lambda's ``main.<locals>.<listcomp>.<lambda>``).
The names are the running Python's:

* up to 3.11, each comprehension has a function and a frame of its own,
  named as above;
* from 3.12, list, set and dict comprehensions natively have no frame, and
  what shows (a frame's ``co_name``, a lambda's qualname
  ``main.<locals>.<lambda>``) is the function's around them. A fallback
  comprehension keeps its frame (a traceback shows one more line, with the
  enclosing function's name), but it takes that function's names; so does a
  translation made by 3.10 or 3.11 run by 3.12+. Generator expressions are
  never inlined.
"""

from __future__ import annotations

import re
import sys
from types import CodeType, FunctionType
from typing import Any, Callable

INLINED = sys.version_info >= (3, 12)
"""List, set and dict comprehensions run in the frame of the function around them (PEP 709)."""

_QUALNAMES = hasattr(CodeType, "co_qualname")  # 3.11+: a function's qualname is its code's
_KINDS = re.compile(r"_ds_(listcomp|setcomp|dictcomp|genexp)\d+\Z")
_NATIVE = {"listcomp": "<listcomp>", "setcomp": "<setcomp>", "dictcomp": "<dictcomp>", "genexp": "<genexpr>"}
_LOCALS = ".<locals>."

_renamed: dict[int, tuple[CodeType, CodeType, str, str]] = {}  # id(code) -> (code, renamed, name, qualname)


def comprehension_names(code: CodeType, qualname: str) -> tuple[CodeType, str, str] | None:
    """The code, ``__name__`` and ``__qualname__`` a comprehension's function has natively.

    ``code`` and ``qualname`` are those of the function the translation made
    (``main.<locals>._ds_listcomp1``); None for any other function.
    """
    entry = _renamed.get(id(code))
    if entry is not None and entry[0] is code:
        return entry[1], entry[2], entry[3]
    match = _KINDS.match(code.co_name)
    if match is None:
        return None
    kind = match[1]
    # `main.<locals>._ds_listcomp1` in a function, `main.<locals>.<genexpr>._ds_listcomp1`
    # in a comprehension: CPython's qualnames say `<locals>` only of functions.
    parent = qualname[: -len(code.co_name) - 1] if qualname.endswith("." + code.co_name) else ""
    in_function = parent.endswith(_LOCALS[:-1])
    enclosing = parent[: -len(_LOCALS) + 1] if in_function else parent
    if INLINED and kind != "genexp" and enclosing:
        name, new_qualname = enclosing.rpartition(".")[2], enclosing
        inside = enclosing + (_LOCALS if in_function else ".")
    else:
        name = _NATIVE[kind]
        new_qualname = f"{parent}.{name}" if parent else name
        inside = new_qualname + "."
    renamed = _rename(code, name, new_qualname, qualname + _LOCALS, inside)
    _renamed[id(code)] = (code, renamed, name, new_qualname)
    return renamed, name, new_qualname


def _rename(code: CodeType, name: str, qualname: str, old: str, new: str) -> CodeType:
    changes: dict[str, Any] = {"co_name": name, "co_consts": _requalified(code.co_consts, old, new)}
    if _QUALNAMES:
        changes["co_qualname"] = qualname
    return code.replace(**changes)


def _requalified(consts: tuple, old: str, new: str) -> tuple:
    """``consts`` with the qualnames of what is defined inside under ``new`` instead of ``old``."""
    out = []
    for const in consts:
        if isinstance(const, CodeType):
            changes: dict[str, Any] = {"co_consts": _requalified(const.co_consts, old, new)}
            if _QUALNAMES and const.co_qualname.startswith(old):
                changes["co_qualname"] = new + const.co_qualname[len(old) :]
            const = const.replace(**changes)
        elif not _QUALNAMES and type(const) is str and const.startswith(old):
            const = new + const[len(old) :]  # (3.10: the qualname MAKE_FUNCTION is given)
        out.append(const)
    return tuple(out)


def comprehension(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator of an async generator expression's function: the names it has natively.

    (An async list, set or dict comprehension's function gets them from
    `desugar.runtime.async_fn`, which makes it anyway.)
    """
    names = comprehension_names(fn.__code__, fn.__qualname__)  # type: ignore[attr-defined]
    if names is None:
        return fn
    code, name, qualname = names
    new = FunctionType(code, fn.__globals__, name, fn.__defaults__, fn.__closure__)  # type: ignore[attr-defined]
    new.__qualname__ = qualname
    new.__module__ = fn.__module__
    return new


def comprehension_self(first: Any, iterator: Any) -> Any:
    """What zero-argument ``super()`` in a method's async comprehension takes as its object.

    From 3.12 the comprehension runs in the method's frame, so it is the
    method's first argument; before, it was the comprehension's own first
    argument, its iterator (so ``super()`` raises ``TypeError``, as natively).
    """
    return first if INLINED else iterator
