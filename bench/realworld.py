#!/usr/bin/env python3
"""Run real third-party async test suites natively and translated by desugar, test by test.

For each library below (pinned sdists from PyPI, fetched with ``pip download``
into a cache), the script makes a venv of its own, installs the unpacked
source (editable, ``editable_mode=compat``: a plain ``sys.path`` entry, so
desugar's import hook finds and translates it), its test requirements,
pytest, pytest-timeout and desugar (editable, from ``--desugar-src``), then
runs the suite twice::

    native:      python -m pytest -p no:cacheprovider --junitxml=native.xml ...
    translated:  python -m pytest -p no:cacheprovider -p desugar.pytest_plugin \
                     --desugar PKG --desugar-path TESTDIR --junitxml=translated.xml ...

and compares the junit XML of the two runs: passed natively, passed translated,
*lost* (passed natively, not translated) and *gained*, and for the lost tests
the cause seen in the translated run (exception type and message from the
junit failure text), grouped.

Usage::

    python bench/realworld.py                        # every suite, desugar from this checkout
    python bench/realworld.py --only trio --only anyio --list-lost
    python bench/realworld.py --desugar-src ../other-checkout --python ~/.pyenv/versions/3.12.1/bin/python
    python bench/realworld.py --json report.json --timeout 1800 --test-timeout 60
    python bench/realworld.py --phase none --list-lost   # re-read the last run's files

Exit status: 0 if every test that passes natively passes translated, 1 if
any is lost (or a run could not be made), 2 for bad options. A suite's
``known_lost`` names tests lost to an open issue: they are reported (``known``)
and not counted, and one of them passing translated again fails the run
(remove it from the list). A test that passes natively and fails translated is
run once more, translated, by itself: if it passes then, it is reported as
flaky (a network or timing hiccup of one run) and not counted as lost.

Raw outputs stay in the cache (default ``~/.cache/desugar-realworld``)::

    sdists/                      the downloaded sdists
    src/NAME-VERSION/            unpacked (and used in place: the suites run there)
    venvs/SUITE-pyXY/            one venv per suite and Python
    runs/SUITE-pyXY/             native.xml, native.log, native.jsonl, native.meta.json,
                                 translated.*, warm-up.log, cmd.txt, result.json
                                 (the last run only)

Suites are run one after the other. Per test, pytest-timeout (``--test-timeout``,
signal method) turns a hang into a failure; in the translated run a test's
limit is ``--hang-factor`` times its native duration, at least ``--hang-floor``
seconds, and a test still running 5 s past its limit gets SIGALRM again (a
hang while unwinding). A run still going 60 s after writing its junit XML
(a hang at exit) is killed; the whole run has ``--timeout`` seconds, after
which its process group is killed and the outcomes reported so far
(``*.jsonl``, written by ``bench/realworld/desugar_rwlog.py``) are used.
Before the translated run a ``--collect-only`` run imports every module of
the packages, so that all are in desugar's caches (see `warm_up`).

Notes on selections (see SUITES below):

* anyio runs once; its tests are parametrized by backend (``anyio_backend``:
  ``asyncio``, ``asyncio+uvloop``, ``trio``), and the report splits them into
  ``anyio[asyncio]``, ``anyio[trio]`` and ``anyio[-]`` (no backend parameter).
  uvloop is not installed, so those are skipped. ``-m "not network"``.
  ``tests/test_pytest_plugin.py`` (pytest run inside pytest by pytester) is
  left out: the inner runs take pytest-timeout's SIGALRM, so a translated
  hang there could not be bounded.
* aiocache: memory backend only: the redis and memcached unit-test files are
  ignored and ``-m "not redis and not memcached"`` drops the acceptance tests
  parametrized over the server backends (neither server runs here). Its
  ``addopts`` (``--cov``) is replaced, as pytest-cov is not installed.
* aiojobs: its sdist has no pytest configuration; the upstream one
  (``asyncio_mode = auto``, ``filterwarnings = error``) is written into the
  unpacked tree.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Callable, Iterable

HERE = Path(__file__).resolve().parent
DATA = HERE / "realworld"
DEFAULT_DESUGAR_SRC = HERE.parent
DEFAULT_CACHE = Path(os.environ.get("DESUGAR_REALWORLD_CACHE", "~/.cache/desugar-realworld")).expanduser()

#: A test still running this many seconds after its time limit gets SIGALRM again
#: (pytest-timeout's handler raises once; see bench/realworld/desugar_rwlog.py).
REKICK = 5.0
#: A run still going this long after pytest wrote its junit XML hangs at exit: it is killed.
EXIT_GRACE = 60.0

# Shared pins of the test tooling.
PYTEST = "pytest==8.3.5"
PYTEST_TIMEOUT = "pytest-timeout==2.3.1"
PYTEST_ASYNCIO = "pytest-asyncio==0.25.3"


# --------------------------------------------------------------------------
# The suites


@dataclasses.dataclass
class Suite:
    name: str
    dist: str  # the PyPI name
    version: str
    packages: list[str]  # what --desugar names
    testdir: str  # --desugar-path, relative to the source root
    tests: list[str]  # what pytest is given (paths, relative to the source root)
    deps: list[str]  # test requirements (pinned where it matters), besides pytest and pytest-timeout
    args: list[str] = dataclasses.field(default_factory=list)  # for both runs
    files: dict[str, str] = dataclasses.field(default_factory=dict)  # written into the source tree
    split: Callable[[str], str] | None = None  # test id -> sub-row name
    note: str = ""
    # test id -> the open issue that loses it translated: reported as *known*, not lost;
    # one that passes translated again is *stale* (fails the run: remove it from here)
    known_lost: dict[str, str] = dataclasses.field(default_factory=dict)


def _backend_split(name: str) -> Callable[[str], str]:
    """A split by anyio's backend parameter: test ids of suites run through anyio's pytest
    plugin carry it, test_x[asyncio], test_y[trio-...]; the rows are NAME[asyncio],
    NAME[trio], NAME[asyncio+uvloop] and NAME[-] (no backend parameter)."""

    def split(test_id: str) -> str:
        params = test_id.partition("[")[2].rstrip("]")
        tokens = set(re.split(r"[-\]\[]", params))
        for backend in ("asyncio+uvloop", "asyncio", "trio"):
            if backend in tokens:
                return f"{name}[{backend}]"
        return f"{name}[-]"

    return split


_anyio_backend = _backend_split("anyio")


AIOJOBS_INI = """\
[pytest]
# Not in the sdist: upstream's pytest.ini (less --cov), written by bench/realworld.py.
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
filterwarnings = error
testpaths = tests/
xfail_strict = true
"""

TRIO_MODE_INI = """\
[pytest]
# Not in the sdist: upstream's pytest.ini, written by bench/realworld.py.
trio_mode = true
"""

BOTH_BACKENDS_CONFTEST = """\
# Not in the sdist, written by bench/realworld.py: the tests are marked
# `pytest.mark.anyio`, and anyio's plugin runs them on each backend this
# fixture names (its default is asyncio alone).
import pytest


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request):
    return request.param
"""

SUITES: list[Suite] = [
    Suite(
        name="trio",
        dist="trio",
        version="0.30.0",
        packages=["trio"],
        testdir="src/trio",
        tests=["src/trio"],
        deps=[
            "attrs==25.3.0", "sortedcontainers==2.4.0", "idna==3.10", "outcome==1.3.0.post0",
            "sniffio==1.3.1", "async_generator==1.10", "trustme==1.2.1",
            # pyOpenSSL 25 deprecates what trio 0.30's DTLS tests do (filterwarnings = error)
            "pyOpenSSL==24.3.0", "cryptography==44.0.3",
        ],
        # trio's own config: -p trio._tests.pytest_plugin, --import-mode=importlib, filterwarnings=error.
        # Optional tools (jedi, pylint, mypy: test_exports) are not installed: skipped.
        args=["--skip-optional-imports"],
        note="src/trio, including trio/_core/_tests; slow tests skipped (no --run-slow)",
    ),
    Suite(
        name="anyio",
        dist="anyio",
        version="4.9.0",
        packages=["anyio"],
        testdir="tests",
        tests=["tests"],
        deps=[
            "trio==0.30.0", "idna==3.10", "sniffio==1.3.1", "blockbuster==1.5.24",
            "exceptiongroup==1.3.0", "hypothesis==6.135.26", "psutil==7.0.0", "trustme==1.2.1",
            "truststore==0.10.1",
        ],
        # tests/test_pytest_plugin.py runs pytest inside pytest (pytester): the inner run's
        # pytest-timeout takes over SIGALRM, so a hang there is not bounded; left out.
        args=["-m", "not network", "--ignore=tests/test_pytest_plugin.py"],
        split=_anyio_backend,
        note="asyncio and trio backends in one run (split by the anyio_backend parameter); no uvloop",
    ),
    Suite(
        name="async_generator",
        dist="async_generator",
        version="1.10",
        packages=["async_generator"],
        testdir="async_generator",
        tests=["async_generator/_tests"],
        deps=[],
    ),
    Suite(
        name="aiocache",
        dist="aiocache",
        version="0.12.3",
        packages=["aiocache"],
        testdir="tests",
        tests=["tests/ut", "tests/acceptance"],
        deps=[PYTEST_ASYNCIO, "pytest-mock==3.14.1", "marshmallow==3.26.1", "msgpack==1.1.1"],
        args=[
            "-o", "addopts=--strict-markers",  # upstream's addopts wants pytest-cov
            "--ignore=tests/ut/backends/test_redis.py",
            "--ignore=tests/ut/backends/test_memcached.py",
            "-m", "not redis and not memcached",
        ],
        note="memory backend only: redis/memcached test files ignored, -m 'not redis and not memcached'",
    ),
    Suite(
        name="aiojobs",
        dist="aiojobs",
        version="1.4.0",
        packages=["aiojobs"],
        testdir="tests",
        tests=["tests"],
        deps=[PYTEST_ASYNCIO, "aiohttp==3.12.14", "pytest-aiohttp==1.1.0"],
        files={"pytest.ini": AIOJOBS_INI},
    ),
    Suite(
        name="aiostream",
        dist="aiostream",
        version="0.7.0",
        packages=["aiostream"],
        testdir="tests",
        tests=["tests"],
        deps=[PYTEST_ASYNCIO, "typing_extensions==4.14.1"],
        args=["-o", "addopts=--strict-markers"],  # upstream's addopts wants pytest-cov
    ),
    Suite(
        name="asgiref",
        dist="asgiref",
        version="3.9.1",
        packages=["asgiref"],
        testdir="tests",
        tests=["tests"],
        deps=[PYTEST_ASYNCIO],
    ),
    Suite(
        name="asyncstdlib",
        dist="asyncstdlib",
        version="3.14.0",
        packages=["asyncstdlib"],
        testdir="unittests",
        tests=["unittests"],
        deps=["typing_extensions==4.14.1"],
        note="driven by its own send loop (unittests/utility.py), no event loop",
    ),
    Suite(
        name="async_lru",
        dist="async-lru",
        version="2.4.0",
        packages=["async_lru"],
        testdir="tests",
        tests=["tests"],
        deps=[PYTEST_ASYNCIO],
        args=["-o", "addopts=--strict-markers"],  # upstream's addopts wants pytest-cov
    ),
    Suite(
        name="aiofiles",
        dist="aiofiles",
        version="24.1.0",
        packages=["aiofiles"],
        testdir="tests",
        tests=["tests"],
        deps=[PYTEST_ASYNCIO],
        note="asyncio and a thread pool",
    ),
    Suite(
        name="janus",
        dist="janus",
        version="2.0.0",
        packages=["janus"],
        testdir="tests",
        tests=["tests"],
        deps=[PYTEST_ASYNCIO],
        # upstream's addopts wants pytest-cov; the benchmarks want pytest-codspeed
        args=["-o", "addopts=--strict-markers", "--ignore=tests/test_benchmarks.py"],
        note="asyncio and threads; benchmarks (pytest-codspeed) left out",
    ),
    Suite(
        name="httpcore",
        dist="httpcore",
        version="1.0.9",
        packages=["httpcore"],
        testdir="tests",
        tests=["tests"],
        deps=["anyio==4.9.0", "trio==0.30.0", "pytest-trio==0.8.0", "h11==0.16.0", "h2==4.2.0",
              "socksio==1.0.0", "certifi==2025.7.14", "sniffio==1.3.1", "idna==3.10"],
        # the integration tests and test_api want pytest-httpbin's servers; the h2 timeout
        # tests are marked xfail upstream and pass or not by timing
        args=["--ignore=tests/_async/test_integration.py", "--ignore=tests/_sync/test_integration.py",
              "--ignore=tests/test_api.py", "-k", "not test_h2_timeout_during"],
        files={"tests/conftest.py": BOTH_BACKENDS_CONFTEST},
        split=_backend_split("httpcore"),
        note="through anyio, on its asyncio and trio backends, and pytest-trio; httpbin tests and xfail h2 timeouts left out",
    ),
    Suite(
        name="aiometer",
        dist="aiometer",
        version="1.0.0",
        packages=["aiometer"],
        testdir="tests",
        tests=["tests"],
        deps=["anyio==4.9.0", "trio==0.30.0", "sniffio==1.3.1", "idna==3.10",
              "typing_extensions==4.14.1"],
        # upstream's addopts wants pytest-cov; TestMaxPerSecond measures rates against the
        # wall clock (within 25 %), which a loaded machine misses natively as well
        args=["-o", "addopts=--strict-markers", "-k", "not TestMaxPerSecond"],
        files={"tests/conftest.py": BOTH_BACKENDS_CONFTEST},
        split=_backend_split("aiometer"),
        note="through anyio, on its asyncio and trio backends; wall-clock rate tests left out",
    ),
    Suite(
        name="trio_websocket",
        dist="trio-websocket",
        version="0.12.2",
        packages=["trio_websocket"],
        testdir="tests",
        tests=["tests"],
        deps=["trio==0.30.0", "pytest-trio==0.8.0", "wsproto==1.2.0", "trustme==1.2.1",
              "outcome==1.3.0.post0", "attrs==25.3.0", "sniffio==1.3.1", "idna==3.10",
              "sortedcontainers==2.4.0", "typing_extensions==4.14.1"],
        files={"pytest.ini": TRIO_MODE_INI},
        note="trio through pytest-trio; real sockets on localhost",
    ),
    Suite(
        name="sniffio",
        dist="sniffio",
        version="1.3.1",
        packages=["sniffio"],
        testdir="sniffio",
        tests=["sniffio/_tests"],
        deps=["curio==1.6"],
        note="asyncio, and curio (before 3.12)",
    ),
]
BY_NAME = {suite.name: suite for suite in SUITES}


# --------------------------------------------------------------------------
# Small helpers


class Failure(Exception):
    """A step (download, install) that failed; the suite is reported as not run."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def elapsed(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def run_checked(cmd: list[str], *, cwd: Path | None = None, logfile: Path | None = None,
                env: dict[str, str] | None = None, timeout: float = 1800) -> None:
    """Run a setup command; its output goes to ``logfile``; raise Failure with its tail."""
    out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if logfile is not None:
        with open(logfile, "a", encoding="utf-8") as fp:
            fp.write(f"$ {shlex.join(cmd)}\n{out.stdout}{out.stderr}\n")
    if out.returncode != 0:
        tail = "\n".join((out.stdout + out.stderr).splitlines()[-25:])
        raise Failure(f"`{shlex.join(cmd)}` failed ({out.returncode}):\n{tail}")


def python_tag(python: str) -> str:
    out = subprocess.run(
        [python, "-c", "import sys; print(f'py{sys.version_info[0]}{sys.version_info[1]}')"],
        capture_output=True, text=True, check=True,
    )
    return out.stdout.strip()


# --------------------------------------------------------------------------
# Fetching and installing


def fetch_sdist(suite: Suite, cache: Path) -> Path:
    """Download the pinned sdist (once) and unpack it (once); the unpacked source root."""
    sdists = cache / "sdists"
    sdists.mkdir(parents=True, exist_ok=True)
    stem = f"{suite.dist}-{suite.version}"
    found = _find_sdist(sdists, suite)
    if found is None:
        log(f"[{suite.name}] downloading {suite.dist}=={suite.version} (sdist)")
        run_checked(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
             f"{suite.dist}=={suite.version}",
             "-d", str(sdists)],
            logfile=sdists / "download.log", timeout=600,
        )
        found = _find_sdist(sdists, suite)
        if found is None:
            raise Failure(f"pip downloaded no sdist for {suite.dist}=={suite.version} into {sdists}")
    dest = cache / "src" / stem
    marker = dest / ".rw-unpacked"
    if not marker.exists():
        if dest.exists():
            shutil.rmtree(dest)
        tmp = cache / "src" / f".{stem}.tmp"
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
        if found.name.endswith(".zip"):
            with zipfile.ZipFile(found) as zf:
                zf.extractall(tmp)
        else:
            with tarfile.open(found) as tf:
                if sys.version_info >= (3, 12):
                    tf.extractall(tmp, filter="data")
                else:
                    tf.extractall(tmp)
        (top,) = [p for p in tmp.iterdir()]  # sdists hold one top directory
        top.rename(dest)
        tmp.rmdir()
        marker.write_text(found.name + "\n")
    for relative, content in suite.files.items():
        target = dest / relative
        if not target.exists() or target.read_text() != content:
            target.write_text(content)
    return dest


def _find_sdist(directory: Path, suite: Suite) -> Path | None:
    names = {suite.dist.lower(), suite.dist.lower().replace("-", "_"), suite.dist.lower().replace("_", "-")}
    for path in sorted(directory.iterdir()):
        low = path.name.lower()
        for name in names:
            for ext in (".tar.gz", ".zip", ".tar.bz2"):
                if low == f"{name}-{suite.version}{ext}":
                    return path
    return None


def ensure_venv(suite: Suite, src: Path, python: str, tag: str, desugar_src: Path, cache: Path) -> Path:
    """The suite's venv, created and installed once; desugar reinstalled when its source changes."""
    venv = cache / "venvs" / f"{suite.name}-{tag}"
    vpy = venv / "bin" / "python"
    logfile = venv / "install.log"
    want = {
        "python": os.path.realpath(python),
        "library": f"{suite.dist}=={suite.version}",
        "src": str(src),
        "deps": [PYTEST, PYTEST_TIMEOUT, *suite.deps],
    }
    marker = venv / ".rw-installed.json"
    have = json.loads(marker.read_text()) if marker.exists() else None
    base = {k: v for k, v in (have or {}).items() if k != "desugar"}
    if base != want or not vpy.exists():
        if venv.exists():
            shutil.rmtree(venv)
        log(f"[{suite.name}] creating venv {venv}")
        run_checked([python, "-m", "venv", str(venv)])
        pip = [str(vpy), "-m", "pip", "install", "--quiet"]
        log(f"[{suite.name}] installing test requirements: {' '.join(want['deps'])}")
        run_checked([*pip, *want["deps"]], logfile=logfile)
        log(f"[{suite.name}] installing desugar (editable) from {desugar_src}")
        run_checked([*pip, "-e", str(desugar_src)], logfile=logfile)
        log(f"[{suite.name}] installing {suite.dist} {suite.version} (editable, from {src})")
        # compat: a path entry in a .pth file, so desugar's finder (PathFinder) finds the source
        run_checked([*pip, "--no-deps", "-e", str(src), "--config-settings", "editable_mode=compat"],
                    logfile=logfile)
        have = {**want, "desugar": str(desugar_src)}
        marker.write_text(json.dumps(have, indent=1))
    elif have.get("desugar") != str(desugar_src):
        log(f"[{suite.name}] switching desugar to {desugar_src}")
        run_checked([str(vpy), "-m", "pip", "install", "--quiet", "--no-deps", "-e", str(desugar_src)],
                    logfile=logfile)
        have["desugar"] = str(desugar_src)
        marker.write_text(json.dumps(have, indent=1))
    # Check that the venv imports desugar from where we think.
    out = subprocess.run([str(vpy), "-c", "import desugar, os; print(os.path.dirname(os.path.dirname(desugar.__file__)))"],
                         capture_output=True, text=True, cwd="/")
    if out.returncode != 0 or Path(out.stdout.strip()).resolve() != desugar_src.resolve():
        raise Failure(f"the venv imports desugar from {out.stdout.strip() or out.stderr.strip()!r}, "
                      f"not from {desugar_src}")
    return vpy


# --------------------------------------------------------------------------
# Running


@dataclasses.dataclass
class Phase:
    name: str  # native | translated
    returncode: int | None
    seconds: float
    timed_out: bool
    source: str  # junit | jsonl | none
    outcomes: dict[str, str]  # test id -> passed | failed | error | skipped
    failures: dict[str, str]  # test id -> failure text (message + longrepr)
    messages: dict[str, str]  # test id -> the junit message attribute
    collection_errors: dict[str, str]  # id of a module that failed to collect -> text
    hung_at_exit: bool = False  # killed after writing its junit XML
    internal_error: str = ""  # pytest's INTERNALERROR, if it stopped on one (its last line)


def run_phase(suite: Suite, phase: str, vpy: Path, src: Path, rundir: Path, *, timeout: float,
              test_timeout: float, limits: dict[str, float] | None = None) -> Phase:
    xml = rundir / f"{phase}.xml"
    logf = rundir / f"{phase}.log"
    jsonl = rundir / f"{phase}.jsonl"
    for path in (xml, logf, jsonl):
        if path.exists():
            path.unlink()
    cmd = [str(vpy), "-m", "pytest", "-p", "no:cacheprovider", "-p", "desugar_rwlog",
           f"--junitxml={xml}", f"--timeout={test_timeout}", "-o", "junit_family=xunit1",
           "-q", *suite.args]
    if phase == "translated":
        cmd += translated_args(suite)
    cmd += suite.tests
    env = dict(os.environ)
    for name in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTHONDONTWRITEBYTECODE", "VIRTUAL_ENV", "PYTHONHOME"):
        env.pop(name, None)
    env["PYTHONPATH"] = str(DATA)
    env["DESUGAR_RW_LOG"] = str(jsonl)
    env["DESUGAR_RW_REKICK"] = str(REKICK)
    if limits:
        limits_file = rundir / f"{phase}.timeouts.json"
        limits_file.write_text(json.dumps(limits))
        env["DESUGAR_RW_TIMEOUTS"] = str(limits_file)
    env["PATH"] = f"{vpy.parent}{os.pathsep}{env.get('PATH', '')}"
    if phase == "translated":
        warm_up(suite, vpy, src, rundir, env)
    with open(rundir / "cmd.txt", "a", encoding="utf-8") as fp:
        fp.write(f"# {phase}\ncd {shlex.quote(str(src))} && PYTHONPATH={shlex.quote(str(DATA))} "
                 f"{shlex.join(cmd)}\n")
    log(f"[{suite.name}] {phase}: starting (log: {logf})")
    start = time.monotonic()
    timed_out = False
    hung_at_exit = False
    with open(logf, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(cmd, cwd=src, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        last = start
        exit_hang: float | None = None
        while True:
            try:
                proc.wait(timeout=2)
                break
            except subprocess.TimeoutExpired:
                pass
            now = time.monotonic()
            if xml.exists() and exit_hang is None:
                exit_hang = now  # pytest wrote its report: it should be ending
            if exit_hang is not None and now - exit_hang > EXIT_GRACE:
                hung_at_exit = True
                log(f"[{suite.name}] {phase}: still running {EXIT_GRACE:.0f}s after writing its junit XML "
                    f"(hangs at exit); killing process group {proc.pid}")
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()
                break
            if now - start > timeout:
                timed_out = True
                log(f"[{suite.name}] {phase}: overall timeout ({timeout:.0f}s), killing process group {proc.pid}")
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()
                break
            if now - last >= 15:
                last = now
                log(f"[{suite.name}] {phase}: {elapsed(now - start)}, {_count_lines(jsonl)} reports so far")
    seconds = time.monotonic() - start
    result = read_junit(xml) if xml.exists() else None
    if result is not None:
        source = "junit"
        outcomes, failures, messages, collection = result
    elif jsonl.exists():
        source = "jsonl"
        outcomes, failures, messages, collection = read_jsonl(jsonl)
    else:
        source = "none"
        outcomes, failures, messages, collection = {}, {}, {}, {}
    (rundir / f"{phase}.meta.json").write_text(json.dumps(
        {"returncode": proc.returncode, "seconds": round(seconds, 1), "timed_out": timed_out,
         "hung_at_exit": hung_at_exit}))
    counts = Counter(outcomes.values())
    log(f"[{suite.name}] {phase}: done in {elapsed(seconds)}, exit {proc.returncode}"
        f"{' (TIMED OUT)' if timed_out else ''}{' (hung at exit, killed)' if hung_at_exit else ''}: "
        + ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
        + (f", {len(collection)} collection errors" if collection else "")
        + ("" if source == "junit" else f" [from {source}]"))
    if not outcomes:
        tail = "\n".join(logf.read_text(errors="replace").splitlines()[-15:])
        log(f"[{suite.name}] {phase}: no test results; the log ends with:\n{tail}")
    return Phase(phase, proc.returncode, seconds, timed_out, source, outcomes, failures, messages, collection,
                 hung_at_exit, _internal_error(logf))


def _internal_error(logf: Path) -> str:
    try:
        lines = [l for l in logf.read_text(errors="replace").splitlines() if l.startswith("INTERNALERROR> ")]
    except OSError:
        return ""
    return lines[-1][len("INTERNALERROR> "):].strip() if lines else ""


def native_limits(rundir: Path, *, factor: float, floor: float, ceiling: float) -> dict[str, float]:
    """Per-test limits for the translated run: ``factor`` x the native duration (setup, call
    and teardown), at least ``floor``, at most ``ceiling`` seconds; from ``native.jsonl``."""
    totals: dict[str, float] = defaultdict(float)
    jsonl = rundir / "native.jsonl"
    if not jsonl.exists():
        return {}
    for line in jsonl.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("when") in ("setup", "call", "teardown"):
            totals[record["nodeid"]] += float(record.get("duration") or 0.0)
    return {test: round(min(ceiling, max(floor, factor * seconds)), 2) for test, seconds in totals.items()}


def warm_up(suite: Suite, vpy: Path, src: Path, rundir: Path, env: dict[str, str]) -> None:
    """Fill desugar's caches before the translated run: a throwaway ``--collect-only``
    run with the translated run's options, in which ``desugar_rwlog`` imports every
    module of the packages (``DESUGAR_RW_WARM``). So each module is translated by the
    path that will load it (desugar's hook, or pytest's rewriting hook for modules
    pytest rewrites, whose cache is the plugin's own), and a module first imported
    inside a test does not spend the test's time limit in the compiler."""
    cmd = [str(vpy), "-m", "pytest", "-p", "no:cacheprovider", "-p", "desugar_rwlog", "--collect-only",
           "-q", *suite.args, *translated_args(suite), *suite.tests]
    warm_env = {**env, "DESUGAR_RW_WARM": ",".join(suite.packages)}
    warm_env.pop("DESUGAR_RW_LOG", None)
    try:
        out = subprocess.run(cmd, cwd=src, env=warm_env, capture_output=True, text=True, timeout=900,
                             stdin=subprocess.DEVNULL)
        text = out.stdout + out.stderr
    except subprocess.TimeoutExpired as error:
        text = f"warm-up timed out after 900s\n{error.stdout or ''}"
    (rundir / "warm-up.log").write_text(f"$ {shlex.join(cmd)}\n{text}")
    lines = [l for l in text.splitlines() if l.startswith("desugar_rwlog warm-up")]
    log(f"[{suite.name}] {lines[0] if lines else 'warm-up: no summary (see warm-up.log)'}")
    for line in lines[1:6]:
        log(f"[{suite.name}]   {line}")


def translated_args(suite: Suite) -> list[str]:
    args = ["-p", "desugar.pytest_plugin"]
    for package in suite.packages:
        args += ["--desugar", package]
    return args + ["--desugar-path", suite.testdir]


def _count_lines(path: Path) -> int:
    try:
        with open(path, "rb") as fp:
            return sum(1 for _ in fp)
    except OSError:
        return 0


_RANK = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}


def _merge(outcomes: dict[str, str], test: str, outcome: str) -> None:
    old = outcomes.get(test)
    if old is None or _RANK[outcome] > _RANK[old]:
        outcomes[test] = outcome


def read_junit(xml: Path):
    """Outcomes by test id (``classname::name``); a test with any failure/error entry did not pass."""
    try:
        root = ET.parse(xml).getroot()
    except ET.ParseError:
        return None
    outcomes: dict[str, str] = {}
    failures: dict[str, str] = {}
    messages: dict[str, str] = {}
    collection: dict[str, str] = {}
    for case in root.iter("testcase"):
        classname = case.get("classname", "")
        name = case.get("name", "")
        test = f"{classname}::{name}" if classname else name
        if not test or (classname, name) == ("pytest", "internal"):
            continue  # pytest's INTERNALERROR entry (see Phase.internal_error)
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "failed" if child.tag == "failure" else "error"
                text = (child.text or "").strip()
                message = child.get("message", "")
                failures[test] = (failures.get(test, "") + "\n" + text).strip()
                messages.setdefault(test, message)
                if not classname and message == "collection failure":
                    collection[name] = text
            elif child.tag == "skipped":
                outcome = "skipped" if outcome == "passed" else outcome
                messages.setdefault(test, child.get("message", ""))
        _merge(outcomes, test, outcome)
    for name in collection:
        outcomes.pop(name, None)
    return outcomes, failures, messages, collection


def junit_id(nodeid: str) -> str:
    """pytest's junitxml name for a node id (``mangle_test_address``): ``classname::name``."""
    path, bracket, params = nodeid.partition("[")
    names = path.split("::")
    names[0] = re.sub(r"\.py$", "", names[0].replace("/", "."))
    names[-1] += bracket + params
    return ".".join(names[:-1]) + "::" + names[-1] if len(names) > 1 else names[0]


def read_jsonl(path: Path):
    outcomes: dict[str, str] = {}
    failures: dict[str, str] = {}
    messages: dict[str, str] = {}
    collection: dict[str, str] = {}
    for line in path.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record["when"] == "collect":
            collection[junit_id(record["nodeid"])] = record.get("message", "")
            continue
        test = junit_id(record["nodeid"])
        outcome = record["outcome"]
        if outcome == "failed":
            outcome = "failed" if record["when"] == "call" else "error"
            messages.setdefault(test, record.get("message", ""))
            failures[test] = record.get("message", "")
        _merge(outcomes, test, outcome)
    return outcomes, failures, messages, collection


# --------------------------------------------------------------------------
# Comparing and classifying


def classify(test: str, phase: Phase) -> tuple[str, str]:
    """(cause, key lines) for a test that did not pass in ``phase``."""
    outcome = phase.outcomes.get(test)
    if outcome is None:
        module = test.split("::")[0]
        for name, text in phase.collection_errors.items():
            if module == name or module.startswith(name + "."):
                cause, lines = _cause_of(text, text)
                return f"module not collected: {cause}", lines
        if phase.timed_out:
            return "not run: the whole run timed out before it", ""
        if phase.internal_error:
            return (f"not run: pytest stopped early on an INTERNALERROR: {_normalize(phase.internal_error)}",
                    f"INTERNALERROR> {phase.internal_error}")
        if phase.hung_at_exit or phase.source == "jsonl":
            return f"not reported: the {phase.name} run was killed (results from its jsonl log)", ""
        if not phase.outcomes:
            return f"not run: the {phase.name} run reported no test (exit {phase.returncode})", ""
        return "not reported in the translated run", ""
    if outcome == "skipped":
        return f"skipped: {_normalize(phase.messages.get(test, ''))[:200]}", ""
    return _cause_of(phase.messages.get(test, ""), phase.failures.get(test, ""))


_TYPE = r"(?:[A-Za-z_]\w*\.)*[A-Z]\w*(?:Error|Exception|Warning|Exit|Group|Interrupt|Timeout|Cancelled|Failed|Iteration)\w*"
_EXC = re.compile(rf"^E\s+({_TYPE})(?::\s?(.*))?$")
_SUB = re.compile(rf"^(?:E\s+)?[\s|]*\|\s+({_TYPE})(?::\s?(.*))?$")  # inside a printed exception group
_REPR = re.compile(rf"\b({_TYPE})\((['\"])(.*?)\2[,)]")  # an exception's repr in an assert explanation
_WHERE = re.compile(r"^([^\s:][^:]*\.py):(\d+): (\S+)")
#: Exceptions that only carry another one: the cause is looked for inside them.
_WRAPPERS = {"ExceptionGroup", "BaseExceptionGroup", "exceptiongroup.ExceptionGroup",
             "exceptiongroup.BaseExceptionGroup", "trio.TrioInternalError", "TrioInternalError",
             "AssertionError", "Failed"}


def _cause_of(message: str, text: str) -> tuple[str, str]:
    """The cause of a failure, ``Type: message`` normalized, and its key lines.

    The first exception pytest prints (``E   Type: ...``; the oldest of a chain)
    is the failure as seen; when that only wraps others (an exception group,
    ``TrioInternalError``, an ``AssertionError`` whose explanation shows an
    exception, a pytest-timeout), the first exception inside it is the
    cause: ``Cause <- Wrapper``. A timeout's cause is where the test hung.
    """
    text = _drop_handled(text)
    lines = text.splitlines()
    e_lines = [l for l in lines if l.startswith("E ")]
    seen, detail = "", ""
    for line in e_lines:
        m = _EXC.match(line)
        if m:
            seen, detail = m.group(1), (m.group(2) or "")
            break
    if not seen:
        m = re.match(rf"^(?:failed on (?:setup|teardown) with \")?({_TYPE})(?::\s?(.*))?", message or "")
        if m:
            seen, detail = m.group(1), (m.group(2) or "").rstrip('"')
        elif message:
            detail = message
        elif e_lines:
            detail = e_lines[0][1:].strip()
        else:
            detail = lines[-1] if lines else "(no failure text)"
    sites = [l for l in lines if _WHERE.match(l)]
    key = e_lines[:8]
    if sites:
        key.append(sites[-1])
    timeout = re.search(r"Timeout >[\d.]+s", text + " " + message)
    if timeout:
        # pytest-timeout's signal method raises where the test was: the innermost frame of
        # the library's (or its tests') code before the Failed is where it hung.
        frames = [l for l in lines if re.match(r"^\S[^:]*\.py:\d+: in \S+", l)]
        ours = [l for l in frames if "/lib/python" not in l and "site-packages" not in l]
        where = (ours or frames or ["?"])[-1]
        where = re.sub(r"^.*?((?:src/)?[\w./-]+\.py:\d+: in \S+)$", r"\1", where)
        return f"timeout (hang): stuck at {where}", "\n".join([*e_lines[:2], *frames[-4:]])
    if seen.endswith(("UnhandledThreadExceptionWarning", "UnraisableExceptionWarning")):
        # The warning carries the thread's (or __del__'s) traceback: its last exception is the cause.
        found = [m for m in (re.match(rf"^(?:E\s+)?({_TYPE}): ?(.*)$", l) for l in lines) if m]
        found = [m for m in found if not m.group(1).endswith(seen.split(".")[-1])]
        if found:
            return (f"{found[-1].group(1)}: {_normalize(found[-1].group(2))}  <- {seen.split('.')[-1]}"[:300],
                    "\n".join(key))
    cause = f"{seen}: {_normalize(detail)}" if seen else _normalize(detail)
    if seen in _WRAPPERS or not seen:
        inner = None
        for line in lines:
            m = _SUB.match(line)
            if m and (m.group(1) not in _WRAPPERS or m.group(1) == "AssertionError"):
                inner = (m.group(1), m.group(2) or "")  # a group's first member that is no group
                break
        if inner is None:
            for line in lines:
                for m in _REPR.finditer(line):
                    if m.group(1) not in _WRAPPERS:
                        inner = (m.group(1), m.group(3))
                        break
                if inner:
                    break
        if inner is None:
            for line in e_lines:
                m = _EXC.match(line)
                if m and m.group(1) not in _WRAPPERS:
                    inner = (m.group(1), m.group(2) or "")
                    break
        if inner is None and seen in ("AssertionError", ""):
            # An assert about a wrapper whose contents are not shown (pytest.raises(...).value).
            mentions = []
            for wrapper in _WRAPPERS - {"AssertionError", "Failed"}:
                m = re.search(rf"(?<![\w.]){re.escape(wrapper)}\b", "\n".join(e_lines))
                if m:
                    mentions.append((m.start(), -len(wrapper), wrapper))
            if mentions:
                inner = (min(mentions)[2].split(".")[-1], "(what it wraps is not in the report)")
        if inner is not None:
            cause = f"{inner[0]}: {_normalize(inner[1])}  <- {seen or 'assert'}"
    return cause[:300], "\n".join(key)


_CHAIN = re.compile(r"^(?:E\s+)?[ \t|]*(During handling of the above exception, another exception occurred:"
                    r"|The above exception was the direct cause of the following exception:)$", re.M)


def _drop_handled(text: str) -> str:
    """Leave out the exceptions of a chain that were only being handled when the next one
    was raised (``During handling of the above exception``: e.g. an ``AttributeError``
    caught by the runtime's own ``try``); a ``direct cause`` stays (it is the root)."""
    parts = _CHAIN.split(text)
    kept = []
    for index in range(0, len(parts), 2):
        separator = parts[index + 1] if index + 1 < len(parts) else ""
        if not separator.startswith("During handling"):
            kept.append(parts[index])
    return "\n".join(kept)


def _normalize(text: str) -> str:
    text = text.strip().splitlines()[0] if text.strip() else ""
    text = re.sub(r"0x[0-9a-fA-F]+", "0x…", text)
    text = re.sub(r"\bid=\d+", "id=…", text)
    text = re.sub(r"/tmp/[^\s'\"]+", "/tmp/…", text)
    text = re.sub(r"\d+\.\d+s\b", "…s", text)
    # Names that differ from test to test in one failure mode:
    text = re.sub(r"<(GenFuture|GenStream|coroutine object|async_generator object|Task|frame)\b(?:[^<>]|<locals>|<lambda>)*>",
                  r"<\1 …>", text)  # <GenFuture f.<locals>.g>, <Task ...>
    text = re.sub(r"\bExpected [\w.<>]+\(\)", "Expected …()", text)  # anyio's "to return a coroutine"
    text = re.sub(r"\bThread-\d+ \(\w+\)", "Thread-… (…)", text)
    return text


def compare(suite: Suite, native: Phase, translated: Phase) -> dict:
    rows: dict[str, dict] = {}

    def row_for(test: str) -> dict:
        key = suite.split(test) if suite.split else suite.name
        return rows.setdefault(key, {"suite": key, "tests": set(), "native_passed": 0,
                                     "translated_passed": 0, "lost": [], "gained": [], "known": [],
                                     "stale": []})

    for test in sorted(set(native.outcomes) | set(translated.outcomes)):
        row = row_for(test)
        row["tests"].add(test)
        n = native.outcomes.get(test) == "passed"
        t = translated.outcomes.get(test) == "passed"
        row["native_passed"] += n
        row["translated_passed"] += t
        if n and not t:
            row["known" if test in suite.known_lost else "lost"].append(test)
        elif t and test in suite.known_lost:
            row["stale"].append(test)
        if t and not n:
            row["gained"].append(test)
    out = []
    for key in sorted(rows):
        row = rows[key]
        causes: dict[str, dict] = {}
        for test in row["lost"]:
            cause, lines = classify(test, translated)
            group = causes.setdefault(cause, {"cause": cause, "count": 0, "example": test,
                                              "example_lines": lines, "tests": []})
            group["count"] += 1
            group["tests"].append(test)
        row["causes"] = sorted(causes.values(), key=lambda g: -g["count"])
        row["known"] = [{"test": test, "issue": suite.known_lost[test]} for test in row["known"]]
        row["tests"] = len(row["tests"])
        row["native_outcomes"] = dict(Counter(native.outcomes[t] for t in native.outcomes if _in_row(suite, t, key)))
        row["translated_outcomes"] = dict(Counter(translated.outcomes[t] for t in translated.outcomes if _in_row(suite, t, key)))
        out.append(row)
    return {"rows": out}


def recheck_lost(suite: Suite, vpy: Path, src: Path, rundir: Path, comparison: dict, *,
                 timeout: float, test_timeout: float) -> list[str]:
    """Run the tests lost translated once more, translated, by themselves; the ones
    that pass then are flaky (a network or timing hiccup of that one run), not lost.

    They are moved from each row's ``lost`` to its ``flaky`` and reported (not
    counted as passed translated), so a test counts as lost only if it fails
    translated twice while passing natively.
    """
    lost = {test for row in comparison["rows"] for test in row["lost"]}
    if not lost:
        return []
    nodeids: list[str] = []
    jsonl = rundir / "translated.jsonl"
    if jsonl.exists():
        for line in jsonl.read_text(errors="replace").splitlines():
            try:
                nodeid = json.loads(line).get("nodeid")
            except (ValueError, AttributeError):
                continue
            if nodeid and junit_id(nodeid) in lost and nodeid not in nodeids:
                nodeids.append(nodeid)
    if not nodeids:
        return []
    log(f"[{suite.name}] {len(lost)} lost: running them translated once more, by themselves")
    again_dir = rundir / "recheck"
    again_dir.mkdir(exist_ok=True)
    again = run_phase(dataclasses.replace(suite, tests=nodeids), "translated", vpy, src, again_dir,
                      timeout=timeout, test_timeout=test_timeout)
    flaky = sorted(test for test in lost if again.outcomes.get(test) == "passed")
    for row in comparison["rows"]:
        row["flaky"] = [test for test in row["lost"] if test in flaky]
        row["lost"] = [test for test in row["lost"] if test not in flaky]
        for group in row["causes"]:
            group["tests"] = [test for test in group["tests"] if test not in flaky]
            group["count"] = len(group["tests"])
        row["causes"] = [group for group in row["causes"] if group["count"]]
    for test in flaky:
        log(f"[{suite.name}] FLAKY, not counted as lost: {test} failed translated once and passed when run again")
    return flaky


def _in_row(suite: Suite, test: str, key: str) -> bool:
    return (suite.split(test) if suite.split else suite.name) == key


# --------------------------------------------------------------------------
# Reporting


def markdown_table(results: list[dict]) -> str:
    lines = [
        "| suite | version | tests | passed native | passed translated | lost | gained | native s | translated s |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        if result.get("error"):
            lines.append(f"| {result['suite']} | {result['version']} | – | – | – | – | – | – | – |"
                         f" <!-- {result['error'].splitlines()[0][:80]} -->")
            continue
        times = result["phases"]
        for row in result["rows"]:
            if not row["native_passed"] and not row["translated_passed"]:
                continue  # e.g. anyio[asyncio+uvloop]: all skipped (in the JSON report all the same)
            flag = "".join(
                f" ({name}: {what})"
                for name, phase in times.items()
                for what, on in (("run timed out", phase["timed_out"]), ("hung at exit", phase.get("hung_at_exit")))
                if on
            )
            lines.append(
                f"| {row['suite']} | {result['version']} | {row['tests']} | {row['native_passed']} | "
                f"{row['translated_passed']} | {_lost_cell(row)} | {len(row['gained'])} | "
                f"{times['native']['seconds']:.0f} | {times['translated']['seconds']:.0f}{flag} |"
            )
    return "\n".join(lines)


def _lost_cell(row: dict) -> str:
    cell = str(len(row["lost"]))
    if row.get("known"):
        cell += f" (+{len(row['known'])} known)"
    if row.get("stale"):
        cell += f" ({len(row['stale'])} known lost pass again)"
    if row.get("flaky"):
        cell += f" (+{len(row['flaky'])} flaky: failed translated once, passed when run again)"
    return cell


def print_lost(results: list[dict], *, limit: int = 0) -> None:
    for result in results:
        for row in result.get("rows", []):
            for known in row.get("known", []):
                print(f"\n{row['suite']}: known lost (not counted): {known['test']}: {known['issue']}")
            for test in row.get("stale", []):
                print(f"\n{row['suite']}: STALE: {test} passes translated: remove it from known_lost")
            if not row["lost"]:
                continue
            print(f"\n### {row['suite']}: {len(row['lost'])} lost\n")
            for group in row["causes"]:
                print(f"- {group['count']} × {group['cause']}")
                print(f"  e.g. {group['example']}")
                for line in group["example_lines"].splitlines():
                    print(f"      {line[:220]}")
                shown = group["tests"] if not limit else group["tests"][:limit]
                for test in shown:
                    print(f"    {test}")
                if limit and len(group["tests"]) > limit:
                    print(f"    ... and {len(group['tests']) - limit} more")


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help=f"run only this suite (repeatable): {', '.join(BY_NAME)}")
    parser.add_argument("--python", default=sys.executable, help="interpreter for the venvs (default: this one)")
    parser.add_argument("--timeout", type=float, default=1800,
                        help="seconds for one pytest run of a suite, after which it is killed (default 1800)")
    parser.add_argument("--test-timeout", type=float, default=30,
                        help="pytest-timeout's per-test limit in seconds (default 30)")
    parser.add_argument("--json", type=Path, metavar="OUT", help="write the JSON report here")
    parser.add_argument("--desugar-src", type=Path, default=DEFAULT_DESUGAR_SRC,
                        help=f"desugar checkout to test (default: {DEFAULT_DESUGAR_SRC})")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help=f"cache directory (default {DEFAULT_CACHE})")
    parser.add_argument("--list-lost", action="store_true",
                        help="print the lost tests, grouped by cause, after the table")
    parser.add_argument("--hang-factor", type=float, default=20,
                        help="in the translated run a test may take this many times its native "
                        "duration (default 20) ...")
    parser.add_argument("--hang-floor", type=float, default=2,
                        help="... but at least this many seconds (default 2), at most --test-timeout; "
                        "0 turns the scaled limits off")
    parser.add_argument("--phase", choices=["both", "native", "translated", "none"], default="both",
                        help="run only one phase (or none); the others are read from the last run's files")
    args = parser.parse_args(list(argv) if argv is not None else None)
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        # Started in the background by a shell: SIGINT is ignored, and the children would
        # inherit that (trio's and anyio's KeyboardInterrupt tests then hang). A handler
        # of ours is reset to the default in them by exec.
        signal.signal(signal.SIGINT, signal.default_int_handler)

    unknown = [name for name in args.only if name not in BY_NAME]
    if unknown:
        parser.error(f"unknown suite(s) {', '.join(unknown)}; known: {', '.join(BY_NAME)}")
    suites = [BY_NAME[name] for name in dict.fromkeys(args.only)] if args.only else SUITES
    desugar_src = args.desugar_src.resolve()
    if not (desugar_src / "desugar" / "pytest_plugin.py").exists():
        parser.error(f"{desugar_src} is not a desugar checkout (no desugar/pytest_plugin.py)")
    python = shutil.which(args.python) or args.python
    tag = python_tag(python)
    cache = args.cache.expanduser().resolve()
    started = time.monotonic()
    log(f"desugar from {desugar_src}; {tag} ({python}); cache {cache}")

    results: list[dict] = []
    for index, suite in enumerate(suites, 1):
        log(f"== [{index}/{len(suites)}] {suite.name} {suite.version} (total {elapsed(time.monotonic() - started)})")
        result: dict = {"suite": suite.name, "version": suite.version, "dist": suite.dist,
                        "packages": suite.packages, "note": suite.note}
        rundir = cache / "runs" / f"{suite.name}-{tag}"
        rundir.mkdir(parents=True, exist_ok=True)
        result["rundir"] = str(rundir)
        try:
            if args.phase == "none":  # only the last run's files are read
                src, vpy = cache / "src" / f"{suite.dist}-{suite.version}", Path(python)
            else:
                src = fetch_sdist(suite, cache)
                vpy = ensure_venv(suite, src, python, tag, desugar_src, cache)
        except (Failure, subprocess.SubprocessError, OSError) as error:
            log(f"[{suite.name}] SETUP FAILED: {error}")
            result["error"] = str(error)
            results.append(result)
            continue
        if args.phase != "none":
            (rundir / "cmd.txt").write_text("")
        phases = {}
        for phase in ("native", "translated"):
            if args.phase in ("both", phase):
                limits = None
                if phase == "translated":
                    if args.hang_floor > 0:
                        limits = native_limits(rundir, factor=args.hang_factor, floor=args.hang_floor,
                                               ceiling=args.test_timeout)
                phases[phase] = run_phase(suite, phase, vpy, src, rundir, timeout=args.timeout,
                                          test_timeout=args.test_timeout, limits=limits)
            else:
                phases[phase] = reread_phase(suite, phase, rundir)
        comparison = compare(suite, phases["native"], phases["translated"])
        if args.phase == "both":
            recheck_lost(suite, vpy, src, rundir, comparison, timeout=args.timeout,
                         test_timeout=args.test_timeout)
        result["phases"] = {
            name: {"returncode": p.returncode, "seconds": round(p.seconds, 1), "timed_out": p.timed_out,
                   "hung_at_exit": p.hung_at_exit, "internal_error": p.internal_error,
                   "results_from": p.source, "outcomes": dict(Counter(p.outcomes.values())),
                   "collection_errors": {k: v[-1500:] for k, v in p.collection_errors.items()}}
            for name, p in phases.items()
        }
        result.update(comparison)
        (rundir / "result.json").write_text(json.dumps(result, indent=1))
        results.append(result)
        lost = sum(len(row["lost"]) for row in comparison["rows"])
        known = sum(len(row["known"]) for row in comparison["rows"])
        stale = [test for row in comparison["rows"] for test in row["stale"]]
        log(f"[{suite.name}] {sum(r['native_passed'] for r in comparison['rows'])} passed natively, "
            f"{sum(r['translated_passed'] for r in comparison['rows'])} translated, {lost} lost"
            + (f" (and {known} known lost, see known_lost)" if known else ""))
        for test in stale:
            log(f"[{suite.name}] {test} is in known_lost but passes translated: remove it from there")

    table = markdown_table(results)
    print(table)
    if args.list_lost:
        print_lost(results)
    report = {
        "desugar_src": str(desugar_src),
        "python": python,
        "python_tag": tag,
        "cache": str(cache),
        "seconds": round(time.monotonic() - started, 1),
        "results": results,
    }
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1))
        log(f"JSON report: {args.json}")
    bad = any(r.get("error") or any(row["lost"] or row["stale"] for row in r.get("rows", []))
              for r in results)
    return 1 if bad else 0


def reread_phase(suite: Suite, phase: str, rundir: Path) -> Phase:
    """A phase from the files the last run left (``--phase``)."""
    xml, jsonl = rundir / f"{phase}.xml", rundir / f"{phase}.jsonl"
    result = read_junit(xml) if xml.exists() else None
    source = "junit"
    if result is None:
        source = "jsonl" if jsonl.exists() else "none"
        result = read_jsonl(jsonl) if jsonl.exists() else ({}, {}, {}, {})
    outcomes, failures, messages, collection = result
    meta_file = rundir / f"{phase}.meta.json"
    meta = json.loads(meta_file.read_text()) if meta_file.exists() else {}
    return Phase(phase, meta.get("returncode"), meta.get("seconds", 0.0), meta.get("timed_out", False),
                 source, outcomes, failures, messages, collection, meta.get("hung_at_exit", False),
                 _internal_error(rundir / f"{phase}.log"))


if __name__ == "__main__":
    sys.exit(main())
