"""A program that hangs: its fetches wait on an event that nobody sets.

Run it with a dump after one second, under the runtime's executor or asyncio::

    desugar run --dump-on-hang 1 examples/hung.py
    desugar run --dump-on-hang 1 examples/hung.py asyncio

The dump shows each task's await chain, innermost first, down to the line of
``fetch`` that waits, and which task awaits which (a `JoinHandle`, `join`,
`select`); then ``desugar run`` exits with status 124.
"""

import sys

from desugar.runtime import Future, Pending, Ready, block_on, join, select, sleep, spawn


class Event(Future):
    """Ready once set; until then, whoever awaits it waits."""

    def __init__(self):
        self.is_set = False
        self.wakers = []

    def set(self):
        self.is_set = True
        for waker in self.wakers:
            waker.wake()

    def poll(self, cx):
        if self.is_set:
            return Ready(None)
        self.wakers.append(cx.waker().clone())
        return Pending


async def fetch(name, ready):
    await ready  # the hang: nobody sets `ready`
    return name


async def crawl(ready):
    first = spawn(fetch("first", ready))
    return await join(fetch("second", ready), first)


async def main():
    ready = Event()
    await select(crawl(ready), sleep(3600))


if sys.argv[1:] == ["asyncio"]:
    import asyncio

    asyncio.run(main())
else:
    block_on(main())
