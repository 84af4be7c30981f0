"""A module that binds `BaseException` and `StopAsyncIteration`: natively `async with`, `async for`
and an `except` whose type awaits look nothing up by name, so the translation must not either.
"""

import builtins


class BaseException(builtins.Exception):
    pass


StopAsyncIteration = KeyError


class Manager:
    async def __aenter__(self):
        return "entered"

    async def __aexit__(self, typ, val, tb):
        print("aexit got", typ and typ.__name__, repr(val))
        return typ is KeyError


class Countdown:
    def __init__(self, n, fail=None):
        self.n = n
        self.fail = fail

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self.n == 0:
            if self.fail is not None:
                raise self.fail
            raise builtins.StopAsyncIteration
        self.n -= 1
        return self.n


async def kind(k):
    return k


async def main():
    for error in (ValueError("v"), builtins.BaseException("bare"), KeyError("suppressed")):
        try:
            async with Manager():
                raise error
            print("suppressed", repr(error))
        except builtins.BaseException as caught:
            print("propagated", repr(caught))
    got = []
    async for i in Countdown(2):
        got.append(i)
    else:
        got.append("else")
    print(got, [i async for i in Countdown(2)])
    try:
        async for i in Countdown(1, KeyError("not the end")):
            print("item", i)
    except KeyError as error:
        print("propagated", repr(error))
    try:
        try:
            raise ValueError("v")
        except await kind(KeyError):
            print("caught as KeyError?")
    except ValueError as error:
        print("not caught by KeyError:", repr(error))


show("main", main)
