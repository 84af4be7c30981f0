import asyncio


async def slow():
    try:
        print("slow: sleeping")
        await asyncio.sleep(10)
        print("slow: never")
    except asyncio.CancelledError:
        print("slow: cancelled")
        raise
    finally:
        print("slow: finally")


async def main():
    try:
        await asyncio.wait_for(slow(), timeout=0.01)
    except asyncio.TimeoutError as e:
        print("caught", type(e).__name__, isinstance(e, TimeoutError))
    t = asyncio.create_task(slow())
    try:
        await asyncio.wait_for(t, timeout=0.01)
    except asyncio.TimeoutError:
        print("task timed out; cancelled:", t.cancelled())
    try:
        await asyncio.wait_for(slow(), timeout=0)
    except asyncio.TimeoutError:
        print("zero timeout")


asyncio.run(main())
