import asyncio
import pytest
import pytest_asyncio
import mylib

@pytest_asyncio.fixture
async def resource():
    mylib.LOG.append("setup resource")
    await asyncio.sleep(0)
    yield {"value": 21}
    await asyncio.sleep(0)
    mylib.LOG.append("teardown resource")

@pytest_asyncio.fixture
async def doubled(resource):
    return await mylib.fetch(resource["value"])

@pytest.mark.asyncio
async def test_fetch(doubled):
    assert doubled == 42

@pytest.mark.asyncio
async def test_stream():
    items = [i async for i in mylib.stream(3)]
    assert items == [0, 1, 2]

@pytest.mark.asyncio
async def test_gather():
    assert await asyncio.gather(mylib.fetch(1), mylib.fetch(2)) == [2, 4]

@pytest.mark.asyncio
async def test_expected_failure_is_reported():
    with pytest.raises(ZeroDivisionError):
        await asyncio.sleep(0)
        1 / 0

def test_log_order():
    assert mylib.LOG == ["setup resource", "teardown resource"]  # before the last test


@pytest.mark.asyncio
async def test_this_one_fails_on_purpose(resource):
    assert await mylib.fetch(resource["value"]) == 0
