from desugar.runtime import block_on, yield_now

trace = []


async def numbers():
    try:
        i = 0
        while True:
            trace.append(f"yield {i}")
            yield i
            i += 1
    finally:
        await yield_now()
        trace.append("numbers finally")


async def main():
    gen = numbers()
    try:
        async for n in gen:
            if n == 2:
                break
    finally:
        await gen.aclose()
    trace.append("after loop")
    gen = numbers()
    try:
        async for n in gen:
            if n == 1:
                raise KeyError("stop")
    except KeyError:
        trace.append("caught KeyError")
    finally:
        await gen.aclose()
    print("done")


block_on(main())
for entry in trace:
    print(entry)
