from desugar.runtime import block_on, yield_now

trace = []


class State:
    def __init__(self):
        self.__dict__["v"] = 1

    def __getattribute__(self, name):
        value = object.__getattribute__(self, name)
        if name == "v":
            trace.append(f"read v={value}")
        return value


async def mutate(state, value):
    trace.append(f"mutate to {value}")
    await yield_now()
    state.v = value
    return value


async def main():
    s = State()
    r1 = s.v + await mutate(s, 10)
    r2 = s.v * await mutate(s, 3) + s.v
    d = {"k": 1}

    async def mutate_dict():
        await yield_now()
        d["k"] = 50
        return 0

    r3 = d["k"] + await mutate_dict() + d["k"]
    print(r1, r2, r3)


block_on(main())
for entry in trace:
    print(entry)
