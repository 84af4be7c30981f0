"""Lower bounds for the output's shape: hand-written variants of a 10-deep await chain.

Each variant awaits a chain of 10 futures that complete without suspending,
20k times; ratios are against native coroutines driven the same way. They show
what an explicit poll loop can cost at best in pure Python on this
interpreter, with no runtime objects at all, and what ``yield from`` (which is
not a poll loop) costs. Run ``python bench/shapes.py``.
"""

from __future__ import annotations

import time

DEPTH = 10
ROUNDS = 20000


class _PendingType:
    __slots__ = ()


PENDING = _PendingType()


async def native_leaf():
    return 1


async def native_level(n):
    if n == 0:
        return await native_leaf()
    return await native_level(n - 1)


def run_native() -> None:
    for _ in range(ROUNDS):
        try:
            native_level(DEPTH).send(None)
        except StopIteration:
            pass


# Bare generators, an explicit send loop, StopIteration caught in the caller,
# primed with next(): no wrapper, no future object, no Ready.
def bare_leaf():
    _cx = yield
    return 1


def bare_level(n):
    cx = yield
    awaitee = bare_leaf() if n == 0 else bare_level(n - 1)
    next(awaitee)
    while True:
        try:
            poll = awaitee.send(cx)
        except StopIteration as stop:
            result = stop.value
            break
        cx = yield poll
    return result


def run_bare() -> None:
    for _ in range(ROUNDS):
        gen = bare_level(DEPTH)
        next(gen)
        try:
            gen.send(1)
        except StopIteration:
            pass


# The same, but the final value is yielded (no StopIteration at completion;
# closing the suspended generator later raises GeneratorExit instead).
def final_yield_leaf():
    _cx = yield
    yield 1


def final_yield_level(n):
    cx = yield
    awaitee = final_yield_leaf() if n == 0 else final_yield_level(n - 1)
    next(awaitee)
    while True:
        poll = awaitee.send(cx)
        if poll is not PENDING:
            break
        cx = yield PENDING
    yield poll


def run_final_yield() -> None:
    for _ in range(ROUNDS):
        gen = final_yield_level(DEPTH)
        next(gen)
        gen.send(1)


# `yield from`: CPython's own delegation (what a native await compiles to).
def delegate_leaf():
    return 1
    yield


def delegate_level(n):
    return (yield from (delegate_leaf() if n == 0 else delegate_level(n - 1)))


def run_delegate() -> None:
    for _ in range(ROUNDS):
        try:
            delegate_level(DEPTH).send(None)
        except StopIteration:
            pass


def best_of(repeats: int, fn) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    native = best_of(7, run_native)
    print(f"native coroutines: {native * 1e9 / ROUNDS / (DEPTH + 1):.0f} ns per await")
    for label, fn in [
        ("bare generators, send loop, StopIteration caught", run_bare),
        ("bare generators, send loop, final value yielded", run_final_yield),
        ("yield from (not a poll loop)", run_delegate),
    ]:
        print(f"{label:<52} {best_of(7, fn) / native:5.2f}x native")


if __name__ == "__main__":
    main()
