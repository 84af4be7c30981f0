from collections import deque

from desugar.runtime import Future, Pending, Ready, block_on, join, spawn, yield_now

trace = []


class Channel:
    def __init__(self):
        self.items = deque()
        self.closed = False
        self.waiters = []

    def send(self, item):
        self.items.append(item)
        self._wake()

    def close(self):
        self.closed = True
        self._wake()

    def _wake(self):
        waiters, self.waiters = self.waiters, []
        for waker in waiters:
            waker.wake()

    def recv(self):
        channel = self

        class Recv(Future):
            def poll(self, cx):
                if channel.items:
                    return Ready(channel.items.popleft())
                if channel.closed:
                    return Ready(None)
                channel.waiters.append(cx.waker().clone())
                return Pending

        return Recv()

    def __aiter__(self):
        return self

    async def __anext__(self):
        item = await self.recv()
        if item is None:
            raise StopAsyncIteration
        return item


async def producer(channel, name, n):
    for i in range(n):
        await yield_now()
        item = f"{name}{i}"
        trace.append(f"produce {item}")
        channel.send(item)
    return f"{name} done"


async def consumer(channel):
    received = []
    async for item in channel:
        trace.append(f"consume {item}")
        received.append(item)
    return received


async def main():
    channel = Channel()
    consumer_task = spawn(consumer(channel))
    results = await join(producer(channel, "a", 3), producer(channel, "b", 2))
    channel.close()
    print(results)
    print(await consumer_task)


block_on(main())
for entry in trace:
    print(entry)
