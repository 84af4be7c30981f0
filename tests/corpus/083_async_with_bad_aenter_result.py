from desugar.runtime import block_on, yield_now

trace = []


class SyncAenter:
    def __aenter__(self):
        trace.append("sync __aenter__ called")
        return 42

    async def __aexit__(self, *exc):
        trace.append("aexit (never)")


class SyncAexit:
    async def __aenter__(self):
        trace.append("aenter ok")
        return "v"

    def __aexit__(self, *exc):
        trace.append("sync __aexit__ called")
        return None


async def main():
    try:
        async with SyncAenter():
            trace.append("body (never)")
    except TypeError as error:
        print("TypeError:", error)
    try:
        async with SyncAexit():
            trace.append("body ran")
    except TypeError as error:
        print("TypeError:", error)


block_on(main())
for entry in trace:
    print(entry)
