from desugar.runtime import block_on, yield_now

trace = []


class ACM:
    async def __aenter__(self):
        return self

    async def __aexit__(self, typ, val, tb):
        await yield_now()
        trace.append(f"aexit type={typ.__name__ if typ else None}")
        trace.append(f"aexit args={val.args if val else None}")
        trace.append(f"aexit tb is traceback: {type(tb).__name__}")
        trace.append(f"val is instance of typ: {isinstance(val, typ) if typ else None}")
        return False


async def main():
    try:
        async with ACM():
            await yield_now()
            raise KeyError("missing", 42)
    except KeyError as error:
        print("propagated KeyError", error.args)
    try:
        async with ACM():
            {}["nope"]
    except KeyError as error:
        print("propagated KeyError", error.args)
    async with ACM():
        pass


block_on(main())
for entry in trace:
    print(entry)
