from desugar.runtime import block_on, yield_now

trace = []


class Suppressor:
    def __init__(self, result):
        self.result = result

    async def __aenter__(self):
        return self

    async def __aexit__(self, typ, val, tb):
        await yield_now()
        trace.append(f"aexit {typ.__name__ if typ else None} -> {self.result!r}")
        return self.result


async def run(result):
    try:
        async with Suppressor(result):
            trace.append("body start")
            raise ValueError("inside")
            trace.append("not reached")
        trace.append("after async with")
        return "completed"
    except ValueError as error:
        return f"ValueError {error}"


async def main():
    for result in [True, 1, "yes", False, None, 0, ""]:
        print(repr(result), await run(result))


block_on(main())
for entry in trace:
    print(entry)
