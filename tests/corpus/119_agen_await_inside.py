from desugar.runtime import block_on, sleep, yield_now

trace = []


async def fetch(n):
    trace.append(f"fetch {n} start")
    await sleep(0)
    await yield_now()
    trace.append(f"fetch {n} end")
    return n * n


async def pages(n):
    for i in range(n):
        data = await fetch(i)
        if data % 2:
            trace.append(f"skip odd {data}")
            continue
        yield data
        trace.append(f"after yield {data}")
    trace.append("pages done")


async def main():
    async for page in pages(5):
        trace.append(f"consumer {page}")
    print("done")


block_on(main())
for entry in trace:
    print(entry)
