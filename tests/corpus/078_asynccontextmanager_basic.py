import contextlib

from desugar.runtime import block_on, yield_now

trace = []


@contextlib.asynccontextmanager
async def resource(name):
    trace.append(f"acquire {name}")
    await yield_now()
    try:
        yield name.upper()
    finally:
        await yield_now()
        trace.append(f"release {name}")


async def main():
    async with resource("db") as handle:
        trace.append(f"using {handle}")
    async with resource("a") as x, resource("b") as y:
        trace.append(f"using {x} and {y}")
    for i in range(2):
        async with resource(f"loop{i}") as r:
            if i == 0:
                continue
            trace.append(f"using {r}")
    print("done")


block_on(main())
for entry in trace:
    print(entry)
