from desugar.runtime import block_on, yield_now

trace = []


class It:
    def __init__(self):
        self.n = 0

    def __aiter__(self):
        trace.append("type __aiter__")
        return self

    async def __anext__(self):
        self.n += 1
        if self.n > 2:
            raise StopAsyncIteration
        return f"type {self.n}"


async def wrong_anext():
    return "instance (wrong)"


async def main():
    it = It()
    it.__aiter__ = lambda: trace.append("instance __aiter__ (wrong)")
    it.__anext__ = wrong_anext
    async for value in it:
        print(value)

    class Empty:
        pass

    e = Empty()
    e.__aiter__ = lambda: e
    e.__anext__ = wrong_anext
    try:
        async for value in e:
            print("never")
    except TypeError as error:
        print("TypeError:", error)


block_on(main())
for entry in trace:
    print(entry)
