"""`Mode`: everything that changes the generated code, checked in one place and passed whole.

A `Mode` is what the compiler (``translate(source, mode=...)``), the import
hook (``install(..., mode=...)``), the pytest plugin and the commands
(`options`) take; its `Mode.get_cache_key` is what the hook's cache keys on
(with the compiler's fingerprint, see `desugar.cache.cache_key`).

The lowerings and the poll lowering's styles are the rows of `LOWERINGS` and
`STYLES`: a name, the object of ``desugar.compiler.styles`` that emits it, and
a line of help. Adding one is a row here and the module that emits it.

This module imports nothing (the hook reads it at every start of a program
that uses it, and a cache hit imports none of the compiler); ``click`` is
imported by `options` only.

The article: Nick Fitzgerald, "Async Stack Traces in Rust" (2019),
https://fitzgeraldnick.com/2019/08/27/async-stacks-in-rust.html
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable


class Row:
    """One lowering or style: what emits it and how ``--help`` describes it."""

    __slots__ = ("emitter", "help")

    def __init__(self, emitter: str, help: str) -> None:
        self.emitter = emitter
        """``module:attribute`` of the `desugar.compiler.styles.Style` that emits it ("": its style's)."""
        self.help = help


LOWERINGS = {
    "poll": Row("", "Rust's, every async caller below its callee"),
    "callback": Row(
        "callback:CALLBACK", "JavaScript's promise trampoline: only the youngest frame on the stack"
    ),
    "callback-async-stacks": Row(
        "callback:ASYNC_STACKS", "callback, capturing the async stack at each await"
    ),
}
"""The lowerings (``--lowering``), the default first."""

STYLES = {
    "poll": Row("poll:STYLE", "chosen by measurement"),
    "hir": Row("hir:STYLE", "the article's HIR: Pin and a match on each poll"),
    "yield-from": Row("yield_from:STYLE", "CPython's own poll loop: yield from each awaited coroutine (fastest)"),
}
"""The output styles of the poll lowering (``--style``), the default first."""

POLL = "poll"
"""The lowering that has styles (`STYLES`); a style does not apply to the others."""

NATIVE = "native"
"""The lowering a command that runs a program also takes: not translated (`from_options`)."""

NATIVE_HELP = "not translated: CPython's own"


class ModeError(ValueError):
    """A lowering or style that does not exist, or a style with a lowering it does not spell."""


def _unknown(what: str, name: object, names: list[str]) -> ModeError:
    return ModeError(f"unknown {what} {name!r}: the {what}s are {', '.join(names)}")


class Mode:
    """Everything that changes the generated code: the lowering and, for the poll lowering, its style.

    Frozen, compared and hashed by value, as black's ``Mode``. ``None`` for
    either means the default (``Mode()`` is the poll lowering in the poll
    style); a name that is not in `LOWERINGS` or `STYLES`, or a style given
    with a lowering other than poll, raises `ModeError` (a ValueError) with
    the one message there is for it, whichever entry point was used.
    """

    __slots__ = ("lowering", "style")

    lowering: str
    style: str | None  # (None for a lowering other than poll)

    def __init__(self, lowering: str | None = None, style: str | None = None) -> None:
        if lowering is None:
            lowering = POLL
        elif lowering not in LOWERINGS:
            raise _unknown("lowering", lowering, list(LOWERINGS))
        if style is not None and style not in STYLES:
            raise _unknown("style", style, list(STYLES))
        if lowering == POLL:
            style = style or POLL
        elif style is not None:
            raise ModeError(
                f"a style ({style!r}) spells the poll lowering; it does not apply to {lowering!r}"
            )
        object.__setattr__(self, "lowering", lowering)
        object.__setattr__(self, "style", style)

    @property
    def name(self) -> str:
        """The one name of what emits the code: the style for the poll lowering, else the lowering."""
        return self.style if self.lowering == POLL and self.style is not None else self.lowering

    @property
    def emitter(self) -> str:
        """``module:attribute`` of the `desugar.compiler.styles.Style` that emits this mode's code."""
        return STYLES[self.name].emitter if self.lowering == POLL else LOWERINGS[self.lowering].emitter

    @property
    def async_fn(self) -> bool:
        """Does an ``async def`` become a generator function decorated ``@_ds_rt.async_fn``?"""
        return self.lowering == POLL

    def get_cache_key(self) -> str:
        """What sets this mode's cached code apart from others' ("" for the default)."""
        return "" if self == DEFAULT else self.name

    def replace(self, **changes: str | None) -> Mode:
        """A copy with ``changes`` (``lowering=``, ``style=``), checked as a new one is."""
        fields = {"lowering": self.lowering, "style": self.style, **changes}
        if "lowering" in changes and "style" not in changes and fields["lowering"] != POLL:
            fields["style"] = None
        return Mode(**fields)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mode):
            return NotImplemented
        return (self.lowering, self.style) == (other.lowering, other.style)

    def __hash__(self) -> int:
        return hash((Mode, self.lowering, self.style))

    def __repr__(self) -> str:
        return f"Mode(lowering={self.lowering!r}, style={self.style!r})"

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}: a Mode is frozen")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}: a Mode is frozen")

    def __reduce__(self) -> tuple[type[Mode], tuple[str, str | None]]:
        return (Mode, (self.lowering, self.style))


DEFAULT = Mode()
"""The mode of `desugar.translate`, the hook and the commands when none is asked for."""


def resolve(
    mode: Mode | None = None, *, lowering: str | None = None, style: str | None = None
) -> Mode:
    """``mode``, or the mode of ``lowering`` and ``style`` (the API's keywords); not both."""
    if mode is None:
        return Mode(lowering, style)
    if not isinstance(mode, Mode):
        raise TypeError(f"mode must be a desugar.Mode, not {type(mode).__name__}")
    if lowering is not None or style is not None:
        raise TypeError("give mode= or lowering=/style=, not both")
    return mode


def from_options(lowering: str | None, style: str | None, *, native: bool = False) -> Mode | None:
    """The mode of a command's ``--lowering`` and ``--style``; None for ``native`` (if allowed)."""
    if native and lowering == NATIVE:
        if style is not None:
            raise ModeError(
                f"a style ({style!r}) spells the poll lowering; it does not apply to {NATIVE!r}"
            )
        return None
    if native and lowering is not None and lowering not in LOWERINGS:
        raise _unknown("lowering", lowering, [*LOWERINGS, NATIVE])
    return Mode(lowering, style)


def options(*, native: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The click options ``--lowering`` and ``--style`` of every command, as one ``mode`` argument.

    The command gets ``mode`` (a `Mode`; None for ``--lowering native`` when
    ``native`` is true: the program runs untranslated). A bad option is a
    usage error with `Mode`'s message.
    """
    import functools

    import click

    def described(rows: dict[str, Row], extra: dict[str, str]) -> str:
        helps = [row.help for row in rows.values()] + list(extra.values())
        helps[0] = f"the default: {helps[0]}"
        parts = [f"{name} ({text})" for name, text in zip([*rows, *extra], helps)]
        return ", ".join(parts[:-1]) + " or " + parts[-1]

    lowerings = list(LOWERINGS) + ([NATIVE] if native else [])

    class Name(click.Choice):
        """A choice whose bad value gets `Mode`'s message (``--help`` lists the names)."""

        def __init__(self, what: str, names: list[str]) -> None:
            super().__init__(names)
            self.what = what

        def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
            if value in self.choices:
                return value
            self.fail(str(_unknown(self.what, value, list(self.choices))), param, ctx)

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(command)
        def with_mode(*args: Any, lowering: str | None, style: str | None, **kwargs: Any) -> Any:
            try:
                mode = from_options(lowering, style, native=native)
            except ModeError as error:
                raise click.UsageError(str(error)) from None
            return command(*args, mode=mode, **kwargs)

        with_mode = click.option(
            "--style",
            type=Name("style", list(STYLES)),
            default=None,
            help=f"Output style of the poll lowering: {described(STYLES, {})}.",
        )(with_mode)
        return click.option(
            "--lowering",
            type=Name("lowering", lowerings),
            default=None,
            help=f"The async model: {described(LOWERINGS, {NATIVE: NATIVE_HELP} if native else {})}.",
        )(with_mode)

    return decorate
