"""desugar: lower async/await to explicit Rust-style poll loops over a futures runtime."""

from __future__ import annotations

from desugar.errors import InternalError as InternalError
from desugar.errors import TranslateError as TranslateError

__version__ = "0.1.0"
__all__ = ["translate", "TranslateError", "InternalError", "__version__"]


def translate(source: str, filename: str = "<string>", *, format: bool = True) -> str:
    """Translate Python source, returning the new source.

    A module with no ``async`` construct comes back unchanged. Output is
    formatted with black unless ``format`` is false. Bad input raises
    :class:`TranslateError` located at ``filename:line:col``.
    """
    from desugar.compiler import translate_module

    return translate_module(source, filename, format=format)
