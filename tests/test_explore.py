"""``desugar explore``: the page's structure and links, read from its HTML; the live server's
token and binding; and the page in a real browser (the system's Chromium, driven by Selenium).

``DESUGAR_UPDATE_SCREENSHOTS=1`` writes the screenshots the README and docs/explore.md show
(docs/img/explore-light.png, explore-dark.png); otherwise they go to a temporary directory.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pytest

from desugar import explore
from desugar.mode import LOWERINGS, STYLES

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "async_stack_traces.py"
LARGER = ROOT / "tests" / "corpus" / "129_big_producer_consumer_spawn.py"

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Page(HTMLParser):
    """The elements of a page (tag, attributes, text), and any tag left open or closed unopened."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.problems: list[str] = []
        self.stack: list[str] = []
        self.feed(text)
        self.close()
        if self.stack:
            self.problems.append(f"left open: {self.stack}")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()

    def ids(self) -> set[str]:
        return {a["id"] for _, a in self.elements if a.get("id")}

    def having(self, attr: str) -> list[dict[str, str | None]]:
        return [a for _, a in self.elements if attr in a]


def _explore(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-m", "desugar", "explore", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def run_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The article's example's page, run (``--run``): made once for the tests that read it."""
    out = tmp_path_factory.mktemp("explore") / "example.html"
    done = _explore("examples/async_stack_traces.py", "--run", "-o", str(out), cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return out


# ---------------------------------------------------------------------------
# The page, parsed


@pytest.mark.parametrize("program", [EXAMPLE, LARGER], ids=["article", "larger"])
def test_every_mapped_output_line_links_to_an_existing_source_line(program: Path) -> None:
    source = program.read_text(encoding="utf-8")
    parsed = Page(explore.page(source, str(program)))
    assert parsed.problems == []
    ids = parsed.ids()
    count = len(source.splitlines())
    assert {f"s-{n}" for n in range(1, count + 1)} <= ids
    for vid, _, _ in explore.variants():
        lines = [a for a in parsed.having("data-src") if a["id"].startswith(f"{vid}-L")]
        assert lines, vid
        for attrs in lines:
            assert f"s-{attrs['data-src']}" in ids, (vid, attrs)
        # each await's poll loop is marked in each variant
        loops = {a["data-loop"] for a in parsed.having("data-loop") if a["id"].startswith(f"{vid}-L")}
        awaited = {str(n) for n, line in enumerate(source.splitlines(), 1) if "await " in line
                   and not line.lstrip().startswith("#")}
        assert awaited <= loops, (vid, awaited - loops)


def test_the_page_holds_every_variant_of_the_registry_and_its_selectors() -> None:
    parsed = Page(explore.page(EXAMPLE.read_text(encoding="utf-8"), "example.py"))
    variants = {a["data-variant"] for a in parsed.having("data-variant")}
    assert variants == {"poll", "poll-hir", "poll-yield-from", "callback", "callback-async-stacks"}
    assert len(explore.variants()) == len(STYLES) + len(LOWERINGS) - 1
    options = [(a.get("value")) for tag, a in parsed.elements if tag == "option"]
    assert options == [*LOWERINGS, *STYLES]
    config = json.loads(explore.page("x = 1\n", "x.py").split('id="config">')[1].split("</script>")[0])
    assert config["variants"]["poll-hir"] == {"lowering": "poll", "style": "hir"}


def test_source_and_output_lines_of_one_await_share_a_colour_band() -> None:
    source = EXAMPLE.read_text(encoding="utf-8")
    parsed = Page(explore.page(source, "example.py"))
    by_id = {a["id"]: a for _, a in parsed.elements if a.get("id")}
    band = by_id["s-22"]["class"]
    assert band.startswith("line b")
    partners = [a for a in parsed.having("data-src") if a["data-src"] == "22" and a["id"].startswith("poll-L")]
    assert len(partners) == 5  # the comment, the awaitee, the loop's two lines, the del
    assert {a["class"] for a in partners} == {band}
    assert by_id["s-21"]["class"] != band  # neighbours differ


def _html5_errors(text: str) -> list:
    """The parse errors the WHATWG HTML parser (html5lib) finds in ``text``."""
    import html5lib

    parser = html5lib.HTMLParser()
    parser.parse(text)
    return parser.errors


@pytest.mark.parametrize("live", [False, True], ids=["static", "served"])
def test_the_page_parses_as_html5_without_an_error(live: bool) -> None:
    source = LARGER.read_text(encoding="utf-8")
    assert _html5_errors(explore.page(source, "larger.py", token="t" if live else None)) == []


def test_the_page_fetches_nothing(run_page: Path) -> None:
    parsed = Page(run_page.read_text(encoding="utf-8"))
    assert parsed.problems == []
    assert _html5_errors(run_page.read_text(encoding="utf-8")) == []  # (with its SVG figures)
    for tag, attrs in parsed.elements:
        fetched = attrs.get("src") or (attrs.get("href") if tag == "link" else None)
        assert fetched is None or fetched.startswith("data:"), (tag, attrs)
        assert not (tag == "script" and attrs.get("src")), attrs
        for name, value in attrs.items():
            if name != "xmlns" and value and ("://" in value or value.startswith("//")):
                pytest.fail(f"<{tag} {name}={value!r}>")
    assert "url(" not in run_page.read_text(encoding="utf-8").split("<style>")[1].split("</style>")[0]


def test_run_shows_output_frames_tracebacks_and_the_diagram_per_column(run_page: Path) -> None:
    text = run_page.read_text(encoding="utf-8")
    parsed = Page(text)
    columns = [a["data-column"] for a in parsed.having("data-column")]
    assert columns == ["native", "poll", "callback", "callback-async-stacks"]
    assert text.count('<svg xmlns="http://www.w3.org/2000/svg"') == 4
    assert "It fails with <code>RuntimeError: nested async panic!</code>" in text
    # the frames at the failure: the poll lowering keeps foo and bar below blow_up
    frames = text.split('class="frames"')[1].split('<details')[0]
    poll = frames.split("<h3>poll</h3>")[1].split("</ol>")[0]
    assert [piece.split(":<a")[0] for piece in poll.split("<li>")[1:]] == ["blow_up", "bar", "foo"]
    callback = frames.split("<h3>callback</h3>")[1].split("</ol>")[0]
    assert callback.count("<li>") == 1
    # traceback frames link to their source lines
    links = {a["data-line"] for a in parsed.having("data-line") if "srcref" in (a.get("class") or "")}
    assert {"17", "22", "27", "32", "39"} <= links


def test_without_pygments_the_page_works_uncoloured_and_the_command_says_how(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(explore, "have_pygments", lambda: False)
    text = explore.page(EXAMPLE.read_text(encoding="utf-8"), "example.py")
    parsed = Page(text)
    assert parsed.problems == []
    assert 'class="k"' not in text and 'class="await"' in text
    from click.testing import CliRunner

    result = CliRunner().invoke(explore.explore_command, [str(EXAMPLE), "-o", str(tmp_path / "p.html")])
    assert result.exit_code == 0
    assert result.output.startswith(
        "desugar explore: no syntax colours: Pygments is not installed (pip install 'desugar[explore]')\n"
    )


@pytest.mark.parametrize(("args", "message"), [
    (["--serve", "-o", "p.html"], "--serve writes no page: drop -o and --run (the page has a Run button)"),
    (["--no-browser"], "--no-browser goes with --serve"),
    ([], "give FILE (or --serve)"),
])
def test_options_that_do_not_go_together_are_usage_errors(args: list[str], message: str) -> None:
    from click.testing import CliRunner

    named = [str(EXAMPLE)] if args and args[0] == "--no-browser" else []
    result = CliRunner().invoke(explore.explore_command, [*named, *args])
    assert result.exit_code == 2
    assert f"Error: {message}" in result.output


def test_a_latin_1_source_with_crlf_lines_is_read_as_python_reads_it(tmp_path: Path) -> None:
    program = tmp_path / "old.py"
    program.write_bytes("# -*- coding: latin-1 -*-\r\nasync def f():\r\n    return 'caf\xe9'\r\n".encode("latin-1"))
    done = _explore("old.py", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "old.html").read_text(encoding="utf-8")
    assert "caf\xe9" in text and "\r" not in text.split("<main")[1]


def test_a_source_desugar_refuses_is_reported_at_file_line_col(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("async def f():\n    _ds_x = await g()\n", encoding="utf-8")
    done = _explore("bad.py", cwd=tmp_path)
    assert done.returncode == 1
    assert "Error: bad.py:2:5: the name '_ds_x' uses the prefix '_ds_'" in done.stderr
    assert not (tmp_path / "bad.html").exists()


# ---------------------------------------------------------------------------
# The live server


@pytest.fixture
def server(tmp_path: Path):
    served = explore.make_server(EXAMPLE.read_text(encoding="utf-8"), "example.py", "s3cret", str(tmp_path))
    thread = threading.Thread(target=served.serve_forever, daemon=True)
    thread.start()
    yield served
    served.shutdown()
    served.server_close()


def _status(url: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> int:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_server_binds_127_0_0_1_and_answers_only_with_its_token(server) -> None:
    host, port = server.server_address
    assert host == "127.0.0.1" and port > 0
    base = f"http://127.0.0.1:{port}"
    assert _status(f"{base}/") == 403
    assert _status(f"{base}/?token=wrong") == 403
    assert _status(f"{base}/?token=s3cret") == 200
    body = json.dumps({"source": "async def f():\n    await g()\n"}).encode()
    assert _status(f"{base}/translate", body) == 403
    assert _status(f"{base}/run", body, {"X-Desugar-Token": "nope"}) == 403
    assert _status(f"{base}/translate", body, {"X-Desugar-Token": "s3cret"}) == 200


def test_the_server_translates_and_locates_errors(server) -> None:
    url = f"http://127.0.0.1:{server.server_address[1]}/translate"

    def post(source: str) -> dict:
        request = urllib.request.Request(url, json.dumps({"source": source}).encode(),
                                         {"X-Desugar-Token": "s3cret"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    got = post("async def f():\n    await g()\n")
    assert got["error"] is None and set(got["variants"]) == {v for v, _, _ in explore.variants()}
    assert 'data-loop="2"' in got["variants"]["poll"]
    got = post("async def f():\n    _ds_x = await g()\n")
    assert got["error"].startswith("example.py:2:5: the name '_ds_x' uses the prefix '_ds_'")
    assert (got["line"], got["col"]) == (2, 5)


def test_the_server_runs_the_edited_source_under_each_lowering(server) -> None:
    url = f"http://127.0.0.1:{server.server_address[1]}/run?token=s3cret"
    program = ("import asyncio\n\n\nasync def inner():\n    raise ValueError('boom')\n\n\n"
               "async def outer():\n    await inner()\n\n\nprint('start')\nasyncio.run(outer())\n")
    request = urllib.request.Request(url, json.dumps({"source": program}).encode())
    with urllib.request.urlopen(request, timeout=120) as response:
        shown = json.load(response)["run"]
    assert "It fails with <code>ValueError: boom</code>" in shown
    parsed = Page(shown)
    assert [a["data-column"] for a in parsed.having("data-column")] == [
        "native", "poll", "callback", "callback-async-stacks"]
    assert shown.count('<pre class="out">start\n</pre>') == 4
    links = {a["data-line"] for a in parsed.having("data-line")}
    assert {"5", "9", "13"} <= links  # raise, await inner(), asyncio.run(...)
    assert _status(url, b"not json") == 400


def test_serve_prints_a_127_0_0_1_url_with_a_token(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    process = subprocess.Popen([sys.executable, "-m", "desugar", "explore", "--serve", "--no-browser"],
                               cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        first = process.stderr.readline()
        assert first == "desugar explore: serving example.py at\n"
        url = process.stderr.readline().strip()
        assert url.startswith("http://127.0.0.1:") and "/?token=" in url
        base, token = url.split("/?token=")
        assert len(token) >= 32
        assert _status(url) == 200
        assert _status(base + "/") == 403
    finally:
        process.terminate()
        process.wait(timeout=10)


# ---------------------------------------------------------------------------
# In a browser: the system's Chromium (never a downloaded one), through Selenium


def _chromium() -> tuple[str, str] | None:
    browser = next(filter(None, map(shutil.which, ["chromium", "chromium-browser", "google-chrome"])), None)
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install '.[test]')")
    found = _chromium()
    if found is None:
        pytest.skip("no Chromium and chromedriver on PATH (apt-get install chromium chromium-driver)")
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # (Selenium Manager: never fetch a browser or driver)
    options = webdriver.ChromeOptions()
    options.binary_location = found[0]
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1366,820", "--force-color-profile=srgb"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(found[1]), options=options)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


def _highlighted(driver, container: str) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0] + ' .line.hl')).map(e => e.id)", container)


def _hover(driver, element_id: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(driver).move_to_element(driver.find_element("id", element_id)).perform()


def test_browser_hovering_a_source_line_lights_its_output_lines(browser, run_page: Path) -> None:
    browser.get(run_page.as_uri())
    _hover(browser, "s-22")
    assert _highlighted(browser, "#v-poll") == [f"poll-L{n}" for n in range(37, 42)]
    assert _highlighted(browser, "#source") == ["s-22"]
    _hover(browser, "poll-L47")  # an output line lights its source line and its siblings
    assert _highlighted(browser, "#source") == ["s-26"]
    assert _highlighted(browser, "#v-poll") == [f"poll-L{n}" for n in range(46, 51)]
    assert browser.get_log("browser") == []


def test_browser_a_larger_program_links_both_ways_and_clicks_scroll(browser, tmp_path: Path) -> None:
    page = tmp_path / "larger.html"
    page.write_text(explore.page(LARGER.read_text(encoding="utf-8"), "larger.py"), encoding="utf-8")
    browser.get(page.as_uri())
    awaits = [n for n, line in enumerate(LARGER.read_text(encoding="utf-8").splitlines(), 1)
              if "await " in line]
    last = awaits[-1]
    browser.find_element("id", f"s-{last}").click()
    lit = _highlighted(browser, "#v-poll")
    assert lit and all(browser.find_element("id", i).get_attribute("data-src") == str(last) for i in lit)
    visible = browser.execute_script(
        "var box = document.getElementById('output-scroll').getBoundingClientRect();"
        "var r = document.getElementById(arguments[0]).getBoundingClientRect();"
        "return r.top >= box.top && r.bottom <= box.bottom", lit[0])
    assert visible  # scrolled into view
    assert browser.find_element("id", "status").get_attribute("textContent") == (
        f"source line {last}: {len(lit)} lines of the translation")
    first = browser.find_element("css selector", '#v-poll .line[data-src="1"]')
    first.click()  # an output line: its source line is lit and current
    assert _highlighted(browser, "#source") == ["s-1"]
    assert browser.find_element("css selector", "#source .line.cur").get_attribute("id") == "s-1"


def test_browser_switching_the_lowering_shows_its_translation(browser, run_page: Path) -> None:
    from selenium.webdriver.support.ui import Select

    browser.get(run_page.as_uri())
    assert browser.find_element("id", "v-poll").is_displayed()
    Select(browser.find_element("id", "lowering")).select_by_value("callback")
    assert not browser.find_element("id", "v-poll").is_displayed()
    assert browser.find_element("id", "v-callback").is_displayed()
    assert not browser.find_element("id", "style").is_enabled()
    _hover(browser, "s-22")
    lit = _highlighted(browser, "#v-callback")
    assert len(lit) == 3 and "callback_await(blow_up())" in browser.find_element("id", lit[1]).text
    Select(browser.find_element("id", "lowering")).select_by_value("poll")
    Select(browser.find_element("id", "style")).select_by_value("hir")
    assert browser.find_element("id", "v-poll-hir").is_displayed()


def test_browser_keys_move_between_linked_lines_and_an_await_goes_to_its_loop(browser, run_page: Path) -> None:
    from selenium.webdriver.common.keys import Keys

    browser.get(run_page.as_uri())
    body = browser.find_element("tag name", "body")
    body.send_keys("j")
    first = browser.execute_script("return document.querySelector('#source .line.cur').id")
    body.send_keys("j", Keys.ARROW_DOWN, "k")
    second = browser.execute_script("return document.querySelector('#source .line.cur').id")
    assert int(second[2:]) > int(first[2:])
    browser.find_element("css selector", "#s-17 a.await").click()
    loop = browser.execute_script("return document.querySelector('#v-poll .line.cur').id")
    assert loop == "poll-L23"  # "# line 17: await bar()", the loop's first line
    assert "line 17: await bar()" in browser.find_element("id", loop).text


def test_browser_run_results_and_the_diagram_are_on_the_page(browser, run_page: Path, tmp_path: Path) -> None:
    browser.get(run_page.as_uri())
    poll = browser.find_element("css selector", 'details[data-column="poll"]')
    assert poll.get_attribute("open") == "true"
    figure = poll.find_element("css selector", "figure.diagram svg")
    assert figure.size["width"] > 200 and "blow_up" in figure.text
    poll.find_element("css selector", 'a.srcref[data-line="27"]').click()
    assert _highlighted(browser, "#source") == ["s-27"]
    _screenshots(browser, tmp_path)


def _screenshots(driver, tmp_path: Path) -> None:
    """The README's pictures: the page light and dark, a line hovered."""
    target = ROOT / "docs" / "img" if os.environ.get("DESUGAR_UPDATE_SCREENSHOTS") else tmp_path
    target.mkdir(exist_ok=True)
    driver.execute_script("window.scrollTo(0, 0)")
    for theme in ("light", "dark"):
        driver.execute_script("document.documentElement.setAttribute('data-theme', arguments[0])", theme)
        _hover(driver, "s-22")
        path = target / f"explore-{theme}.png"
        assert driver.save_screenshot(str(path))
        assert path.stat().st_size > 20_000
    assert driver.execute_script("return document.documentElement.scrollWidth") <= 1366  # no overflow


def test_browser_the_served_editor_translates_as_you_type(browser, server) -> None:
    from selenium.webdriver.common.keys import Keys

    browser.get(f"http://127.0.0.1:{server.server_address[1]}/?token=s3cret")
    editor = browser.find_element("id", "editor")
    before = len(browser.find_elements("css selector", '#v-poll .line[data-loop]'))
    editor.send_keys(Keys.CONTROL, Keys.END)
    editor.send_keys("\n\nasync def more():\n    await sleep(1)\n")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if len(browser.find_elements("css selector", '#v-poll .line[data-loop]')) == before + 1:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the translation did not follow the edit")
    assert browser.find_element("id", "error").is_displayed() is False
    editor.send_keys("async def bad():\n    _ds_x = await g()\n")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not browser.find_element("id", "error").is_displayed():
        time.sleep(0.1)
    error = browser.find_element("id", "error").text
    assert error.startswith("example.py:45:5: the name '_ds_x' uses the prefix '_ds_'"), error
    assert browser.get_log("browser") == []
