"""desugar: lower async/await to explicit Rust-style poll loops over a futures runtime."""

from __future__ import annotations

from desugar.errors import InternalError as InternalError
from desugar.errors import TranslateError as TranslateError
from desugar.mode import Mode as Mode

__version__ = "0.1.0"
__all__ = ["translate", "install", "uninstall", "Mode", "TranslateError", "InternalError", "__version__"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    import os
    from typing import Iterable

    from desugar.hook import Handle
del TYPE_CHECKING


def translate(
    source: str,
    filename: str = "<string>",
    *,
    format: bool = True,
    mode: Mode | None = None,
    style: str | None = None,
    lowering: str | None = None,
) -> str:
    """Translate Python source, returning the new source.

    A module with no ``async`` construct comes back unchanged. Output is
    formatted with black unless ``format`` is false. ``mode`` is a `Mode`:
    the async model, ``Mode(lowering=...)``: ``"poll"`` (the default: Rust's,
    every async caller below its callee), ``"callback"`` (JavaScript's: a
    promise trampoline, only the youngest frame on the stack) or
    ``"callback-async-stacks"`` (callback, with async stacks captured at each
    await); and, for the poll lowering, the output style, ``Mode(style=...)``:
    ``"poll"`` (the default) or ``"hir"`` (the seed article's HIR, with ``Pin``
    and a ``match`` on each poll; see README). ``lowering=`` and ``style=``
    are short for that ``mode=``. A bad one raises `desugar.mode.ModeError`
    (a ValueError); bad input raises :class:`TranslateError` located at
    ``filename:line:col``.
    """
    from desugar.compiler import translate_module
    from desugar.mode import resolve

    mode = resolve(mode, lowering=lowering, style=style)
    return translate_module(source, filename, format=format, mode=mode)


# The import hook is imported when first used: `import desugar` stays light.


def install(
    packages: Iterable[str] = (),
    paths: Iterable[str | os.PathLike[str]] = (),
    *,
    mode: Mode | None = None,
    style: str | None = None,
    lowering: str | None = None,
) -> Handle:
    """Translate the modules of ``packages``, and those below ``paths``, as they are imported.

    ``mode`` (or ``lowering`` and ``style``) is as for `translate`. Returns a
    handle whose ``uninstall()`` removes the hook (also a context manager).
    See `desugar.hook`.
    """
    from desugar.hook import install as install_hook

    return install_hook(packages, paths, mode=mode, style=style, lowering=lowering)


def uninstall(handle: Handle | None = None) -> None:
    """Remove ``handle``'s import hook, or every desugar import hook if no handle is given."""
    from desugar.hook import uninstall as uninstall_hook

    uninstall_hook(handle)
