import asyncio

log = []


class Resource:
    def __init__(self, name, suppress=False):
        self.name = name
        self.suppress = suppress

    async def __aenter__(self):
        log.append(f"enter {self.name}")
        await asyncio.sleep(0)
        return self.name.upper()

    async def __aexit__(self, exc_type, exc, tb):
        await asyncio.sleep(0)
        log.append(f"exit {self.name} with {exc_type.__name__ if exc_type else None}")
        return self.suppress


async def main():
    async with Resource("a") as a, Resource("b") as b:
        log.append(f"body {a} {b}")
    async with Resource("quiet", suppress=True):
        raise ValueError("suppressed")
    log.append("after suppressed")
    try:
        async with Resource("loud"):
            raise ValueError("propagates")
    except ValueError as e:
        log.append(f"caught {e}")
    t = asyncio.create_task(body_cancelled())
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    t.cancel()
    await asyncio.gather(t, return_exceptions=True)
    for line in log:
        print(line)


async def body_cancelled():
    async with Resource("cancelled"):
        await asyncio.sleep(10)


asyncio.run(main())
