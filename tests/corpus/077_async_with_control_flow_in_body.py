from desugar.runtime import block_on, yield_now

trace = []


class ACM:
    def __init__(self, name):
        self.name = name

    async def __aenter__(self):
        trace.append(f"aenter {self.name}")
        return self.name

    async def __aexit__(self, *exc):
        await yield_now()
        trace.append(f"aexit {self.name} {exc}")


async def returns():
    async with ACM("ret") as name:
        return f"returned from {name}"


async def main():
    print(await returns())
    for i in range(4):
        async with ACM(f"loop {i}"):
            if i == 1:
                continue
            if i == 2:
                break
            trace.append(f"body {i}")
    n = 0
    while True:
        n += 1
        async with ACM(f"while {n}"):
            if n < 2:
                continue
            break
    print("done", i, n)


block_on(main())
for entry in trace:
    print(entry)
