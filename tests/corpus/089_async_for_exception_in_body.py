from desugar.runtime import block_on, yield_now

trace = []


class Source:
    def __init__(self):
        self.n = 0

    def __aiter__(self):
        return self

    async def __anext__(self):
        self.n += 1
        await yield_now()
        trace.append(f"anext {self.n}")
        if self.n > 5:
            raise StopAsyncIteration
        return self.n


class FailingSource(Source):
    async def __anext__(self):
        value = await super().__anext__()
        if value == 3:
            raise ConnectionError("source broke at 3")
        return value


async def main():
    src = Source()
    try:
        async for x in src:
            if x == 2:
                raise ValueError(f"body failed at {x}")
    except ValueError as error:
        print("ValueError", error)
    async for x in src:
        trace.append(f"resumed iteration {x}")
    try:
        async for x in FailingSource():
            trace.append(f"failing source gave {x}")
    except ConnectionError as error:
        print("ConnectionError", error)


block_on(main())
for entry in trace:
    print(entry)
