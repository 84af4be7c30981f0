# Only part of this program is async code that the test translates; the rest
# stays native: a native coroutine (built with types.coroutine-free plain
# `async def` inside exec) awaits translated futures, and translated code
# awaits the native coroutine, under asyncio.run.
import asyncio

log = []


async def translated_leaf(x):
    await asyncio.sleep(0.001)
    log.append(f"leaf {x}")
    return x * 10


NATIVE = """
async def native_middle(leaf, x):
    log.append("native start")
    value = await leaf(x)
    log.append("native got " + str(value))
    return value + 1
"""
namespace = {"log": log}
exec(NATIVE, namespace)  # compiled natively even when this file is translated
native_middle = namespace["native_middle"]


async def main():
    result = await native_middle(translated_leaf, 4)
    log.append(f"main got {result}")
    results = await asyncio.gather(native_middle(translated_leaf, 1), translated_leaf(2))
    log.append(f"gathered {results}")
    print(log)


asyncio.run(main())
