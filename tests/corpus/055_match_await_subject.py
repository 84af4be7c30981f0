from desugar.runtime import block_on, yield_now

trace = []


async def a(label, value):
    trace.append("start " + label)
    await yield_now()
    trace.append("end " + label)
    return value


async def describe(value):
    match await a(f"subject {value!r}", value):
        case 0:
            return "zero"
        case [x, y] if await a(f"guard pair {x},{y}", x < y):
            return f"ascending pair {x} {y}"
        case [x, y]:
            return f"other pair {x} {y}"
        case {"kind": kind, **rest} if await a("guard kind", kind == "k"):
            return f"kind k with {sorted(rest)}"
        case str() as s if len(s) > await a("guard len", 3):
            return f"long string {s}"
        case str(s):
            return f"short string {s}"
        case _:
            return "other"


async def main():
    for value in [0, [1, 2], [2, 1], {"kind": "k", "z": 1, "a": 2}, {"kind": "j"}, "hello", "hi", 3.5]:
        print(await describe(value))


block_on(main())
for entry in trace:
    print(entry)
