from desugar.runtime import block_on, yield_now

trace = []


class Obj:
    def __init__(self, name):
        self.name = name
        self.x = 1
        self.y = 2

    def __delattr__(self, attr):
        trace.append(f"del {self.name}.{attr}")
        object.__delattr__(self, attr)


async def get(obj):
    trace.append(f"get {obj.name}")
    await yield_now()
    return obj


async def main():
    o = Obj("o")
    del (await get(o)).x
    del (await get(o)).y, (await get(o)).name
    print(vars(o))
    p = Obj("p")
    try:
        del (await get(p)).missing
    except AttributeError as error:
        print("AttributeError", error)


block_on(main())
for entry in trace:
    print(entry)
