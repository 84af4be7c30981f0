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


def mk(name):
    def fn(*args, **kwargs):
        trace.append(f"call {name}{args}{sorted(kwargs.items())}")
        return name + str(len(args) + len(kwargs))
    return fn


async def main():
    f, g, h = mk("f"), mk("g"), mk("h")
    r = f(g(t("g1", 1), await a("g2", 2)), h(k=await a("h1", 3)), await a("last", 4))
    print(r)
    r = t("f", f)(t("g", g)(await a("deep", t("arg", 0))), await a("after", 1))
    print(r)


block_on(main())
for entry in trace:
    print(entry)
