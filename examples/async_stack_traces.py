"""The article's example: `foo` awaits `bar`, which awaits `blow_up`, which fails.

The article: Nick Fitzgerald, "Async Stack Traces in Rust" (2019), https://fitzgeraldnick.com/2019/08/27/async-stacks-in-rust.html.
Translate and run it (``desugar examples/async_stack_traces.py -o /tmp/ex.py &&
python /tmp/ex.py``): the traceback shows foo, bar and blow_up, every async
caller below its callee, then the same backtrace in the article's edited form.
"""

import sys

from desugar.backtrace import print_backtrace
from desugar.runtime import block_on, sleep


async def foo():
    await sleep(0.1)
    await bar()


async def bar():
    await sleep(0.2)
    await blow_up()


async def blow_up():
    await sleep(0.3)
    raise RuntimeError("nested async panic!")


def main():
    try:
        block_on(foo())
    except RuntimeError as error:
        print_backtrace(error, file=sys.stderr)
        raise


if __name__ == "__main__":
    main()
