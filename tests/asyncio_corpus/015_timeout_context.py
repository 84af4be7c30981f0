# requires: 3.11 (asyncio.timeout)
import asyncio


async def main():
    try:
        async with asyncio.timeout(0.01) as cm:
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                print("inner saw CancelledError")
                raise
            finally:
                print("inner finally")
    except TimeoutError as e:
        print("TimeoutError caught; cause is CancelledError:", isinstance(e.__cause__, asyncio.CancelledError))
    print("expired:", cm.expired())

    async with asyncio.timeout(5) as cm2:
        await asyncio.sleep(0)
        print("fast body done")
    print("expired (fast):", cm2.expired())

    async with asyncio.timeout(None) as cm3:
        print("deadline None:", cm3.when())
        cm3.reschedule(asyncio.get_running_loop().time() + 0.01)
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            print("rescheduled timeout fired")
            raise
    print("unreachable")


async def runner():
    try:
        await main()
    except TimeoutError:
        print("rescheduled deadline -> TimeoutError")


asyncio.run(runner())
