"""unittest's IsolatedAsyncioTestCase runs translated async test methods as natively."""

from __future__ import annotations

import io
import unittest

import desugar

CASE = '''
import asyncio
import unittest

events = []

class Case(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        await asyncio.sleep(0)
        events.append("setup")

    async def test_passes(self):
        events.append("passes")
        self.assertEqual(await asyncio.sleep(0, result=5), 5)

    async def test_fails(self):
        events.append("fails")
        self.assertEqual(await asyncio.sleep(0, result=5), 6)

    async def asyncTearDown(self):
        await asyncio.sleep(0)
        events.append("teardown")
'''


def run_case(source: str) -> tuple[int, int, list[str]]:
    namespace: dict = {"__name__": "case_module"}
    exec(compile(source, "case_module.py", "exec", dont_inherit=True), namespace)
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(namespace["Case"])
    result = unittest.TextTestRunner(stream=io.StringIO(), verbosity=0).run(suite)
    return result.testsRun, len(result.failures), namespace["events"]


def test_isolated_asyncio_test_case_runs_translated_async_methods() -> None:
    native = run_case(CASE)
    translated = run_case(desugar.translate(CASE, "case_module.py"))
    assert native == (2, 1, ["setup", "fails", "teardown", "setup", "passes", "teardown"])
    assert translated == native
