from desugar.runtime import block_on, yield_now

trace = []


class Ticker:
    def __init__(self, limit):
        self.limit = limit

    def __aiter__(self):
        trace.append("__aiter__")
        return TickerIterator(self.limit)


class TickerIterator:
    def __init__(self, limit):
        self.i = 0
        self.limit = limit

    def __aiter__(self):
        return self

    async def __anext__(self):
        trace.append(f"__anext__ {self.i}")
        await yield_now()
        if self.i >= self.limit:
            raise StopAsyncIteration("done")
        self.i += 1
        return self.i * 10


async def main():
    async for x in Ticker(3):
        trace.append(f"body {x}")
    async for x in Ticker(0):
        trace.append("never")
    else:
        trace.append("else of empty loop")
    print("done")


block_on(main())
for entry in trace:
    print(entry)
