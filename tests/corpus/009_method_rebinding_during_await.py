from desugar.runtime import block_on, yield_now

trace = []


class Obj:
    def m(self, x):
        return ("original m", x)


async def replace_method(obj):
    trace.append("replacing")
    await yield_now()
    obj.m = lambda x: ("replacement", x)
    return 7


async def replace_object():
    global target
    await yield_now()
    target = Obj()
    target.m = lambda x: ("new object", x)
    return 8


target = Obj()


async def main():
    o = Obj()
    print(o.m(await replace_method(o)))
    print(o.m(1))
    print(target.m(await replace_object()))
    print(target.m(2))


block_on(main())
print(trace)
