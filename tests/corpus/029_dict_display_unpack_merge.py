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


class Mapping:
    def __init__(self, label, data):
        self.label = label
        self.data = data

    def keys(self):
        trace.append("keys " + self.label)
        return list(self.data)

    def __getitem__(self, key):
        trace.append(f"{self.label}[{key!r}]")
        return self.data[key]


async def main():
    d = {"a": t("va", 1), **Mapping("m1", {"a": 2, "b": 3}), "b": await a("vb", 4)}
    print(d)
    d = {**await a("m2", Mapping("m2", {"z": 1})), **Mapping("m3", {"z": 2})}
    print(d)
    try:
        d = {**t("ok", {}), **await a("bad", [1, 2])}
    except TypeError as error:
        print("TypeError:", error)


block_on(main())
for entry in trace:
    print(entry)
