# Dropping a suspended future (select() drops the loser; losing the last
# reference drops it too) runs the whole await chain's cleanup, innermost first.
import gc
from desugar.runtime import block_on, sleep, select, yield_now
log = []
async def c():
    try:
        await sleep(10)
    finally:
        log.append("c finally")
async def b():
    try:
        await c()
    except GeneratorExit:
        log.append("b saw GeneratorExit")
        raise
    finally:
        log.append("b finally")
async def a():
    try:
        await b()
    finally:
        log.append("a finally")
async def main():
    r = await select(a(), sleep(0.01))
    log.append(f"selected {r}")
    # drop by losing the last reference
    x = a()
    async def step():
        await x
    s = step()
    import desugar.runtime as rt
    f = rt.into_future(s)
    cx = rt.Context(rt.noop_waker())
    try:
        f.poll(cx)
    except RuntimeError as e:
        log.append("poll err")
    del f, s, x
    gc.collect()
    log.append("after gc")
block_on(main())
print(log)
