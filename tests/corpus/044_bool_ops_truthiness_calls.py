from desugar.runtime import block_on, yield_now

trace = []


class Truthy:
    def __init__(self, name, value):
        self.name = name
        self.value = value

    def __bool__(self):
        trace.append(f"bool {self.name}")
        return self.value

    def __repr__(self):
        return self.name


async def a(label, value):
    trace.append("called " + label)
    await yield_now()
    return value


async def main():
    print(Truthy("A", False) or await a("b", Truthy("B", True)))
    print(Truthy("C", True) and await a("d", Truthy("D", False)))
    r = await a("e", Truthy("E", False)) or await a("f", Truthy("F", False)) or Truthy("G", True)
    print(r)
    if await a("h", Truthy("H", True)) and Truthy("I", True):
        print("if taken")
    x = [await a("k", Truthy("K", False)) and await a("never", 1)]
    print(x)


block_on(main())
for entry in trace:
    print(entry)
