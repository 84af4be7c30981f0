"""`await x`: `__await__` found on the type (never the instance or the metaclass), bound as CPython's slot binds it."""



class Fn:
    def __await__(self):
        return done(("fn", type(self).__name__))

class Static:
    @staticmethod
    def __await__():
        return done("static")

class Cls:
    @classmethod
    def __await__(cls):
        return done(("cls", cls.__name__))

class Slot:
    __slots__ = ("__await__",)
    def __init__(self):
        self.__await__ = lambda: done("slot")

class EmptySlot:
    __slots__ = ("__await__",)

class Desc:
    def __get__(self, obj, typ=None):
        return lambda: done(("desc", obj is not None, typ.__name__))

class WithDesc:
    __await__ = Desc()

class Prop:
    __await__ = property(lambda self: lambda: done(("prop", type(self).__name__)))

class RaisingDesc:
    def __get__(self, obj, typ=None):
        raise ValueError("descriptor refuses")

class WithRaisingDesc:
    __await__ = RaisingDesc()

class NoneAwait:
    __await__ = None

class Partial:
    __await__ = functools.partial(done, "partial")

class Meta(type):
    def __await__(cls):
        return done("meta")

class OnMeta(metaclass=Meta):
    pass

class GetattrMeta(type):
    def __getattr__(cls, name):
        return lambda *args: done(("meta getattr", name))

class ViaMetaGetattr(metaclass=GetattrMeta):
    pass

class SubOfStatic(Static):
    pass

class SubOfSlot(Slot):
    pass

class Suspends:
    __slots__ = ("__await__",)
    def __init__(self):
        def waits():
            yield "a wait"
            return "slot, after a wait"
        self.__await__ = waits

class Inst:
    def __init__(self):
        self.__await__ = lambda: done("instance")




def make_case(cls):
    async def case():
        return await cls()
    return case


for cls in (Fn, Static, Cls, Slot, EmptySlot, WithDesc, Prop, WithRaisingDesc, NoneAwait,
            Partial, OnMeta, ViaMetaGetattr, SubOfStatic, SubOfSlot, Suspends, Inst):
    show(cls.__name__, make_case(cls))
