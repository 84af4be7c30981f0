"""desugar: lower async/await to explicit Rust-style poll loops over a futures runtime.

desugar grew from Nick Fitzgerald's article "Async Stack Traces in Rust"
(2019, https://fitzgeraldnick.com/2019/08/27/async-stacks-in-rust.html),
which shows that in Rust's model every async caller is on the stack below
its callee; "the article" in desugar's code and docs is that one.
"""

from __future__ import annotations

from desugar.errors import InternalError as InternalError
from desugar.errors import TranslateError as TranslateError
from desugar.mode import Mode as Mode

__version__ = "0.1.0"
__all__ = ["translate", "install", "uninstall", "Mode", "TranslateError", "InternalError", "__version__"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from desugar.hook import install as install
    from desugar.hook import uninstall as uninstall
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
    ``"poll"`` (the default) or ``"hir"`` (the article's HIR, with ``Pin``
    and a ``match`` on each poll; see docs/lowerings.md). ``lowering=`` and ``style=``
    are short for that ``mode=``. A bad one raises `desugar.mode.ModeError`
    (a ValueError); bad input raises :class:`TranslateError` located at
    ``filename:line:col``.
    """
    from desugar.compiler import translate_module
    from desugar.mode import resolve

    mode = resolve(mode, lowering=lowering, style=style)
    return translate_module(source, filename, format=format, mode=mode)


def __getattr__(name: str) -> object:
    # `install` and `uninstall` are the import hook's (`desugar.hook`), imported
    # when first asked for: `import desugar` stays light.
    if name in ("install", "uninstall"):
        from desugar import hook

        return getattr(hook, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
