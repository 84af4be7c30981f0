from desugar.runtime import block_on, yield_now

trace = []


async def below(counter, limit):
    trace.append(f"check {counter} < {limit}")
    await yield_now()
    return counter < limit


async def main():
    i = 0
    while await below(i, 3):
        trace.append(f"body {i}")
        i += 1
    else:
        trace.append("else ran")
    j = 10
    while await below(j, 3):
        trace.append("never")
    else:
        trace.append("else ran immediately")
    print(i, j)


block_on(main())
for entry in trace:
    print(entry)
