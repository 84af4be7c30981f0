"""The article's stack over time: `foo` awaits `bar`, which awaits `baz`, each sleeping first.

Every 100 ms the executor resumes the task. Draw its stack at each resumption
with ``desugar diagram examples/stack_over_time.py``: translated, the whole
chain is on the stack each time, the awaited ``sleep`` on top. The article:
Nick Fitzgerald, "Async Stack Traces in Rust" (2019), https://fitzgeraldnick.com/2019/08/27/async-stacks-in-rust.html
"""

from desugar.runtime import block_on, sleep


async def foo():
    await sleep(0.1)
    return await bar()


async def bar():
    await sleep(0.1)
    return await baz()


async def baz():
    await sleep(0.1)
    return "done"


if __name__ == "__main__":
    print(block_on(foo()))
