import asyncio

log = []


async def numbers():
    try:
        i = 0
        while True:
            log.append(f"yield {i}")
            yield i
            i += 1
            await asyncio.sleep(0)
    except GeneratorExit:
        log.append("GeneratorExit inside generator")
        raise
    finally:
        await asyncio.sleep(0)
        log.append("generator finally (awaited)")


async def main():
    gen = numbers()
    log.append(f"first {await gen.__anext__()}")
    log.append(f"second {await anext(gen)}")
    await gen.aclose()
    log.append("aclosed")
    try:
        await gen.__anext__()
    except StopAsyncIteration:
        log.append("StopAsyncIteration after aclose")

    gen2 = numbers()
    async for v in gen2:
        if v == 2:
            break
    await gen2.aclose()
    log.append("closed after break")

    gen3 = numbers()
    await gen3.asend(None)
    try:
        await gen3.athrow(ValueError("thrown in"))
    except ValueError as e:
        log.append(f"athrow propagated: {e}")
    await gen3.aclose()
    for line in log:
        print(line)


asyncio.run(main())
