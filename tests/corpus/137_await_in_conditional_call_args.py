from desugar.runtime import block_on, yield_now

trace = []


def t(label, value):
    trace.append(label)
    return value


async def a(label, value):
    trace.append("called " + label)
    await yield_now()
    return value


def f(*args, **kwargs):
    return args, sorted(kwargs.items())


async def main():
    print(f(t("p", 1), "yes" if await a("cond", True) else await a("no", "no"), t("q", 2)))
    print(f(x=t("x", 0) or await a("fallback", 9), y=t("y", 5) and await a("and", 6)))
    print(f(*([await a("list", 1)] if t("flag", False) else [t("alt", 2)])))
    print(print is t("identity", print) and await a("after identity", "ok"))


block_on(main())
for entry in trace:
    print(entry)
