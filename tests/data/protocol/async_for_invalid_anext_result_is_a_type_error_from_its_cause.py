"""`async for` over an `__anext__` whose result cannot be awaited: CPython's `_PyErr_FormatFromCause`,
"'async for' received an invalid object from __anext__: X", with why as `__cause__` and `__context__`.

Whatever getting the awaitable raised, even StopIteration or StopAsyncIteration,
is the cause: the loop does not end, its `else` does not run.
"""


class AwaitReturns:
    def __init__(self, value):
        self.value = value

    def __await__(self):
        if isinstance(self.value, BaseException):
            raise self.value
        return self.value


async def coro():
    return 1


class NextReturns:
    def __init__(self, make):
        self.make = make
        self.steps = 0

    def __aiter__(self):
        return self

    def __anext__(self):
        self.steps += 1
        if self.steps == 1:  # a good step first
            return coro()
        return self.make()


def for_case(make, outer=False, comp=False):
    async def loop():
        got = []
        if comp:
            return [x async for x in make()]
        async for x in make():
            got.append(x)
        else:
            got.append("else ran")
        return got

    async def case():
        if outer:
            try:
                raise LookupError("outer")
            except LookupError:
                return await loop()
        return await loop()

    return case


fors = {
    "anext returns int": lambda: NextReturns(lambda: 5),
    "anext returns None": lambda: NextReturns(lambda: None),
    "anext await raises": lambda: NextReturns(lambda: AwaitReturns(ValueError("in __await__"))),
    "anext await raises StopIteration": lambda: NextReturns(lambda: AwaitReturns(StopIteration(4))),
    "anext await raises StopAsyncIteration": lambda: NextReturns(lambda: AwaitReturns(StopAsyncIteration())),
    "anext await returns non-iterator": lambda: NextReturns(lambda: AwaitReturns(3)),
    "anext await returns coroutine": lambda: NextReturns(lambda: AwaitReturns(coro())),
}
for label, make in fors.items():
    for outer in (False, True):
        for comp in (False, True):
            show(f"for {label} outer={outer} comp={comp}", for_case(make, outer, comp))
