from desugar.runtime import block_on, yield_now

trace = []


async def source(n):
    for i in range(n):
        await yield_now()
        trace.append(f"source {i}")
        yield i


async def mapper(stream, fn):
    async for item in stream:
        yield await fn(item)


async def filterer(stream, pred):
    async for item in stream:
        if await pred(item):
            yield item


async def batcher(stream, size):
    batch = []
    async for item in stream:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


async def square(x):
    await yield_now()
    return x * x


async def odd(x):
    return x % 2 == 1


async def main():
    pipeline = batcher(filterer(mapper(source(8), square), odd), 3)
    batches = [b async for b in pipeline]
    print(batches)
    total = 0
    async for batch in batcher(mapper(source(5), square), 2):
        total += sum(batch) * len(batch)
        trace.append(f"batch {batch} -> total {total}")
    print(total)


block_on(main())
for entry in trace:
    print(entry)
