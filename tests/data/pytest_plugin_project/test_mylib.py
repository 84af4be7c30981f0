import asyncio

import pytest

import mylib


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
    assert mylib.LOG and mylib.LOG == ["setup resource", "teardown resource"] * (len(mylib.LOG) // 2)


@pytest.mark.asyncio
async def test_report_translation(translation):
    translation["test module"] = "_ds_rt" in globals()
    translation["test function"] = bool(test_report_translation.__code__.co_flags & 0x100)  # translated
    print("TRANSLATION", sorted(translation.items()))


@pytest.mark.asyncio
async def test_fails_awaited_compare(resource):
    assert await mylib.fetch(resource["value"]) == 0


@pytest.mark.asyncio
async def test_fails_plain_assert_after_await():
    value = await mylib.fetch(21)
    assert value == 0


@pytest.mark.asyncio
async def test_fails_two_awaits():
    assert await mylib.fetch(1) == await mylib.fetch(2)


@pytest.mark.asyncio
async def test_fails_with_message():
    assert await mylib.fetch(1) == 3, "fetch doubles"


@pytest.mark.asyncio
async def test_fails_multiline():
    assert (
        await mylib.fetch(2)
        == 5
    )


@pytest.mark.asyncio
async def test_fails_attribute():
    box = await mylib.make_box(3)
    assert box.value == 7


@pytest.mark.asyncio
async def test_fails_awaited_message():
    assert await mylib.fetch(4) == 9, await mylib.fetch(5)


def test_fails_sync():
    assert mylib.Box(1).value == 2
