from desugar.runtime import block_on, yield_now

trace = []


class Conn:
    def __init__(self, name):
        self.name = name

    async def __aenter__(self):
        await yield_now()
        trace.append(f"open {self.name}")
        return self

    async def __aexit__(self, typ, val, tb):
        await yield_now()
        trace.append(f"close {self.name} {typ.__name__ if typ else None}")
        return False


async def rows(name, n):
    async with Conn(name) as conn:
        for i in range(n):
            await yield_now()
            yield f"{conn.name}-row{i}"


async def main():
    async for row in rows("db1", 2):
        trace.append(row)
    gen = rows("db2", 5)
    trace.append(await gen.__anext__())
    await gen.aclose()
    gen = rows("db3", 5)
    trace.append(await gen.__anext__())
    try:
        await gen.athrow(ValueError("abort"))
    except ValueError as error:
        print("ValueError", error)
    print("done")


block_on(main())
for entry in trace:
    print(entry)
