"""`async with` whose `__aenter__`/`__aexit__` result cannot be awaited: CPython's TypeError, whose
context is what was handled natively (nothing, an outer exception, or the body's), never an internal one.

Only a type with no `__await__` gets the "'async with' received ..." message;
an `__await__` that fails or returns no iterator raises its own error.
"""


class Returns:
    def __init__(self, enter=None, exit=None):
        self.enter, self.exit = enter, exit

    def __aenter__(self):
        return self.enter() if callable(self.enter) else self.enter

    def __aexit__(self, *exc):
        return self.exit() if callable(self.exit) else self.exit


class AwaitReturns:
    def __init__(self, value):
        self.value = value

    def __await__(self):
        if isinstance(self.value, BaseException):
            raise self.value
        return self.value


async def coro():
    return 1


def with_case(mgr, fail=False, outer=False):
    async def body():
        async with mgr:
            if fail:
                raise KeyError("body")
        return "done"

    async def case():
        if outer:
            try:
                raise LookupError("outer")
            except LookupError:
                return await body()
        return await body()

    return case


withs = {
    "aenter returns int": Returns(enter=5, exit=coro),
    "aenter returns None": Returns(enter=None, exit=coro),
    "aexit returns int": Returns(enter=coro, exit=7),
    "aenter await returns non-iterator": Returns(enter=lambda: AwaitReturns(3), exit=coro),
    "aenter await raises": Returns(enter=lambda: AwaitReturns(ValueError("in __await__")), exit=coro),
    "aenter await returns coroutine": Returns(enter=lambda: AwaitReturns(coro()), exit=coro),
    "aexit await returns non-iterator": Returns(enter=coro, exit=lambda: AwaitReturns(3)),
    "aexit await raises": Returns(enter=coro, exit=lambda: AwaitReturns(ValueError("in __await__"))),
}
for label, mgr in withs.items():
    for fail in (False, True):
        for outer in (False, True):
            show(f"with {label} fail={fail} outer={outer}", with_case(mgr, fail, outer))
