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


class Seq:
    def __getitem__(self, key):
        trace.append(f"getitem {key!r}")
        return key


async def main():
    lst = list(range(10))
    print(lst[await a("lo", 2):await a("hi", 8)])
    print(lst[await a("lo", 1):await a("hi", 9):await a("step", 3)])
    print(t("lst", lst)[t("start", 1):await a("stop", 4)])
    print(lst[:await a("only stop", 3)], lst[await a("only start", 7):], lst[::await a("only step", 4)])
    s = Seq()
    print(s[await a("x", 1):t("y", 2), t("z", 3):await a("w", 4)])
    print(s[await a("e", 1), ...])


block_on(main())
for entry in trace:
    print(entry)
