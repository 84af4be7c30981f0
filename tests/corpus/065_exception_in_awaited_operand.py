from desugar.runtime import block_on, yield_now

trace = []


def t(label, value):
    trace.append(label)
    return value


async def boom(label):
    trace.append("boom " + label)
    await yield_now()
    raise RuntimeError(label)


def f(*args):
    trace.append("f called (should not be)")


async def main():
    try:
        f(t("a", 1), await boom("arg"), t("never", 3))
    except RuntimeError as error:
        print("RuntimeError", error)
    try:
        x = [t("p", 1), await boom("list"), t("never2", 2)]
    except RuntimeError as error:
        print("RuntimeError", error)
    try:
        y = t("q", 1) + await boom("binop")
    except RuntimeError as error:
        print("RuntimeError", error)
    try:
        d = {t("k", 1): await boom("dict value"), t("never3", 2): 3}
    except RuntimeError as error:
        print("RuntimeError", error)
    try:
        print(t("r", 1) < await boom("compare") < t("never4", 2))
    except RuntimeError as error:
        print("RuntimeError", error)


block_on(main())
for entry in trace:
    print(entry)
