"""An ``except*`` statement whose clauses' types await, done as CPython does it.

The types of an ``except*`` statement's clauses are evaluated in turn, each
between the clauses before and after it, and the grammar has no place for the
statements of an ``await`` there. So the translation catches the exception
once and runs the clauses itself, with an `ExceptStar` doing what the
interpreter does (``CHECK_EG_MATCH`` and ``PREP_RERAISE_STAR``):

* each clause's type is checked (``except*`` of an exception group is a
  ``TypeError``) and matched against what is left: a group is ``split()``, a
  naked exception that matches is wrapped in ``ExceptionGroup("", (exc,))``;
* while a clause's handler runs, and while the types of the clauses after it
  are evaluated, ``sys.exception()`` is the part it matched;
* what the handlers raised and what no clause matched are merged as CPython
  merges them: the parts re-raised unchanged keep the original group's shape,
  the rest join them in a new ``ExceptionGroup("", [...])``.

The generated code makes an exception the one being handled by raising it in
a ``try`` whose handler calls `entered`, which gives the exception back the
traceback and context it had (raising it added a line to the one and may
have set the other).
"""

from __future__ import annotations

from typing import Any

try:
    _BaseExceptionGroup: Any = BaseExceptionGroup  # type: ignore[name-defined]
except NameError:  # (Python 3.10: no `except*` to translate)
    _BaseExceptionGroup = None

from desugar.runtime._stream import exception_matches

_CANNOT_EXCEPT_STAR_EG = "catching ExceptionGroup with except* is not allowed. Use except instead."


class ExceptStar:
    """The state of one ``except*`` statement while its clauses run."""

    __slots__ = ("original", "rest", "raised", "current", "_saved")

    def __init__(self, original: BaseException) -> None:
        self.original = original
        self.rest: Any = original  # what the next clause is matched against (None: all matched)
        self.raised: list[BaseException] = []  # what the handlers raised, in order
        self.current: Any = original  # what `sys.exception()` is natively
        self._saved: Any = None

    def raising(self) -> BaseException:
        """`current`, to raise (see `entered`)."""
        exc = self.current
        self._saved = (exc.__traceback__, exc.__context__)
        return exc

    def entered(self) -> None:
        """`current` is being handled: its traceback and context as they were."""
        self.current.__traceback__, self.current.__context__ = self._saved
        self._saved = None

    def match(self, kind: Any) -> bool:
        """``except* kind``: does it match what is left? (The part it matches becomes `current`.)"""
        try:
            return self._match(kind)
        except BaseException as error:  # (raised at the clause, as natively: no frame of ours)
            tb = error.__traceback__
            while tb is not None and tb.tb_frame.f_code in _OWN_CODE:
                tb = tb.tb_next
            error.__traceback__ = tb
            raise

    def _match(self, kind: Any) -> bool:
        exception_matches(self.original, kind)  # (its TypeError for what is not an exception class)
        kinds = kind if isinstance(kind, tuple) else (kind,)
        for element in kinds:
            if issubclass(element, _BaseExceptionGroup):
                raise TypeError(_CANNOT_EXCEPT_STAR_EG)
        rest = self.rest
        if rest is None:
            return False
        if exception_matches(rest, kind):
            if isinstance(rest, _BaseExceptionGroup):
                match = rest
            else:  # a naked exception: wrapped
                match = _BaseExceptionGroup("", (rest,))
                if rest.__traceback__ is not None:
                    match.__traceback__ = rest.__traceback__
            self.rest = None
        elif isinstance(rest, _BaseExceptionGroup):
            match, self.rest = rest.split(kind)
            if match is None:
                return False
        else:
            return False
        self.current = match
        return True

    def failed(self, error: BaseException) -> None:
        """A handler raised ``error``."""
        self.raised.append(error)

    def finish(self) -> bool:
        """Is there something to raise once the clauses ran? (Then it is `current`.)"""
        result = _prep_reraise_star(self.original, [*self.raised, self.rest])
        self.raised = []
        self.rest = self.original = None
        if result is None:
            return False
        self.current = result
        return True


_OWN_CODE = (ExceptStar.match.__code__, ExceptStar._match.__code__, exception_matches.__code__)


def _prep_reraise_star(original: BaseException, excs: list[Any]) -> Any:
    """CPython's ``_PyExc_PrepReraiseStar``: what an ``except*`` statement raises at its end."""
    if not isinstance(original, _BaseExceptionGroup):
        # A naked exception: one clause at most ran (the handler's error, or what is left).
        return excs[0]
    raised = []
    reraised = []
    for exc in excs:
        if exc is None:
            continue
        same = (
            exc.__traceback__ is original.__traceback__
            and exc.__cause__ is original.__cause__
            and exc.__context__ is original.__context__
        )
        (reraised if same else raised).append(exc)
    # The re-raised leaves, in the original group's shape.
    leaves: set[int] = set()
    for exc in reraised:
        _leaf_ids(exc, leaves)
    if leaves:
        kept, _ = original.split(lambda exc: id(exc) in leaves)
        if kept is not None:
            raised.append(kept)
    if not raised:
        return None
    if len(raised) > 1:
        return _BaseExceptionGroup("", raised)
    return raised[0]


def _leaf_ids(exc: BaseException, into: set[int]) -> None:
    if isinstance(exc, _BaseExceptionGroup):
        for inner in exc.exceptions:
            _leaf_ids(inner, into)
    else:
        into.add(id(exc))
