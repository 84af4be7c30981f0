"""`async with`: `__aenter__`/`__aexit__` found on the type and bound as `_PyObject_LookupSpecial` binds them.

Both are looked up (their descriptors' `__get__` called) before `__aenter__` is
called; a missing one is the running version's error; `__get__`'s error propagates.
"""

trace = []

class Fn:
    async def __aenter__(self):
        return ("fn", type(self).__name__)
    async def __aexit__(self, *exc):
        trace.append(("fn exit", exc[0]))

class Static:
    @staticmethod
    async def __aenter__():
        return "static"
    @staticmethod
    async def __aexit__(*exc):
        trace.append(("static exit", exc[0]))
        return True

class Cls:
    @classmethod
    async def __aenter__(cls):
        return ("cls", cls.__name__)
    @classmethod
    async def __aexit__(cls, typ, val, tb):
        trace.append(("cls exit", cls.__name__, typ))

class Slot:
    __slots__ = ("__aenter__", "__aexit__")
    def __init__(self):
        self.__aenter__ = lambda: coro_of("slot")
        async def exit_(*exc):
            trace.append(("slot exit", len(exc)))
        self.__aexit__ = exit_

class EmptySlot:
    __slots__ = ("__aenter__", "__aexit__")

class HalfSlot:
    __slots__ = ("__aexit__",)
    async def __aenter__(self):
        trace.append("halfslot enter")

class Desc:
    def __init__(self, what):
        self.what = what
    def __get__(self, obj, typ=None):
        trace.append(("get", self.what, obj is not None, typ.__name__))
        return lambda *args: coro_of((self.what, len(args)))

class WithDesc:
    __aenter__ = Desc("enter")
    __aexit__ = Desc("exit")

class RaisingDesc:
    def __get__(self, obj, typ=None):
        raise ValueError("descriptor refuses")

class RaisingExit:
    async def __aenter__(self):
        trace.append("raisingexit enter")
    __aexit__ = RaisingDesc()

class RaisingEnter:
    __aenter__ = RaisingDesc()
    __aexit__ = Desc("exit")

class MissingExit:
    async def __aenter__(self):
        trace.append("missing exit enter")

class MissingEnter:
    __aexit__ = Desc("exit")

class NoneEnter:
    __aenter__ = None
    __aexit__ = Desc("exit")

class Meta(type):
    async def __aenter__(cls):
        return "meta"
    async def __aexit__(cls, *exc):
        pass

class OnMeta(metaclass=Meta):
    pass

class GetattrMeta(type):
    def __getattr__(cls, name):
        trace.append(("meta getattr", name))
        return lambda *args: coro_of(name)

class ViaMetaGetattr(metaclass=GetattrMeta):
    pass

class Partial:
    __aenter__ = functools.partial(coro_of, "partial")
    __aexit__ = functools.partial(coro_of)

class Prop:
    __aenter__ = property(lambda self: lambda: coro_of("prop"))
    __aexit__ = property(lambda self: lambda *exc: coro_of(exc[0] is KeyError))

class SubOfStatic(Static):
    pass


def make_case(cls, fail=False):
    async def case():
        async with cls() as value:
            trace.append(("body", value))
            if fail:
                raise KeyError("body")
        return value
    return case


for cls in (Fn, Static, Cls, Slot, EmptySlot, HalfSlot, WithDesc, RaisingExit, RaisingEnter,
            MissingExit, MissingEnter, NoneEnter, OnMeta, ViaMetaGetattr, Partial, Prop, SubOfStatic):
    for fail in (False, True):
        show(f"{cls.__name__} fail={fail}", make_case(cls, fail))
        print("   ", trace)
        trace.clear()
