"""Three bugs ``desugar run --lint`` finds: a lost wakeup, a busy loop, a blocking call.

``desugar run --lint examples/lints.py`` prints each as it first fires and a report
at exit, with the await chain and ``file:line`` (see docs/trace.md).
"""

import asyncio
import time


async def wait_for_reply():
    reply = asyncio.get_running_loop().create_future()  # nobody else keeps it
    return await reply


async def poll_until_ready(flags):
    while not flags:
        await asyncio.sleep(0)  # spins: the task wakes itself


async def load_config():
    time.sleep(0.3)  # blocks the loop: every other task waits
    return {}


async def main():
    flags = []
    waiter = asyncio.create_task(wait_for_reply(), name="waiter")
    spinner = asyncio.create_task(poll_until_ready(flags), name="spinner")
    await asyncio.sleep(0.01)
    flags.append(await load_config())
    await spinner
    await asyncio.wait([waiter], timeout=0.2)
    print("done; the waiter still waits:", not waiter.done())


asyncio.run(main())
