import asyncio

log = []


async def accumulator():
    total = 0
    while True:
        try:
            value = yield total
        except ValueError as e:
            log.append(f"gen caught {e}")
            total = -1
            continue
        await asyncio.sleep(0)
        if value is None:
            break
        total += value
    log.append("accumulator finished")


async def main():
    gen = accumulator()
    log.append(f"start -> {await gen.asend(None)}")
    log.append(f"send 5 -> {await gen.asend(5)}")
    log.append(f"send 7 -> {await gen.asend(7)}")
    log.append(f"throw -> {await gen.athrow(ValueError('reset'))}")
    log.append(f"send 3 -> {await gen.asend(3)}")
    try:
        await gen.asend(None)
    except StopAsyncIteration:
        log.append("generator returned")
    for line in log:
        print(line)


asyncio.run(main())
