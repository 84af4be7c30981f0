from desugar.runtime import block_on, yield_now

trace = []


def t(label, value):
    trace.append(label)
    return value


class ACM:
    def __init__(self, name):
        self.name = name

    async def __aenter__(self):
        trace.append(f"aenter {self.name}")
        return self.name

    async def __aexit__(self, *exc):
        trace.append(f"aexit {self.name}")


async def make(name):
    trace.append(f"make {name}")
    await yield_now()
    return ACM(name)


async def main():
    async with await make("first") as a1, await make("second") as a2:
        trace.append(f"body {a1} {a2}")
    async with t("wrapper", ACM(await t("name coro", name_for(3)))) as n:
        trace.append(f"body {n}")
    cms = {"k": ACM("from dict")}
    async with cms[await t("key coro", name_for("k"))] as d:
        trace.append(f"body {d}")


async def name_for(x):
    trace.append(f"name_for {x}")
    await yield_now()
    return x if isinstance(x, str) else f"n{x}"


block_on(main())
for entry in trace:
    print(entry)
