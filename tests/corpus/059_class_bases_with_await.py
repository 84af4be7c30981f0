from desugar.runtime import block_on, yield_now

trace = []


def t(label, value):
    trace.append(label)
    return value


class Base:
    def hello(self):
        return "hello from Base"


class Meta(type):
    def __new__(mcs, name, bases, ns, **kwargs):
        trace.append(f"Meta.__new__ {name} {sorted(kwargs)}")
        return super().__new__(mcs, name, bases, ns)


async def base():
    trace.append("base()")
    await yield_now()
    return Base


async def get_meta():
    trace.append("get_meta()")
    await yield_now()
    return Meta


async def main():
    class K(await base()):
        trace.append("class body K")

    print(K().hello(), [c.__name__ for c in K.__mro__])

    class L(t("first base", object), metaclass=await get_meta(), flag=t("flag", 1)):
        trace.append("class body L")
        value = 3

    print(type(L).__name__, L.value)

    class M(*await t("bases coro", base_list())):
        pass

    print([c.__name__ for c in M.__bases__])


async def base_list():
    trace.append("base_list()")
    await yield_now()
    return [Base]


block_on(main())
for entry in trace:
    print(entry)
