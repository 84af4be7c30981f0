from desugar.runtime import block_on, yield_now

trace = []


class ACM:
    async def __aenter__(self):
        trace.append("type __aenter__")
        return "from type"

    async def __aexit__(self, *exc):
        trace.append("type __aexit__")
        return False


async def instance_aenter():
    trace.append("instance __aenter__ (wrong)")
    return "from instance"


async def main():
    cm = ACM()
    cm.__aenter__ = instance_aenter
    cm.__aexit__ = lambda *exc: trace.append("instance __aexit__ (wrong)")
    async with cm as value:
        print("value", value)

    class Plain:
        pass

    p = Plain()
    p.__aenter__ = instance_aenter
    p.__aexit__ = instance_aenter
    try:
        async with p:
            print("not reached")
    except (TypeError, AttributeError) as error:  # AttributeError: __aenter__ before 3.11
        print(type(error).__name__, error)


block_on(main())
for entry in trace:
    print(entry)
