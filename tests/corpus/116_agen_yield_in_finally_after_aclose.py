from desugar.runtime import block_on, yield_now

trace = []


async def stubborn():
    try:
        yield 1
    finally:
        trace.append("finally before yield")
        yield "from finally"
        trace.append("after yield in finally (never)")


async def ignores_exit():
    try:
        yield "value"
    except GeneratorExit:
        trace.append("ignoring GeneratorExit")
    yield "again"
    trace.append("after again (never)")


async def main():
    gen = stubborn()
    print(await gen.__anext__())
    try:
        await gen.aclose()
    except RuntimeError as error:
        print("RuntimeError:", error)
    gen2 = ignores_exit()
    print(await gen2.__anext__())
    try:
        await gen2.aclose()
    except RuntimeError as error:
        print("RuntimeError:", error)


block_on(main())
for entry in trace:
    print(entry)
