from desugar.runtime import block_on, yield_now

trace = []


def t(label, value):
    trace.append(label)
    return value


class ACM:
    def __init__(self, name):
        trace.append(f"create {self.name_of(name)}")
        self.name = name

    @staticmethod
    def name_of(name):
        return name

    async def __aenter__(self):
        trace.append(f"aenter {self.name}")
        await yield_now()
        return self.name

    async def __aexit__(self, typ, val, tb):
        trace.append(f"aexit {self.name} {typ.__name__ if typ else None}")
        await yield_now()
        return False


async def main():
    async with ACM("a") as x, t("second expr", ACM("b")) as y, ACM("c"):
        trace.append(f"body {x} {y}")
    try:
        async with ACM("outer") as o, ACM("inner") as i:
            raise ValueError(f"{o}/{i}")
    except ValueError as error:
        print("ValueError", error)


block_on(main())
for entry in trace:
    print(entry)
