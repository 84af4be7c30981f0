from desugar.runtime import block_on, yield_now

trace = []


class Repo:
    def __init__(self, items):
        self.items = items

    async def stream(self, prefix):
        for item in self.items:
            await yield_now()
            yield prefix + item

    async def __aiter__(self):
        for item in reversed(self.items):
            yield item

    @classmethod
    async def numbers(cls, n):
        for i in range(n):
            yield (cls.__name__, i)


def make_counter(start):
    count = start

    async def counter(n):
        nonlocal count
        for _ in range(n):
            count += 1
            yield count

    return counter


async def main():
    repo = Repo(["a", "b"])
    print([x async for x in repo.stream("> ")])
    print([x async for x in repo])
    print([x async for x in Repo.numbers(2)])
    counter = make_counter(10)
    print([x async for x in counter(2)], [x async for x in counter(3)])
    print(Repo.stream.__name__, Repo.stream.__qualname__)


block_on(main())
