"""A tiny pytest plugin for bench/realworld.py: one JSON line per test report, as it happens.

Loaded with ``-p desugar_rwlog`` (its directory is put on ``PYTHONPATH``); it
writes to the file named by ``DESUGAR_RW_LOG``. The runner reads the file
to show progress, to learn each test's native duration, and falls back on
it for the outcomes when a run was killed before pytest could write its
junit XML.

``DESUGAR_RW_TIMEOUTS`` names a JSON file ``{nodeid: seconds}``: each of those
tests gets a ``pytest.mark.timeout(seconds)`` (pytest-timeout), unless it has
a timeout marker of its own. The runner gives the translated run limits
scaled from the native durations, so a translated test that hangs costs
seconds, not the whole per-test limit.

``DESUGAR_RW_REKICK`` (seconds): pytest-timeout's signal method raises once;
a test that hangs again while it unwinds (``asyncio.run`` waiting forever
for a task it cancelled, say) would stop the whole run. With this set, a
test still running that long after its limit gets SIGALRM again (so
pytest-timeout's handler raises again) every so many seconds until it ends.
"""

from __future__ import annotations

import json
import os
import signal
import threading

import pytest

_PATH = os.environ.get("DESUGAR_RW_LOG")


def pytest_runtest_logreport(report) -> None:  # type: ignore[no-untyped-def]
    if not _PATH:
        return
    record = {"nodeid": report.nodeid, "when": report.when, "outcome": report.outcome,
              "duration": round(getattr(report, "duration", 0.0), 4)}
    if hasattr(report, "wasxfail"):
        record["xfail"] = True
    if report.outcome == "failed":
        crash = getattr(report.longrepr, "reprcrash", None)
        record["message"] = getattr(crash, "message", None) or str(report.longrepr)[-2000:]
    with open(_PATH, "a", encoding="utf-8") as file:
        file.write(json.dumps(record) + "\n")


def pytest_collectreport(report) -> None:  # type: ignore[no-untyped-def]
    if not _PATH or report.outcome != "failed":
        return
    record = {"nodeid": report.nodeid, "when": "collect", "outcome": "failed",
              "message": str(report.longrepr)[-2000:]}
    with open(_PATH, "a", encoding="utf-8") as file:
        file.write(json.dumps(record) + "\n")


def pytest_collection_modifyitems(session, config, items) -> None:  # type: ignore[no-untyped-def]
    path = os.environ.get("DESUGAR_RW_TIMEOUTS")
    if not path or not config.pluginmanager.hasplugin("timeout"):
        return
    with open(path, encoding="utf-8") as file:
        limits = json.load(file)
    for item in items:
        seconds = limits.get(item.nodeid)
        if seconds is not None and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(seconds))


_REKICK = float(os.environ.get("DESUGAR_RW_REKICK") or 0)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):  # type: ignore[no-untyped-def]
    stop = None
    marker = item.get_closest_marker("timeout")
    limit = marker.args[0] if marker is not None and marker.args else None
    if limit is None:
        limit = item.config.getoption("timeout", None) if item.config.pluginmanager.hasplugin("timeout") else None
    if _REKICK > 0 and limit and hasattr(signal, "pthread_kill"):
        stop = threading.Event()
        main = threading.main_thread().ident
        assert main is not None

        def kick() -> None:
            if stop.wait(float(limit) + _REKICK):
                return
            while not stop.is_set():
                # Only while a Python handler (pytest-timeout's) is installed: the default
                # action of SIGALRM would end the process.
                if callable(signal.getsignal(signal.SIGALRM)):
                    signal.pthread_kill(main, signal.SIGALRM)
                if stop.wait(_REKICK):
                    return

        threading.Thread(target=kick, name="desugar_rwlog-rekick", daemon=True).start()
    try:
        yield
    finally:
        if stop is not None:
            stop.set()


def pytest_collection_finish(session) -> None:  # type: ignore[no-untyped-def]
    """``DESUGAR_RW_WARM=pkg,...``: import every module of those packages, then stop.

    The runner does this in a throwaway ``--collect-only`` run before the
    translated run, so that every module is translated and cached by the path
    that will load it (desugar's hook, or this pytest's rewriting hook, which
    the plugin joins, for modules pytest rewrites: ``-p anyio`` marks all of
    anyio). A module first imported inside a test (anyio's blockbuster fixture
    imports some) then does not spend the test's time limit in the compiler.
    """
    names = os.environ.get("DESUGAR_RW_WARM")
    if not names:
        return
    import importlib
    import pkgutil
    import time

    start = time.monotonic()
    imported, failed = 0, []
    for package in names.split(","):
        try:
            root = importlib.import_module(package)
        except BaseException as error:  # noqa: BLE001 - report and go on
            failed.append(f"{package}: {type(error).__name__}: {error}")
            continue
        imported += 1
        infos = pkgutil.walk_packages(getattr(root, "__path__", []), package + ".", onerror=lambda name: None)
        for info in infos:
            try:
                importlib.import_module(info.name)
                imported += 1
            except BaseException as error:  # noqa: BLE001 - e.g. Windows-only modules
                failed.append(f"{info.name}: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}")
    print(f"\ndesugar_rwlog warm-up: imported {imported} modules, {len(failed)} failed, "
          f"in {time.monotonic() - start:.1f}s")
    for line in failed:
        print(f"desugar_rwlog warm-up: cannot import {line}")
