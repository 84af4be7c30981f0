from desugar.runtime import block_on, yield_now

trace = []


async def a(label, value):
    trace.append("start " + label)
    await yield_now()
    trace.append("end " + label)
    return value


async def main():
    try:
        raise ValueError("x") from await a("bad cause", 5)
    except TypeError as error:
        print("TypeError", error)
    try:
        raise await a("not exception", 42)
    except TypeError as error:
        print("TypeError", error)
    try:
        raise await a("class cause", ValueError) from await a("class", KeyError)
    except ValueError as error:
        print("ValueError", repr(error), repr(error.__cause__))


block_on(main())
for entry in trace:
    print(entry)
