from desugar.runtime import block_on, yield_now

trace = []


async def a(label, value):
    trace.append("start " + label)
    await yield_now()
    trace.append("end " + label)
    return value


async def main():
    assert await a("ok1", True)
    assert await a("ok2", 1), await a("msg never", "not evaluated")
    try:
        assert await a("fail1", 0)
    except AssertionError as error:
        print("AssertionError args", error.args)
    try:
        assert await a("fail2", []), await a("msg", "the message")
    except AssertionError as error:
        print("AssertionError args", error.args)
    try:
        assert await a("lhs", 1) == await a("rhs", 2), f"{await a('fmsg', 'x')} differs"
    except AssertionError as error:
        print("AssertionError args", error.args)


block_on(main())
for entry in trace:
    print(entry)
