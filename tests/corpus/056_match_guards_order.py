from desugar.runtime import block_on, yield_now

trace = []


async def guard(label, result):
    trace.append(f"guard {label}")
    await yield_now()
    return result


class Point:
    __match_args__ = ("x", "y")

    def __init__(self, x, y):
        self.x = x
        self.y = y


async def main():
    for p in [Point(0, 0), Point(1, 5), Point(5, 1), Point(3, 3)]:
        match p:
            case Point(0, 0):
                result = "origin"
            case Point(x, y) if await guard(f"x<y {x},{y}", x < y):
                result = "above"
            case Point(x, y) if x > y and await guard(f"x>y {x},{y}", True):
                result = "below"
            case Point(x=x) if await guard(f"last {x}", False):
                result = "never"
            case _:
                result = "diagonal"
        trace.append(result)
    match await guard("subject", (1, 2, 3)):
        case (1, *rest) if await guard("rest", rest == [2, 3]):
            print("rest", rest)


block_on(main())
for entry in trace:
    print(entry)
