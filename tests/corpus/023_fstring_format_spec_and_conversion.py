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


class R:
    def __repr__(self):
        trace.append("repr")
        return "R()"

    def __str__(self):
        trace.append("str")
        return "r-str"


async def main():
    print(f"{await a('pi', 3.14159):.2f}|{t('w', 5):>{await a('width', 6)}}|")
    print(f"{await a('conv r', 'hi')!r} {await a('conv s', R())!s} {await a('conv a', 'é')!a}")
    print(f"{await a('obj', R())!r:>10}|")
    print(f"{t('v', 42):{t('fill', '*')}^{await a('w2', 9)}}")
    print(f"{await a('num', 255):{await a('spec', '#x')}} {t('n2', 7):03d}")


block_on(main())
for entry in trace:
    print(entry)
