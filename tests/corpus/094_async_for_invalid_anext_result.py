from desugar.runtime import block_on, yield_now

trace = []


class BadAnext:
    def __aiter__(self):
        return self

    def __anext__(self):
        trace.append("__anext__ returning int")
        return 7


class BadAiter:
    def __aiter__(self):
        trace.append("__aiter__ returning int")
        return 3


class StopSync:
    def __aiter__(self):
        return self

    async def __anext__(self):
        trace.append("raising StopIteration inside __anext__")
        raise StopIteration


async def main():
    for obj in [BadAnext(), BadAiter(), StopSync()]:
        try:
            async for x in obj:
                trace.append("body (never)")
        except TypeError as error:
            print("TypeError:", error)
        except RuntimeError as error:
            print("RuntimeError:", error)


block_on(main())
for entry in trace:
    print(entry)
