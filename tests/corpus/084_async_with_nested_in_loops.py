from desugar.runtime import block_on, yield_now

trace = []


class Lock:
    def __init__(self):
        self.depth = 0

    async def __aenter__(self):
        self.depth += 1
        await yield_now()
        trace.append(f"enter depth {self.depth}")
        return self.depth

    async def __aexit__(self, typ, val, tb):
        trace.append(f"exit depth {self.depth} {typ.__name__ if typ else ''}")
        self.depth -= 1
        return typ is KeyError


async def main():
    lock = Lock()
    for i in range(3):
        async with lock as d1:
            async with lock as d2:
                if i == 0:
                    raise KeyError("suppressed at inner")
                async with lock as d3:
                    trace.append(f"innermost {i} {d1}{d2}{d3}")
                    if i == 1:
                        continue
                    raise KeyError("suppressed at innermost")
            trace.append(f"after inner {i}")
    print("depth at end", lock.depth)


block_on(main())
for entry in trace:
    print(entry)
