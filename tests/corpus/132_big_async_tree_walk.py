from desugar.runtime import block_on, yield_now

trace = []


class Node:
    def __init__(self, value, *children):
        self.value = value
        self.children = children

    async def walk(self, depth=0):
        await yield_now()
        yield depth, self.value
        for child in self.children:
            async for item in child.walk(depth + 1):
                yield item

    async def find(self, target):
        async for depth, value in self.walk():
            if value == target:
                return depth
        return None


async def main():
    tree = Node("root", Node("a", Node("a1"), Node("a2")), Node("b", Node("b1", Node("deep"))))
    async for depth, value in tree.walk():
        print("  " * depth + value)
    print(await tree.find("deep"), await tree.find("missing"))
    print(sorted([v async for d, v in tree.walk() if d == await depth_filter()]))


async def depth_filter():
    await yield_now()
    return 2


block_on(main())
