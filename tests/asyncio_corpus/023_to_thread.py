import asyncio
import threading


def blocking(x, *, scale):
    return (x * scale, threading.current_thread() is threading.main_thread())


def blocking_fail():
    raise ZeroDivisionError("in thread")


async def main():
    value, on_main = await asyncio.to_thread(blocking, 6, scale=7)
    print("to_thread ->", value, "ran on main thread:", on_main)
    results = await asyncio.gather(*(asyncio.to_thread(blocking, i, scale=2) for i in range(4)))
    print("gathered", [r[0] for r in results])
    try:
        await asyncio.to_thread(blocking_fail)
    except ZeroDivisionError as e:
        print("thread error:", e)


asyncio.run(main())
