"""Hand-written drivers: a curio-style kernel of types.coroutine traps, a send() loop, exceptions thrown back, refcycles, never-awaited warnings."""
import types, inspect, gc, weakref, sys, collections
# a curio-style kernel: leaves are types.coroutine generators yielding trap tuples
@types.coroutine
def trap_sleep(n):
    got = yield ("sleep", n)
    return got
@types.coroutine
def trap_spawn(coro):
    return (yield ("spawn", coro))
class Kernel:
    def __init__(self):
        self.ready = collections.deque()
        self.log = []
    def run(self, coro):
        self.ready.append((coro, None, None))
        while self.ready:
            coro, value, exc = self.ready.popleft()
            try:
                trap = coro.throw(exc) if exc else coro.send(value)
            except StopIteration as stop:
                self.log.append(("done", coro.__qualname__, stop.value))
                continue
            except Exception as e:
                self.log.append(("failed", coro.__qualname__, repr(e)))
                continue
            kind, arg = trap
            if kind == "sleep":
                if arg < 0:
                    self.ready.append((coro, None, ValueError(f"bad {arg}")))
                else:
                    self.ready.append((coro, f"slept {arg}", None))
            elif kind == "spawn":
                self.ready.append((arg, None, None))
                self.ready.append((coro, "spawned", None))
        return self.log
async def worker(n):
    r = await trap_sleep(n)
    print("worker", n, r)
    try:
        await trap_sleep(-1)
    except ValueError as e:
        print("caught", e)
    return n * 10
async def main():
    print(await trap_spawn(worker(1)))
    print(await trap_sleep(0))
    c = worker(2)
    print(inspect.getcoroutinestate(c), repr(c).split(" at ")[0])
    return await c
print(Kernel().run(main()))
# hand-driven send loop, inspecting a chain
async def inner():
    me = sys._getframe()
    x = await trap_sleep(1)
    return x
async def outer():
    return await inner()
c = outer()
print(inspect.getcoroutinestate(c), c.cr_await, c.cr_running)
y = c.send(None)
print("yielded", y, inspect.getcoroutinestate(c))
try:
    c.send("reply")
except StopIteration as s:
    print("result", s.value, inspect.getcoroutinestate(c))
try:
    c.send(None)
except RuntimeError as e:
    print(e)
# refcycle: exception not kept alive
class E(Exception): pass
async def fails():
    await trap_sleep(0)
    raise E
async def catcher():
    try:
        await fails()
    except E as e:
        return weakref.ref(e)
gc.disable()
c = catcher(); c.send(None)
try: c.send(None)
except StopIteration as s: ref = s.value
del c
print("exception alive:", ref() is not None)
gc.enable()
# never awaited warning
import warnings
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    worker(3)
    gc.collect()
print([str(x.message) for x in w])
