from desugar.runtime import block_on, yield_now

trace = []


class NoAenter:
    async def __aexit__(self, *exc):
        trace.append("aexit (never)")


class NoAexit:
    async def __aenter__(self):
        trace.append("aenter (never)")


class SyncOnly:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


async def main():
    for obj in [NoAenter(), NoAexit(), SyncOnly(), 42]:
        try:
            async with obj:
                trace.append("body (never)")
        except TypeError as error:
            print("TypeError:", error)
        except AttributeError as error:
            print("AttributeError:", error)


block_on(main())
print(trace)
