from desugar.runtime import block_on, yield_now

trace = []


async def a(label, value):
    trace.append("start " + label)
    await yield_now()
    trace.append("end " + label)
    return value


class Box:
    def __init__(self):
        self.value = 10

    @property
    def adder(self):
        trace.append("property adder read, value=%d" % self.value)
        base = self.value

        def add(x):
            trace.append("add called")
            return base + x

        return add


async def bump(box):
    trace.append("bump")
    await yield_now()
    box.value = 1000
    return 1


async def main():
    box = Box()
    print(box.adder(await bump(box)))
    print(box.adder(await a("again", 2)))


block_on(main())
for entry in trace:
    print(entry)
