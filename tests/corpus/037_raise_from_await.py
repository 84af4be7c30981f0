from desugar.runtime import block_on, yield_now

trace = []


async def a(label, value):
    trace.append("start " + label)
    await yield_now()
    trace.append("end " + label)
    return value


async def main():
    try:
        raise ValueError(await a("msg", "boom")) from await a("cause", KeyError("root"))
    except ValueError as error:
        print("ValueError", error.args, "cause", repr(error.__cause__), error.__suppress_context__)
    try:
        raise await a("exc", TypeError("made")) from None
    except TypeError as error:
        print("TypeError", error, error.__cause__, error.__suppress_context__)
    try:
        try:
            raise KeyError("first")
        except KeyError:
            raise RuntimeError(await a("second", "second"))
    except RuntimeError as error:
        print("RuntimeError", error, "context", repr(error.__context__))
    try:
        raise await a("cls", IndexError)
    except IndexError as error:
        print("IndexError", error.args)


block_on(main())
for entry in trace:
    print(entry)
