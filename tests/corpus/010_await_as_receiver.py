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


class Thing:
    def __init__(self, name):
        self.name = name
        self.attr = name.upper()

    def m(self, *args):
        trace.append(f"{self.name}.m{args}")
        return self

    def __getitem__(self, key):
        trace.append(f"{self.name}[{key!r}]")
        return key * 2


async def main():
    print((await a("obj", Thing("one"))).attr)
    r = (await a("recv", Thing("two"))).m(await a("arg", 1)).m(t("arg2", 2)).name
    print(r)
    print((await a("list", [10, 20, 30]))[t("idx", 1)])
    print((await a("thing", Thing("three")))[await a("key", "k")])
    print((await a("str", "hello")).upper().replace(t("old", "L"), await a("new", "_")))


block_on(main())
for entry in trace:
    print(entry)
