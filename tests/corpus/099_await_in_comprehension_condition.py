from desugar.runtime import block_on, yield_now

trace = []


async def is_prime(n):
    trace.append(f"is_prime({n})")
    await yield_now()
    return n > 1 and all(n % d for d in range(2, n))


async def agen(n):
    for i in range(n):
        await yield_now()
        yield i


async def main():
    print([n for n in range(10) if await is_prime(n)])
    print([n async for n in agen(12) if n % 2 if await is_prime(n)])
    print({n: n * n for n in range(6) if not await is_prime(n)})


block_on(main())
for entry in trace:
    print(entry)
