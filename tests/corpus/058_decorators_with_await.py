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


def tag(name):
    def decorator(fn):
        trace.append(f"apply {name}")
        fn.tags = getattr(fn, "tags", ()) + (name,)
        return fn
    return decorator


async def get_decorator(name):
    trace.append(f"get_decorator {name}")
    await yield_now()
    return tag(name)


async def main():
    @(await get_decorator("outer"))
    @t("middle expr", tag("middle"))
    @(await get_decorator("inner"))
    def f(x=t("default", 1)):
        return x

    print(f.tags, f())

    @(await get_decorator("on class"))
    class C:
        pass

    print(C.tags)


block_on(main())
for entry in trace:
    print(entry)
