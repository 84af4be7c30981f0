import pytest

import mylib

pytestmark = pytest.mark.asyncio


async def test_undecorated_fails():
    value = await mylib.fetch(1)
    assert value == 3


class TestInAClass:
    async def test_method(self, doubled):
        assert await mylib.fetch(doubled) == 84

    async def test_method_fails(self):
        items = [i async for i in mylib.stream(2)]
        assert items == [0, 1, 2]
