from desugar.runtime import block_on, yield_now

trace = []


async def exc_type(label, typ):
    trace.append(f"exc_type {label}")
    await yield_now()
    return typ


async def main():
    for error in [KeyError("k"), ValueError("v"), TypeError("t"), None]:
        try:
            trace.append(f"try {error!r}")
            if error is not None:
                raise error
        except (await exc_type("first", KeyError)) as e:
            trace.append(f"caught KeyError {e}")
        except (await exc_type("second", (ValueError, IndexError))):
            trace.append("caught ValueError")
        except await exc_type("third", Exception) as e:
            trace.append(f"caught generic {type(e).__name__}")
        else:
            trace.append("no exception")
    print("done")


block_on(main())
for entry in trace:
    print(entry)
