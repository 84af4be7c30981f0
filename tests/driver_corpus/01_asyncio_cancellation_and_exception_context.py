"""Cancellation and throw/close through await chains: exceptions, contexts, causes and tracebacks."""
import asyncio
async def leaf():
    await asyncio.sleep(10)
async def handles():
    try:
        await leaf()
    except asyncio.CancelledError:
        pass
    raise ValueError("after")
async def mid():
    try:
        await leaf()
    finally:
        print("mid finally")
async def raises_in_finally():
    try:
        await leaf()
    finally:
        raise KeyError("fin")
async def first_step_raise():
    raise LookupError("first")
async def main():
    for f in (mid, handles, raises_in_finally, first_step_raise):
        t = asyncio.ensure_future(f())
        await asyncio.sleep(0)
        t.cancel()
        try:
            await t
        except BaseException as e:
            print(f.__name__, chain(e))
    # throw into chain by hand
    c = mid()
    c.send(None)
    try:
        c.throw(ZeroDivisionError("z"))
    except ZeroDivisionError as e:
        print("throw", chain(e))
    c = mid(); c.send(None)
    c.close()
    print("closed", c.cr_frame)
    c = raises_in_finally(); c.send(None)
    try: c.close()
    except KeyError as e: print("close raised", chain(e))
asyncio.run(main())
