"""The documentation site's examples, run: what a page shows is what desugar does."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import desugar

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def page(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def block_after(name: str, text: str, lang: str = "") -> str:
    """The first fenced block (of language ``lang``) after ``text`` on the page ``name``."""
    match = re.search(
        re.escape(text) + rf".*?\n *```{re.escape(lang)}\n(.*?)\n *```", page(name), re.S
    )
    assert match, f"docs/{name} shows no {lang or 'plain'} block after {text!r}"
    return textwrap.dedent(match.group(1))


def test_every_page_is_in_the_site_navigation() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    listed = set(re.findall(r"^  - [^:\n]+: (\S+\.md)$", config, re.M))
    assert listed == {p.name for p in DOCS.glob("*.md")}


@pytest.mark.parametrize("name", ["README.md", "docs/guide.md"])
def test_guide_shows_the_translation_desugar_writes(name: str) -> None:
    text = (ROOT / name).read_text(encoding="utf-8")
    blocks = re.findall(
        r"```python\n(.*?)```", text.split("## What a translation looks like")[1],
        re.S,
    )
    source, shown = blocks[0], blocks[1]
    assert "async def foo():" in source and "@_ds_rt.async_fn" in shown
    assert desugar.translate(source, "foo.py") == shown


def test_guide_shows_the_async_for_loop_desugar_writes() -> None:
    shown = block_after("guide.md", "the loop hands the wait over and goes on:", "python")
    source = "async def f(size):\n    total = 0\n    async for x in numbers(size):\n        total += x\n"
    written = desugar.translate(source, "f.py")
    body = textwrap.dedent(written.split("# line 3: async for ... in numbers(size)\n")[1])
    assert body.startswith(shown + "\n"), written


def test_hir_style_page_shows_the_loop_desugar_writes_for_an_await_on_line_8() -> None:
    shown = block_after("lowerings.md", "For `x = await bar()`:", "python")
    source = "async def f():\n" + "    pass\n" * 6 + "    x = await bar()\n"
    written = desugar.translate(source, "f.py", mode=desugar.Mode(style="hir"))
    body = textwrap.dedent(written.split("    pass\n")[-1])
    assert body == shown + "\n", written


def test_yield_from_style_section_shows_what_desugar_writes_for_an_await_on_line_8() -> None:
    shown = block_after("lowerings.md", "For `x = await bar()` on line 8:", "python")
    source = "async def f():\n" + "    pass\n" * 6 + "    x = await bar()\n"
    written = desugar.translate(source, "f.py", mode=desugar.Mode(style="yield-from"))
    body = textwrap.dedent(written.split("    pass\n")[-1])
    assert body == shown + "\n", written


def test_command_line_page_shows_the_error_desugar_prints(tmp_path: Path) -> None:
    shown = block_after("cli.md", "and what to do, for example:")
    (tmp_path / "prog.py").write_text("async def f():\n    _ds_total = 1\n")
    result = subprocess.run(
        [sys.executable, "-m", "desugar", "prog.py"], cwd=tmp_path, capture_output=True,
        text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=120,
    )
    assert result.returncode == 123
    assert result.stdout == ""
    assert result.stderr == shown + "\n"


def marked_command(name: str, marker: str) -> str:
    match = re.search(rf"<!-- {marker} -->\s*```sh\n(.*?)\n```", page(name), re.S)
    assert match, f"docs/{name} has no command block marked {marker}"
    return match.group(1)


def test_quick_start_on_the_home_page_prints_the_backtrace_it_shows(tmp_path: Path) -> None:
    command = block_after("index.md", "## Quick start", "sh")
    assert command.startswith("pip install -e . && desugar ")
    steps = command.split(" && ")[1:]
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    result = subprocess.run(
        " && ".join(steps), shell=True, cwd=ROOT, capture_output=True, text=True, env=env,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr  # the example fails on purpose
    for name in ("index.md", "debugging.md"):
        shown = block_after(name, "The example fails on purpose").splitlines()
        # frame numbers aside: the executor's frames between them are counted
        printed = result.stderr.splitlines()[: len(shown)]
        assert unnumbered(printed) == unnumbered(shown), (name, result.stderr)
    assert marked_command("debugging.md", "quick-start") == command


def unnumbered(lines: list[str]) -> list[str]:
    return [re.sub(r"^ +\d+: ", "N: ", line) for line in lines]


def test_testing_page_command_is_what_ci_runs() -> None:
    command = marked_command("testing.md", "tests")
    ci = (ROOT / ".ci" / "run").read_text()
    assert command.startswith("pip install -e ")
    for step in command.split(" && "):
        assert step in ci, f"{step!r} from docs/testing.md is not in .ci/run"


def test_ci_builds_the_site_with_warnings_as_errors() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install -q -e '.[docs]'" in ci
    assert "mkdocs build --strict" in ci


@pytest.mark.skipif(
    importlib.util.find_spec("mkdocs") is None,
    reason="mkdocs is not installed (pip install -e '.[docs]'; CI builds the site in a step of its own)",
)
def test_site_builds_with_warnings_as_errors(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env=dict(os.environ, NO_MKDOCS_2_WARNING="1"),
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site" / "index.html").is_file()


ARTICLE = "[Async Stack Traces in Rust](https://fitzgeraldnick.com/2019/08/27/async-stacks-in-rust.html)"


@pytest.mark.parametrize("name", ["README.md", "ARCHITECTURE.md", "CONTRIBUTING.md", "docs/index.md"])
def test_the_article_is_named_and_linked(name: str) -> None:
    text = (ROOT / name).read_text(encoding="utf-8")
    assert "Nick Fitzgerald" in text and ARTICLE in " ".join(text.split()), name


@pytest.mark.parametrize("name", ["ARCHITECTURE.md", "CONTRIBUTING.md"])
def test_the_files_a_contributor_page_names_exist(name: str) -> None:
    text = (ROOT / name).read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:desugar|tests|fixtures|bench|examples|docs)/[\w/.]+)", text))
    named |= set(re.findall(r"\]\(((?:docs/)?[\w.]+\.md)\)", text))
    assert len(named) > 10, named
    placeholders = {"fixtures/mine/", "desugar/compiler/styles/mine.py"}
    # (a name ending in "_" is a pattern: `fixtures/NN_<form>.py`)
    missing = sorted(
        p for p in named - placeholders if not p.endswith("_") and not (ROOT / p).exists()
    )
    assert missing == [], f"{name} names files that do not exist: {missing}"
