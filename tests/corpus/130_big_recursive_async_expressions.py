from desugar.runtime import block_on, yield_now

trace = []


async def fib(n):
    if n < 2:
        return n
    await yield_now()
    return await fib(n - 1) + await fib(n - 2)


async def evaluate(node):
    match node:
        case int(value):
            return value
        case ("neg", operand):
            return -await evaluate(operand)
        case (op, left, right):
            trace.append(f"eval {op}")
            lhs = await evaluate(left)
            if op == "and":
                return lhs and await evaluate(right)
            return {"+": lambda x, y: x + y, "*": lambda x, y: x * y, "-": lambda x, y: x - y}[op](
                lhs, await evaluate(right)
            )


async def tree_sum(tree):
    if isinstance(tree, int):
        return tree
    return sum([await tree_sum(child) for child in tree])


async def main():
    print([await fib(i) for i in range(10)])
    expr = ("+", ("*", 2, ("neg", 3)), ("-", 10, ("and", 0, ("+", 1, 1))))
    print(await evaluate(expr))
    print(await tree_sum([1, [2, [3, [4]], 5], [[6]]]))


block_on(main())
for entry in trace:
    print(entry)
