from desugar.runtime import block_on, yield_now

trace = []


class ACM:
    def __init__(self, state):
        self.state = state

    async def __aenter__(self):
        self.state["phase"] = "inside"
        return self.state

    async def __aexit__(self, *exc):
        await yield_now()
        self.state["phase"] = "exited"
        trace.append("aexit")


async def a(label, value):
    trace.append("start " + label)
    await yield_now()
    trace.append("end " + label)
    return value


async def f():
    state = {}
    async with ACM(state) as s:
        return s["phase"] + await a("suffix", "!"), state


async def g():
    async with ACM({}) as s:
        try:
            return "from try"
        finally:
            trace.append(f"finally sees phase {s['phase']} {await a('fin', 1)}")


async def main():
    value, state = await f()
    print(value, state)
    print(await g())


block_on(main())
for entry in trace:
    print(entry)
