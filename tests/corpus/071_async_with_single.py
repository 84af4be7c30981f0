from desugar.runtime import block_on, yield_now

trace = []


class ACM:
    def __init__(self, name):
        self.name = name

    async def __aenter__(self):
        trace.append(f"aenter {self.name}")
        await yield_now()
        return f"value of {self.name}"

    async def __aexit__(self, typ, val, tb):
        trace.append(f"aexit {self.name} {typ} {val} {tb}")
        await yield_now()
        return None


async def main():
    async with ACM("one") as v:
        trace.append(f"body got {v}")
        await yield_now()
        trace.append("body end")
    async with ACM("two"):
        trace.append("body without as")
    print("done")


block_on(main())
for entry in trace:
    print(entry)
