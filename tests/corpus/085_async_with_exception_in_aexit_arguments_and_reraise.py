from desugar.runtime import block_on, yield_now

trace = []


class Record:
    def __init__(self, name):
        self.name = name

    async def __aenter__(self):
        return self

    async def __aexit__(self, typ, val, tb):
        await yield_now()
        trace.append(f"{self.name}: {typ.__name__ if typ else None} {val.args if val else ()}")
        return self.name == "swallow"


async def main():
    try:
        async with Record("outer"):
            async with Record("swallow"):
                async with Record("inner"):
                    raise LookupError("deep", 1)
            trace.append("after swallow")
            raise ArithmeticError("second")
    except ArithmeticError as error:
        print("ArithmeticError", error.args)
    async with Record("clean"):
        pass


block_on(main())
for entry in trace:
    print(entry)
