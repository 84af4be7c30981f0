from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-fixtures",
        action="store_true",
        help="rewrite fixtures/*.expected.py from the compiler's current output",
    )


@pytest.fixture(params=["python", "c"])
def twin(request: pytest.FixtureRequest):
    """Each implementation of the runtime's hot path in turn, in one run (as CPython's
    ``test_tasks`` runs its pure and C tasks): ``twin.Awaitee``, ``twin.into_future``...
    The C one is skipped, with the reason, where it is not built."""
    from support import NO_C_TWIN, twins

    python, c = twins()
    if request.param == "python":
        return python
    if c is None:
        pytest.skip(NO_C_TWIN)
    return c
