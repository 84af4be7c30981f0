import contextlib

from desugar.runtime import block_on, yield_now

trace = []


@contextlib.asynccontextmanager
async def suppressing():
    try:
        yield
    except ValueError as error:
        await yield_now()
        trace.append(f"suppressed {error}")


@contextlib.asynccontextmanager
async def transforming():
    try:
        yield
    except KeyError as error:
        raise RuntimeError(f"transformed {error}") from error
    finally:
        trace.append("transforming finally")


@contextlib.asynccontextmanager
async def broken_enter():
    await yield_now()
    raise OSError("cannot enter")
    yield


async def main():
    async with suppressing():
        raise ValueError("v")
    trace.append("after suppressing")
    try:
        async with suppressing():
            raise TypeError("t")
    except TypeError as error:
        print("TypeError", error)
    try:
        async with transforming():
            raise KeyError("k")
    except RuntimeError as error:
        print("RuntimeError", error, "cause", repr(error.__cause__))
    try:
        async with broken_enter():
            trace.append("body not run")
    except OSError as error:
        print("OSError", error)


block_on(main())
for entry in trace:
    print(entry)
