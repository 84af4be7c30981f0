from desugar.runtime import block_on, yield_now

trace = []


def t(label, value):
    trace.append(label)
    return value


async def a(label, value):
    trace.append("start " + label)
    await yield_now()
    trace.append("end " + label)
    return value


class CM:
    def __init__(self, name):
        trace.append(f"CM({name})")
        self.name = name

    def __enter__(self):
        trace.append(f"enter {self.name}")
        return self.name.upper()

    def __exit__(self, *exc):
        trace.append(f"exit {self.name} {exc[0].__name__ if exc[0] else None}")
        return False


async def main():
    with t("cm", CM(await a("arg", "one"))) as c:
        trace.append(f"body {c}")
    with CM("first") as c1, CM(await a("second arg", "second")) as c2:
        trace.append(f"body {c1} {c2} {await a('in body', 1)}")
    with await a("cm itself", CM("third")):
        trace.append("third body")
    try:
        with CM("fourth") as c4:
            raise ValueError(await a("error msg", "bad"))
    except ValueError as error:
        print("caught", error)


block_on(main())
for entry in trace:
    print(entry)
