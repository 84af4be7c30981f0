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


class Store(dict):
    def __setitem__(self, key, value):
        trace.append(f"setitem {key!r}={value!r}")
        super().__setitem__(key, value)


class Obj:
    def __setattr__(self, name, value):
        trace.append(f"setattr {name}={value!r}")
        object.__setattr__(self, name, value)


async def main():
    obj = Store()
    obj[t("k", 0)] = await a("v", "value")
    t("obj", obj)[t("k2", 1)] = t("plain", "p") + await a("v2", "q")
    o = Obj()
    t("o", o).attr = await a("attr value", 5)
    lst = [0, 0, 0, 0]
    lst[t("lo", 1):t("hi", 3)] = await a("slice value", ["a", "b", "c"])
    obj[await a("awaited key", "ak")] = await a("awaited value", "av")
    print(dict(obj), o.attr, lst)


block_on(main())
for entry in trace:
    print(entry)
