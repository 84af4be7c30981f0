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


@pytest.fixture
def translation():
    """Which parts of the project run translated (a translated module has `_ds_rt`)."""
    import mylib.core
    import mylib.helpers

    return {
        "conftest": "_ds_rt" in globals(),
        "mylib.core": "_ds_rt" in vars(mylib.core),
        "mylib.helpers": "_ds_rt" in vars(mylib.helpers),
    }
