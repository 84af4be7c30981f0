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


class Loud:
    def __init__(self, name):
        self.name = name

    def __format__(self, spec):
        trace.append(f"format {self.name} {spec!r}")
        return f"<{self.name}:{spec}>"


async def main():
    print(f"{t('a', 1)} {await a('b', 2)} {t('c', 3)}")
    print(f"x{await a('only', 'X')}y")
    print(f"{Loud('one')}-{await a('two', Loud('two'))}-{t('three', Loud('three')):spec}")
    print(f"{await a('outer', 1) + await a('inner', 2)}{'{'}braces{'}'}")
    print(f"""{await a('nested', f'{t("n", 5)}')}""")


block_on(main())
for entry in trace:
    print(entry)
