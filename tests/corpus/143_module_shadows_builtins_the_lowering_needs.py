"""A module that rebinds `set`, `iter`, `isinstance`, `type`, `sys`, `BaseException` and
`StopAsyncIteration`: the translation needs none of them (natively `async with`, `async
for` and `except` look nothing up by name).

Also CPython's `except` test: MROs, not `__instancecheck__`/`__subclasscheck__`
hooks, and its TypeError for a class that is no exception.
"""

import builtins
import sys as _real_sys
from desugar.runtime import block_on, yield_now

trace = []


def set(*args):
    trace.append("module set() called")
    return ["not a set"]


def iter(obj):
    trace.append("module iter() called")
    return ["not", "an", "iterator"]


def isinstance(obj, kind):
    trace.append("module isinstance() called")
    return True


def type(obj):
    trace.append("module type() called")
    return None


sys = None


class BaseException(builtins.Exception):
    """Not what `except BaseException` around an `async with` body would have to catch."""


StopAsyncIteration = KeyError  # not what ends an `async for`


async def value(x):
    await yield_now()
    return x


class Meta(builtins.type):
    def __instancecheck__(cls, obj):
        trace.append("__instancecheck__ called")
        return True

    def __subclasscheck__(cls, sub):
        trace.append("__subclasscheck__ called")
        return True


class Hooked(Exception, metaclass=Meta):
    pass


class Manager:
    async def __aenter__(self):
        return "entered"

    async def __aexit__(self, typ, val, tb):
        trace.append(f"aexit got {typ.__name__ if typ else None} {val!r} tb={tb is not None}")
        return typ is KeyError


class Countdown:
    def __init__(self, n, fail=None):
        self.n = n
        self.fail = fail

    def __aiter__(self):
        return self

    async def __anext__(self):
        await yield_now()
        if self.n == 0:
            if self.fail is not None:
                raise self.fail
            raise builtins.StopAsyncIteration
        self.n -= 1
        return self.n


async def loops():
    got = []
    async for i in Countdown(3):
        got.append(i)
    else:
        got.append("else")
    print("async for over a class:", got)
    print("async comprehension over a class:", [i async for i in Countdown(2)])
    try:
        async for i in Countdown(1, KeyError("not the end")):
            print("item", i)
        else:
            print("else ran: a KeyError ended the loop")
    except KeyError as error:
        print("KeyError from __anext__ propagates:", repr(error))
    try:
        print([i async for i in Countdown(1, KeyError("not the end either"))])
    except KeyError as error:
        print("KeyError from __anext__ in a comprehension propagates:", repr(error))
    for error in (ValueError("body"), builtins.BaseException("bare"), BaseException("module's")):
        try:
            async with Manager():
                raise error
        except builtins.BaseException as caught:
            print("async with body raised", repr(caught))


async def main():
    await loops()
    s = {x async for x in numbers(3)}
    print("async set comprehension:", sorted(s), "a set:", s.__class__.__name__)
    t = {await value(x) for x in [3, 1, 2]}
    print("set comprehension that awaits:", sorted(t), t.__class__.__name__)
    squares = [await value(x * x) for x in range(4)]
    print("list comprehension over range:", squares)
    for kind in (Hooked, (ValueError, Hooked), KeyError):
        try:
            try:
                raise ValueError("v")
            except await value(kind):
                print("caught by", kind)
        except ValueError as error:
            print("not caught by", kind, "->", repr(error))
    for bad in (int, (ValueError, 3)):
        try:
            try:
                raise ValueError("v")
            except await value(bad):
                print("caught?")
        except TypeError as error:
            print("TypeError:", error, "| context:", repr(error.__context__))
    async with Manager() as entered:
        print("body of", entered)
        raise KeyError("suppressed")
    try:
        async with Manager():
            raise ValueError("passed on")
    except ValueError as error:
        print("propagated", repr(error))
    print("exc_info after:", _real_sys.exc_info())


async def numbers(n):
    for i in range(n):
        await yield_now()
        yield i


block_on(main())
print("\n".join(trace) or "no module function was called")
