from desugar.runtime import block_on, yield_now

trace = []


class FailingEnter:
    async def __aenter__(self):
        trace.append("aenter raising")
        await yield_now()
        raise ValueError("enter failed")

    async def __aexit__(self, *exc):
        trace.append("aexit must not run")


class FailingExit:
    async def __aenter__(self):
        return "ok"

    async def __aexit__(self, typ, val, tb):
        trace.append(f"aexit sees {typ.__name__ if typ else None}")
        await yield_now()
        raise RuntimeError("exit failed")


class Outer:
    async def __aenter__(self):
        trace.append("outer enter")

    async def __aexit__(self, typ, val, tb):
        trace.append(f"outer exit sees {typ.__name__ if typ else None}: {val}")


async def main():
    try:
        async with Outer(), FailingEnter():
            trace.append("body must not run")
    except ValueError as error:
        print("ValueError", error)
    try:
        async with FailingExit():
            trace.append("body ran")
    except RuntimeError as error:
        print("RuntimeError", error, "context", repr(error.__context__))
    try:
        async with FailingExit():
            raise KeyError("original")
    except RuntimeError as error:
        print("RuntimeError", error, "context", repr(error.__context__))


block_on(main())
for entry in trace:
    print(entry)
