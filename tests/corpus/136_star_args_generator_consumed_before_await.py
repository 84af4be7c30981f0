from desugar.runtime import block_on, yield_now

trace = []


async def a(label, value):
    trace.append("start " + label)
    await yield_now()
    trace.append("end " + label)
    return value


def gen(label, n):
    for i in range(n):
        trace.append(f"{label} produces {i}")
        yield i


class Keys:
    def keys(self):
        trace.append("keys()")
        return ["k1", "k2"]

    def __getitem__(self, key):
        trace.append(f"getitem {key}")
        return key.upper()


def f(*args, **kwargs):
    trace.append("f called")
    return args, kwargs


async def main():
    print(f(*gen("g1", 2), await a("mid", "m"), *gen("g2", 1)))
    print(f(**Keys(), z=await a("z", 26)))
    print(f(await a("first", 0), *gen("g3", 2), k=await a("kw", 1), **Keys()))


block_on(main())
for entry in trace:
    print(entry)
