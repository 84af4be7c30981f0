from desugar.runtime import block_on, yield_now

trace = []


async def a(label, value):
    trace.append("start " + label)
    await yield_now()
    trace.append("end " + label)
    return value


class Node:
    def __init__(self, value, child=None):
        self.value = value
        self.child = child

    def __getattr__(self, name):
        trace.append("missing attribute " + name)
        raise AttributeError(name)


async def get_node(n):
    trace.append(f"get_node {n}")
    await yield_now()
    return Node(n, Node(n * 10))


async def main():
    print((await get_node(1)).value)
    print((await get_node(2)).child.value)
    print((await a("str", "abc")).upper())
    print((await get_node(3)).child.child)
    try:
        print((await get_node(4)).nope)
    except AttributeError as error:
        print("AttributeError", error)
    print(getattr(await get_node(5), "value"), hasattr(await get_node(6), "other"))


block_on(main())
for entry in trace:
    print(entry)
