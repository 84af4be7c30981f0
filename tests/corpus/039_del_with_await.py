from desugar.runtime import block_on, yield_now

trace = []


def t(label, value):
    trace.append(label)
    return value


async def a(label, value):
    trace.append("start " + label)
    await yield_now()
    trace.append("end " + label)
    return value


class Traced(dict):
    def __delitem__(self, key):
        trace.append(f"delitem {key!r}")
        super().__delitem__(key)


class Obj:
    pass


async def main():
    d = Traced(a=1, b=2, c=3)
    del d[await a("key", "a")]
    del t("d", d)[await a("key2", "b")]
    print(dict(d))
    lst = list(range(10))
    del lst[await a("lo", 2):await a("hi", 5)]
    print(lst)
    del lst[await a("one", 0)], lst[await a("two", 0)]
    print(lst)
    o = Obj()
    o.x = 1
    holder = {"o": o}
    del holder[await a("obj key", "o")].x
    print(hasattr(o, "x"))
    try:
        del d[await a("missing", "zzz")]
    except KeyError as error:
        print("KeyError", error)


block_on(main())
for entry in trace:
    print(entry)
