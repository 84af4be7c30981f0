"""What inspect, asyncio and trio read of a coroutine and its function, at each stage of its life."""
import asyncio, inspect, sys, types, functools, pickle

async def work(x, *, scale=2):
    "Doubles x."
    await asyncio.sleep(0)
    return x * scale

class Account:
    async def deposit(self, n):
        await asyncio.sleep(0)
        return n
    @classmethod
    async def open(cls):
        return cls()
    @staticmethod
    async def fee():
        return 1

def describe_function(f):
    return (
        inspect.isfunction(f), inspect.iscoroutinefunction(f), asyncio.iscoroutinefunction(f),
        inspect.isasyncgenfunction(f), f.__name__, f.__qualname__, f.__doc__, f.__defaults__,
        f.__kwdefaults__, str(inspect.signature(f)), type(f).__name__,
        f.__code__.co_name, f.__code__.co_argcount, f.__code__.co_kwonlyargcount,
        bool(f.__code__.co_flags & inspect.CO_COROUTINE),
    )

def describe_coroutine(c):
    return (
        type(c).__name__, inspect.iscoroutine(c), asyncio.iscoroutine(c), inspect.isawaitable(c),
        inspect.getcoroutinestate(c), c.cr_running, c.cr_code is work.__code__,
        c.cr_frame is not None and c.cr_frame.f_code is c.cr_code, c.__name__, c.__qualname__,
        repr(c).split(" at ")[0], sorted(inspect.getcoroutinelocals(c)) if c.cr_frame else None,
    )

print(describe_function(work))
print(describe_function(Account.deposit), describe_function(Account.open), describe_function(Account.fee))
c = work(3)
print(describe_coroutine(c))
print(c.send(None), describe_coroutine(c)[4])
try:
    c.send(None)
except StopIteration as stop:
    print("result", stop.value, describe_coroutine(c)[4], c.cr_frame)
print(pickle.loads(pickle.dumps(work)) is work)

async def observe():
    me = asyncio.current_task()
    coro = me.get_coro()
    print("inside", inspect.getcoroutinestate(coro), coro.cr_running, coro.__qualname__)
    print("task repr", repr(me).split(" name=")[0])
    other = asyncio.ensure_future(work(5))
    await asyncio.sleep(0)
    print("other", inspect.getcoroutinestate(other.get_coro()), repr(other).split(" name=")[0])
    print(await other, other.done(), other.get_coro().cr_frame)
    return await Account().deposit(7), type(await Account.open()).__name__, await Account.fee()

print(asyncio.run(observe()))

@functools.wraps(work)
async def wrapped(*a, **k):
    return await work(*a, **k)
print(wrapped.__wrapped__ is work, inspect.iscoroutinefunction(wrapped), asyncio.run(wrapped(4)))

# trio's check that it was given an async function, and its KeyboardInterrupt protection keyed on code
import trio
async def trio_main():
    task = trio.lowlevel.current_task()
    return task.coro.__qualname__, inspect.getcoroutinestate(task.coro), type(task.coro).__name__
print(trio.run(trio_main))
try:
    trio.run(work(1))
except TypeError as e:
    print("trio refuses:", str(e).splitlines()[0].split(" at 0x")[0])
async def trio_work(x):
    await trio.sleep(0)
    return trio.lowlevel.currently_ki_protected(), x
protected = trio.lowlevel.enable_ki_protection(trio_work)
print(trio.run(protected, 6), trio.run(trio_work, 7))
