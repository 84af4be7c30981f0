from desugar.runtime import block_on, yield_now

trace = []


class NoAnext:
    def __aiter__(self):
        trace.append("__aiter__ returns self")
        return self


class SyncAnext:
    def __aiter__(self):
        return self

    def __anext__(self):
        trace.append("sync __anext__")
        return 5


class OnlyIter:
    def __iter__(self):
        return iter([1])


async def main():
    for obj in [1, [1, 2], OnlyIter(), NoAnext(), SyncAnext()]:
        try:
            async for x in obj:
                trace.append("body (never)")
        except TypeError as error:
            print("TypeError:", error)


block_on(main())
for entry in trace:
    print(entry)
