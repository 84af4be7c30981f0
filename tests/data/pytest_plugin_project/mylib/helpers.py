from . import core


class Box:
    def __init__(self, value):
        self.value = value

    def __repr__(self):
        return f"Box({self.value!r})"


async def make_box(x):
    return Box(await core.fetch(x))
