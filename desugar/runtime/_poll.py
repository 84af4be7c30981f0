"""`Poll`: the result of polling a future once, `Ready(value)` or `Pending`."""

from __future__ import annotations


class Ready:
    """`Poll::Ready(value)`: the future has completed with ``value``."""

    __slots__ = ("value",)
    __match_args__ = ("value",)  # `case Ready(value):`

    def __init__(self, value: object) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"Ready({self.value!r})"

    def __eq__(self, other: object) -> bool:
        return type(other) is Ready and other.value == self.value

    __hash__ = None  # type: ignore[assignment]


class _PendingType:
    """`Poll::Pending`: not ready yet; the waker will be woken when it may be.

    There is exactly one instance, :data:`Pending`; test it with ``is``.
    """

    __slots__ = ()
    _instance: _PendingType | None = None

    def __new__(cls) -> _PendingType:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "Pending"

    def __reduce__(self) -> str:
        return "Pending"


Pending = _PendingType()
"""The singleton `Poll::Pending`."""

Poll = Ready | _PendingType
"""The type of a poll's result: ``Ready | Pending``."""
