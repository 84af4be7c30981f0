from desugar.runtime import block_on, yield_now

trace = []


async def fragile():
    try:
        yield 1
        yield 2
    finally:
        await yield_now()
        trace.append("fragile finally")


async def main():
    gen = fragile()
    print(await gen.__anext__())
    try:
        await gen.athrow(KeyError("thrown in"))
    except KeyError as error:
        print("KeyError propagated", error)
    try:
        await gen.__anext__()
    except StopAsyncIteration:
        print("generator is finished")
    fresh = fragile()
    try:
        await fresh.athrow(RuntimeError("before start"))
    except RuntimeError as error:
        print("RuntimeError", error)
    try:
        print(await fresh.__anext__())
    except StopAsyncIteration:
        print("fresh finished too")


block_on(main())
for entry in trace:
    print(entry)
