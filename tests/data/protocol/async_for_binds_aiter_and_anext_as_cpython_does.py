"""`async for` and async comprehensions: `__aiter__`/`__anext__` found on the type, bound as CPython's slots bind them.

A descriptor whose `__get__` fails is "object X does not have __anext__
method", as the slot says; `__anext__` is looked up (and bound) at every step.
"""

trace = []

class Fn:
    def __init__(self):
        self.n = 0
    def __aiter__(self):
        return self
    async def __anext__(self):
        self.n += 1
        if self.n > 2:
            raise StopAsyncIteration
        return self.n

class Static:
    n = 0
    @staticmethod
    def __aiter__():
        return Static2()

class Static2:
    n = 0
    @staticmethod
    async def __anext__():
        Static2.n += 1
        if Static2.n > 2:
            Static2.n = 0
            raise StopAsyncIteration
        return ("static", Static2.n)

class Cls:
    n = 0
    @classmethod
    def __aiter__(cls):
        return cls()
    @classmethod
    async def __anext__(cls):
        cls.n += 1
        if cls.n > 2:
            cls.n = 0
            raise StopAsyncIteration
        return ("cls", cls.n)

class Slot:
    __slots__ = ("__aiter__", "__anext__", "items")
    def __init__(self):
        self.items = [1, 2]
        self.__aiter__ = lambda: self
        async def next_():
            if not self.items:
                raise StopAsyncIteration
            return ("slot", self.items.pop())
        self.__anext__ = next_

class EmptyNextSlot:
    __slots__ = ("__anext__",)
    def __aiter__(self):
        return self

class EmptyIterSlot:
    __slots__ = ("__aiter__",)
    async def __anext__(self):
        raise StopAsyncIteration

class Desc:
    def __init__(self, what):
        self.what = what
    def __get__(self, obj, typ=None):
        trace.append(("get", self.what, obj is not None, typ.__name__))
        if self.what == "aiter":
            return lambda: obj
        async def step():
            obj.n += 1
            if obj.n > 2:
                raise StopAsyncIteration
            return obj.n
        return step

class WithDesc:
    n = 0
    __aiter__ = Desc("aiter")
    __anext__ = Desc("anext")

class RaisingDesc:
    def __get__(self, obj, typ=None):
        raise ValueError("descriptor refuses")

class RaisingNext:
    def __aiter__(self):
        return self
    __anext__ = RaisingDesc()

class RaisingIter:
    __aiter__ = RaisingDesc()

class NoneNext:
    def __aiter__(self):
        return self
    __anext__ = None

class NoneIter:
    __aiter__ = None

class NoNext:
    def __aiter__(self):
        return self

class Meta(type):
    def __aiter__(cls):
        return cls
    async def __anext__(cls):
        raise StopAsyncIteration

class OnMeta(metaclass=Meta):
    pass

class MetaNext(type):
    async def __anext__(cls):
        raise StopAsyncIteration

class OnMetaNext(metaclass=MetaNext):
    def __aiter__(self):
        return self

class GetattrMeta(type):
    def __getattr__(cls, name):
        trace.append(("meta getattr", name))
        return lambda *args: args

class ViaMetaGetattr(metaclass=GetattrMeta):
    pass

class Prop:
    n = 0
    __aiter__ = property(lambda self: lambda: self)
    @property
    def __anext__(self):
        async def step():
            self.n += 1
            if self.n > 2:
                raise StopAsyncIteration
            return ("prop", self.n)
        return step

class SuspendingSlot:
    __slots__ = ("__anext__", "left")
    def __init__(self):
        self.left = 2
        self.__anext__ = self.step
    def __aiter__(self):
        return self
    def step(self):
        return Waits(self)

class Waits:
    def __init__(self, owner):
        self.owner = owner
    def __await__(self):
        yield "a wait"
        if self.owner.left == 0:
            raise StopAsyncIteration
        self.owner.left -= 1
        return ("after a wait", self.owner.left)

class Partial:
    __aiter__ = functools.partial(Fn)


def make_case(cls):
    async def case():
        got = []
        async for x in cls():
            got.append(x)
        else:
            got.append("else")
        return got
    return case


def make_comp(cls):
    async def case():
        return [x async for x in cls()]
    return case


for cls in (Fn, Static, Cls, Slot, EmptyNextSlot, EmptyIterSlot, WithDesc, RaisingNext, RaisingIter,
            NoneNext, NoneIter, NoNext, OnMeta, OnMetaNext, ViaMetaGetattr, Prop, SuspendingSlot, Partial):
    show(cls.__name__, make_case(cls))
    show(cls.__name__ + " comprehension", make_comp(cls))
    print("   ", trace)
    trace.clear()
