from desugar.runtime import block_on, yield_now

trace = []


class CM:
    def __init__(self, name):
        self.name = name

    def __enter__(self):
        trace.append(f"enter {self.name}")
        return self

    def __exit__(self, typ, val, tb):
        trace.append(f"exit {self.name} {typ.__name__ if typ else None}")
        return False


class ACM(CM):
    async def __aenter__(self):
        return self.__enter__()

    async def __aexit__(self, *exc):
        await yield_now()
        return self.__exit__(*exc)


async def fail(message):
    trace.append(f"fail {message}")
    await yield_now()
    raise ValueError(message)


async def main():
    try:
        with CM("first"), CM(await fail("sync item")):
            trace.append("body never")
    except ValueError as error:
        print("ValueError", error)
    try:
        async with ACM("afirst"), ACM(await fail("async item")):
            trace.append("body never")
    except ValueError as error:
        print("ValueError", error)


block_on(main())
for entry in trace:
    print(entry)
