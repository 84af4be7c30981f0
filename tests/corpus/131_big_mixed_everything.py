import contextlib

from desugar.runtime import block_on, spawn, yield_now

trace = []


def t(label, value):
    trace.append(label)
    return value


async def a(label, value):
    trace.append("start " + label)
    await yield_now()
    trace.append("end " + label)
    return value


@contextlib.asynccontextmanager
async def session(name):
    trace.append(f"open {name}")
    try:
        yield {"name": name, "log": []}
    finally:
        trace.append(f"close {name}")


async def records(n):
    for i in range(n):
        yield {"id": i, "score": await a(f"score {i}", i * 7 % 5)}


class Report:
    def __init__(self):
        self.lines = []

    def add(self, *parts, sep=" "):
        self.lines.append(sep.join(str(p) for p in parts))
        return self


async def main():
    report = Report()
    async with session("s1") as s, session(await a("name2", "s2")) as s2:
        best = {r["id"]: r["score"] async for r in records(4) if r["score"] >= await a("threshold", 2)}
        report.add(t("label", "best:"), *sorted(best.items()), sep=await a("sep", "|"))
        s["log"].append(f"{s2['name']} saw {len(best)}")
        if (count := len(best)) > 1 and await a("check", True):
            report.add("count", count)
        worker = spawn(summarize([r async for r in records(3)]))
        report.add("summary", await worker)
        try:
            assert count < await a("limit", 2), f"too many: {count}"
        except AssertionError as error:
            report.add("assert", error)
    print("\n".join(report.lines))
    print(s["log"])


async def summarize(rows):
    await yield_now()
    return max(rows, key=lambda r: r["score"])["id"]


block_on(main())
for entry in trace:
    print(entry)
