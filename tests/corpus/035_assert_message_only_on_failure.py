from desugar.runtime import block_on, yield_now

trace = []


async def message(n):
    trace.append(f"message {n} evaluated")
    await yield_now()
    return f"failure {n}"


async def check(n):
    trace.append(f"check {n}")
    await yield_now()
    return n % 3 != 0


async def main():
    failures = []
    for n in range(1, 7):
        try:
            assert await check(n), await message(n)
        except AssertionError as error:
            failures.append(str(error))
    print(failures)


block_on(main())
for entry in trace:
    print(entry)
