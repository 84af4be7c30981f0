"""``desugar explore``: a program and its translation side by side, line linked, in one HTML page.

``desugar explore FILE -o page.html`` writes one self-contained page (its CSS
and script inline, nothing fetched): the source on the left, the translation
on the right, with a selector for the lowering and the poll lowering's style,
every variant of `desugar.mode`'s registry precomputed. The translation shown
is the one the import hook compiles (unformatted: its line map,
`desugar.compiler.translate_with_lines`, is exact), so each source line and
the output lines it became share a colour band; hovering or clicking either
side lights its partners, and an ``await`` links to its poll loop.

``--run`` runs the program natively and under each lowering and adds what
`desugar.compare` records (the output, the async frames live at the failure)
and, per lowering, the traceback and the stack-over-time figure that
`desugar.diagram` draws, each frame linked to its source line.

``--serve`` serves the page live on 127.0.0.1 (`serve`): the source is an
editor, the translation follows as you type, and Run runs it. Every request
must carry the per-run token printed with the URL, as Jupyter's does.

Syntax colours come from Pygments (``pip install 'desugar[explore]'``);
without it the page works, uncoloured.
"""

from __future__ import annotations

import html
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import click

from desugar.mode import LOWERINGS, POLL, STYLES, Mode

#: How to get syntax colours when Pygments is missing.
PYGMENTS_HINT = "no syntax colours: Pygments is not installed (pip install 'desugar[explore]')"

#: Colour bands: a source line's band is its rank among the linked lines, modulo this.
BANDS = 6

_LOOP_COMMENT = re.compile(r"\s*# line (\d+): ")
_RUNTIME_IMPORT = "import desugar.runtime as _ds_rt"


def variants() -> list[tuple[str, Mode, str]]:
    """Every lowering and style of the registry: (id, mode, label), the default first."""
    found = []
    for lowering in LOWERINGS:
        if lowering == POLL:
            for style in STYLES:
                found.append((f"{lowering}-{style}" if style != POLL else POLL, Mode(lowering, style),
                              f"lowering {lowering}, style {style}"))
        else:
            found.append((lowering, Mode(lowering), f"lowering {lowering}"))
    return found


# ---------------------------------------------------------------------------
# Highlighting


def have_pygments() -> bool:
    try:
        import pygments  # noqa: F401
    except ImportError:
        return False
    return True


def highlight_lines(text: str) -> list[str]:
    """``text`` as HTML, one string per line; Pygments' token classes when it is there.

    An ``await`` keyword becomes ``<a class="await">`` (a link to its poll loop).
    """
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    if not have_pygments():
        return [_await_links(html.escape(line, quote=False)) for line in lines]
    from pygments.lexers import PythonLexer
    from pygments.token import STANDARD_TYPES

    out = [""]
    for token, value in PythonLexer(stripnl=False, ensurenl=False).get_tokens(text):
        while token not in STANDARD_TYPES:
            token = token.parent
        css = STANDARD_TYPES[token]
        for i, piece in enumerate(value.split("\n")):
            if i:
                out.append("")
            if not piece:
                continue
            escaped = html.escape(piece, quote=False)
            if piece == "await" and css == "k":
                out[-1] += f'<a class="await k" href="#" title="go to its poll loop">{escaped}</a>'
            elif css:
                out[-1] += f'<span class="{css}">{escaped}</span>'
            else:
                out[-1] += escaped
    return out[: len(lines)] + [""] * (len(lines) - len(out))


def _await_links(escaped: str) -> str:
    return re.sub(
        r"\bawait\b", '<a class="await" href="#" title="go to its poll loop">await</a>', escaped
    )


def style_css() -> str:
    """Pygments' light and dark styles, scoped to the page's theme."""
    if not have_pygments():
        return ""
    from pygments.formatters import HtmlFormatter

    parts = []
    for theme, style in (("light", "default"), ("dark", "github-dark")):
        try:
            formatter = HtmlFormatter(style=style)
        except Exception:  # (an older Pygments without the style)
            formatter = HtmlFormatter(style="monokai")
        defs = formatter.get_style_defs(f"[data-theme={theme}] .code")
        # Only the token colours: the page draws its own backgrounds.
        parts.extend(line for line in defs.splitlines() if not re.match(r".*\.code\s*(\.hll|\{|pre|\.linenos|td|span\.linenos)", line))
    return "\n".join(parts)


# ---------------------------------------------------------------------------
# Translating


class Translated:
    """One variant: its output lines and, for each, the source line it came from (0: none)."""

    def __init__(self, lines: list[str], origins: list[int]) -> None:
        self.lines = lines
        self.origins = origins


def translate(source: str, name: str, mode: Mode) -> Translated:
    """The translation the hook compiles and its line map (a TranslateError if refused).

    Blank lines and the runtime's import stand for no source line; a
    generated decorator, for the ``def`` it decorates.
    """
    from desugar.compiler import translate_with_lines

    done = translate_with_lines(source, name, mode=mode)
    if done is None:  # nothing to translate: the module as it is
        lines = source.split("\n")
        if source.endswith("\n"):
            lines.pop()
        return Translated(lines, list(range(1, len(lines) + 1)))
    code, origins = done
    lines = code.split("\n")
    if code.endswith("\n"):
        lines.pop()
    origins = list(origins[: len(lines)]) + [0] * (len(lines) - len(origins))
    for i in range(len(lines) - 1, -1, -1):
        text = lines[i].strip()
        if not text or text == _RUNTIME_IMPORT:
            origins[i] = 0
        elif text.startswith("@_ds_rt.") and i + 1 < len(lines):
            origins[i] = origins[i + 1]
    return Translated(lines, origins)


# ---------------------------------------------------------------------------
# The page's parts


def _bands(variants_: dict[str, Translated]) -> dict[int, int]:
    linked = sorted({n for t in variants_.values() for n in t.origins if n})
    return {n: k % BANDS for k, n in enumerate(linked)}


def _line(id_: str, number: int, text: str, band: int | None, attrs: str) -> str:
    cls = "line" if band is None else f"line b{band}"
    return (f'<div class="{cls}" id="{id_}" {attrs}><span class="ln" aria-hidden="true">{number}</span>'
            f'<span class="tx">{text or " "}</span></div>')


def source_html(source: str, bands: dict[int, int]) -> str:
    """The source pane's lines (``id="s-N"``, ``data-line="N"``)."""
    rows = []
    for number, text in enumerate(highlight_lines(source), 1):
        rows.append(_line(f"s-{number}", number, text, bands.get(number), f'data-line="{number}"'))
    return "\n".join(rows)


def variant_html(vid: str, translated: Translated, bands: dict[int, int]) -> str:
    """One variant's lines (``data-src`` = the source line; a poll loop's first line ``data-loop``)."""
    rows = []
    seen_loops = set()
    for number, (text, origin) in enumerate(zip(highlight_lines("\n".join(translated.lines) + "\n"),
                                                translated.origins), 1):
        attrs = f'data-src="{origin}"' if origin else ""
        match = _LOOP_COMMENT.match(translated.lines[number - 1])
        if match and origin and origin not in seen_loops:
            seen_loops.add(origin)
            attrs += f' data-loop="{origin}"'
        rows.append(_line(f"{vid}-L{number}", number, text, bands.get(origin) if origin else None, attrs))
    return "\n".join(rows)


def render_panes(source: str, name: str) -> dict[str, Any]:
    """The source's HTML and each variant's (a TranslateError if the source is refused)."""
    done = {vid: translate(source, name, mode) for vid, mode, _ in variants()}
    bands = _bands(done)
    return {
        "source": source_html(source, bands),
        "variants": {vid: variant_html(vid, t, bands) for vid, t in done.items()},
    }


# ---------------------------------------------------------------------------
# Running: compare's frames, diagram's traceback and figure


_FILE_LINE = re.compile(r'File "([^"]+)", line (\d+)')
_AT_LINE = re.compile(r"(\bat |, )((?:[^\s,']+)\.py):(\d+)")


def _linked(text: str, script: str) -> str:
    """``text`` escaped, its ``File "SCRIPT", line N`` and ``at SCRIPT:N`` linked to source line N."""
    real = os.path.realpath(script)

    def ours(path: str) -> bool:
        return os.path.realpath(path) == real

    out = []
    for line in text.split("\n"):
        escaped = html.escape(line, quote=False)
        match = _FILE_LINE.search(line)
        if match and ours(match.group(1)):
            n = match.group(2)
            escaped = html.escape(line[: match.start()], quote=False) + (
                f'<a class="srcref" href="#s-{n}" data-line="{n}">'
                f"{html.escape(match.group(0), quote=False)}</a>"
            ) + html.escape(line[match.end():], quote=False)
        else:
            match = _AT_LINE.search(line)
            if match and ours(match.group(2)):
                n = match.group(3)
                escaped = html.escape(line[: match.start(2)], quote=False) + (
                    f'<a class="srcref" href="#s-{n}" data-line="{n}">'
                    f"{html.escape(match.group(2) + ':' + n, quote=False)}</a>"
                ) + html.escape(line[match.end():], quote=False)
        out.append(escaped)
    return "\n".join(out)


def _frame_link(frame: str) -> str:
    name, _, line = frame.rpartition(":")
    if not line.isdigit():
        return html.escape(frame)
    return (f'{html.escape(name)}:<a class="srcref" href="#s-{line}" data-line="{line}">{line}</a>')


def _diagram(column: str, script: str, timeout: float) -> tuple[str, str, str]:
    """`desugar diagram` run on ``script`` under ``column``: its stdout, stderr and SVG."""
    from desugar.compare import PACKAGE_ROOT

    with tempfile.TemporaryDirectory() as tmp:
        svg = os.path.join(tmp, "figure.svg")
        text = os.path.join(tmp, "figure.txt")
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [PACKAGE_ROOT, *filter(None, [os.environ.get("PYTHONPATH")])]))
        command = [sys.executable, "-m", "desugar", "diagram", "--lowering", column,
                   "--svg", svg, "-o", text, script]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)
        except subprocess.TimeoutExpired:
            return "", f"still running after {timeout:g} s: ended", ""
        figure = ""
        if os.path.exists(svg):
            with open(svg, encoding="utf-8") as file:
                figure = file.read()
        return done.stdout, done.stderr, figure


def run_results(script: str, timeout: float = 60.0) -> list[dict[str, Any]]:
    """Each column of `desugar.compare` (native, then each lowering): what a run showed."""
    from desugar.compare import COLUMNS, Hung, run_once

    results = []
    for column in COLUMNS:
        try:
            seen, stdout = run_once("frames", column, script, (), timeout)
        except Hung as error:
            seen, stdout = {"status": "timeout", "error": error.message}, ""
        except click.ClickException as error:
            seen, stdout = {"status": "failed", "error": error.message}, ""
        _out, stderr, svg = _diagram(column, script, timeout)
        results.append({"column": column, "seen": seen, "stdout": stdout, "stderr": stderr, "svg": svg})
    return results


def run_html(results: list[dict[str, Any]], script: str) -> str:
    """The run section: the frames at the failure side by side, then each column's output,
    traceback and stack over time."""
    parts = ['<h2 id="run-title">Run</h2>']
    native = results[0]["seen"]
    error = native.get("error")
    if error:
        parts.append(f'<p class="verdict">It fails with <code>{html.escape(error)}</code>. The async '
                     "frames live when it was raised, youngest first, per lowering:</p>")
    else:
        parts.append('<p class="verdict">The program does not fail: no frames to compare.</p>')
    if error:
        parts.append('<div class="frames" role="table" aria-label="async frames live at the failure">')
        for result in results:
            seen = result["seen"]
            frames = [_frame_link(f) for f in seen.get("frames", [])]
            frames += ["async " + _frame_link(f) for f in seen.get("async", [])]
            items = "".join(f"<li>{f}</li>" for f in frames) or "<li><em>none</em></li>"
            parts.append(f'<div class="fcol" role="cell"><h3>{html.escape(result["column"])}</h3>'
                         f"<ol>{items}</ol></div>")
        parts.append("</div>")
    for result in results:
        seen = result["seen"]
        column = html.escape(result["column"])
        same = result["stdout"] == results[0]["stdout"]
        parts.append(f'<details class="runcol" data-column="{column}"{" open" if result is results[1] else ""}>'
                     f"<summary>{column}: exit status {html.escape(str(seen.get('status')))}"
                     f"{'' if same else ' (output differs from native)'}</summary>")
        parts.append(f'<h4>Output</h4><pre class="out">{html.escape(result["stdout"]) or "<em>none</em>"}</pre>')
        if result["stderr"].strip():
            parts.append(f'<h4>Traceback</h4><pre class="tb">{_linked(result["stderr"].rstrip(), script)}</pre>')
        if result["svg"]:
            svg = result["svg"].split("?>", 1)[-1].strip() if result["svg"].startswith("<?xml") else result["svg"]
            parts.append(f'<h4>The stack over time</h4><figure class="diagram">{svg}</figure>')
        parts.append("</details>")
    return "\n".join(parts)


# ---------------------------------------------------------------------------
# The page


def page(
    source: str, name: str, *, panes: dict[str, Any] | None = None, run: str | None = None,
    token: str | None = None,
) -> str:
    """The whole page (``panes``: `render_panes`, if done). ``token``: served live, the source editable.

    A source that cannot be translated gives a page with the error (``file:line:col``) shown.
    """
    from desugar.errors import TranslateError

    error = None
    try:
        panes = panes or render_panes(source, name)
    except TranslateError as raised:
        error = _error_text(raised, name, source)
        panes = {"source": source_html(source, {}), "variants": {vid: "" for vid, _, _ in variants()}}
    lowerings = "".join(f'<option value="{html.escape(k)}">{html.escape(k)}</option>' for k in LOWERINGS)
    styles = "".join(f'<option value="{html.escape(k)}">{html.escape(k)}</option>' for k in STYLES)
    table = {vid: {"lowering": mode.lowering, "style": mode.style} for vid, mode, _ in variants()}
    outputs = "\n".join(
        f'<div class="code variant" id="v-{vid}" data-variant="{vid}" role="region" '
        f'aria-label="translation, {html.escape(label)}" tabindex="0"{"" if i == 0 else " hidden"}>'
        f"{panes['variants'][vid]}</div>"
        for i, (vid, _, label) in enumerate(variants())
    )
    live = token is not None
    editor = (
        '<textarea id="editor" class="editor" spellcheck="false" autocapitalize="off" '
        f'aria-label="source, editable" wrap="off">{html.escape(source)}</textarea>' if live else ""
    )
    config = {"variants": table, "poll": POLL, "live": live, "token": token or ""}
    run_button = ('<button type="button" id="run-button">Run</button>' if live else "")
    return _TEMPLATE.format(
        title=html.escape(name),
        css=_CSS + style_css(),
        js=_JS,
        lowerings=lowerings,
        styles=styles,
        source=panes["source"],
        editor=editor,
        outputs=outputs,
        config=json.dumps(config).replace("</", "<\\/"),
        run=run or "",
        run_hidden="" if run else " hidden",
        run_button=run_button,
        error=html.escape(error or ""),
        error_hidden="" if error else " hidden",
        live_class=" live" if live else "",
    )


def _error_text(error: Exception, name: str, source: str) -> str:
    """A TranslateError as the command line prints it (``file:line:col: message``, the line, a caret)."""
    if getattr(error, "filename", None) != name or not getattr(error, "source_line", ""):
        error.located(name, source)  # type: ignore[attr-defined]
    return str(error)


_TEMPLATE = """<!DOCTYPE html>
<html lang="en" data-theme="light">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>desugar explore: {title}</title>
<link rel="icon" href="data:,">
<script>
(function () {{
  var saved = null;
  try {{ saved = localStorage.getItem("desugar-theme"); }} catch (e) {{}}
  var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  document.documentElement.setAttribute("data-theme", saved || (dark ? "dark" : "light"));
}})();
</script>
<style>
{css}
</style>
</head>
<body class="{live_class}">
<header>
<h1><span class="brand">desugar explore</span> <span class="file">{title}</span></h1>
<div class="controls">
<label>Lowering <select id="lowering" aria-label="lowering">{lowerings}</select></label>
<label>Style <select id="style" aria-label="style of the poll lowering">{styles}</select></label>
{run_button}
<button type="button" id="theme" aria-label="switch between dark and light">Dark/light</button>
</div>
</header>
<p id="error" class="error" role="alert"{error_hidden}>{error}</p>
<p id="status" class="visually-hidden" aria-live="polite"></p>
<main class="panes">
<section class="pane" aria-labelledby="source-title">
<h2 id="source-title">Source</h2>
<div class="scroll" id="source-scroll">
{editor}<div class="code" id="source" role="region" aria-label="source" tabindex="0">
{source}
</div>
</div>
</section>
<section class="pane" aria-labelledby="output-title">
<h2 id="output-title">Translation</h2>
<div class="scroll" id="output-scroll">
{outputs}
</div>
</section>
</main>
<section id="run" aria-labelledby="run-title"{run_hidden}>
{run}
</section>
<footer><p>Hover or click a line to light its partners; <kbd>j</kbd>/<kbd>k</kbd> or
<kbd>&darr;</kbd>/<kbd>&uarr;</kbd> move between linked lines, <kbd>Esc</kbd> clears; click an
<code>await</code> to go to its poll loop.</p></footer>
<script type="application/json" id="config">{config}</script>
<script>
{js}
</script>
</body>
</html>
"""

_CSS = """
:root { --bg:#fdfdfc; --fg:#1d1d1f; --muted:#6b6b73; --pane:#fff; --border:#d8d8de; --hl:#ffd24d;
  --b0:#e4f0ff; --b1:#fff0d9; --b2:#e3f7e6; --b3:#f7e4f4; --b4:#e6f6f8; --b5:#f3efdc; --err:#b00020; }
[data-theme=dark] { --bg:#16171b; --fg:#e6e6ea; --muted:#9a9aa6; --pane:#1d1f24; --border:#34363e; --hl:#b38600;
  --b0:#1f2c40; --b1:#3a2d18; --b2:#1c3322; --b3:#3a2236; --b4:#1b3438; --b5:#34301d; --err:#ff7a8a; }
* { box-sizing: border-box; }
html, body { margin:0; background:var(--bg); color:var(--fg);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
header { display:flex; flex-wrap:wrap; gap:.5rem 1.5rem; align-items:center; justify-content:space-between;
  padding:.5rem 1rem; border-bottom:1px solid var(--border); }
h1 { font-size:1.05rem; margin:0; } h1 .file { font-family:ui-monospace, monospace; color:var(--muted); font-weight:normal; }
h2 { font-size:.9rem; margin:.3rem .5rem; color:var(--muted); text-transform:uppercase; letter-spacing:.04em; }
.controls { display:flex; flex-wrap:wrap; gap:.75rem; align-items:center; }
select, button { font:inherit; color:var(--fg); background:var(--pane); border:1px solid var(--border);
  border-radius:6px; padding:.15rem .5rem; }
button { cursor:pointer; } :focus-visible { outline:2px solid #4a90e2; outline-offset:1px; }
select:disabled { opacity:.5; }
.panes { display:grid; grid-template-columns:minmax(0,1fr) minmax(0,1fr); gap:.5rem; padding:.5rem; }
@media (max-width: 800px) { .panes { grid-template-columns:minmax(0,1fr); } }
.pane { min-width:0; background:var(--pane); border:1px solid var(--border); border-radius:8px; }
.scroll { position:relative; overflow:auto; height:calc(100vh - 9rem); min-height:12rem; }
.code { font:13px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; padding:.25rem 0;
  min-width:max-content; outline-offset:-2px; }
.line { display:flex; white-space:pre; padding-right:1rem; border-left:3px solid transparent; }
.line.hl .ln { color:var(--fg); font-weight:600; }
.line .ln { flex:none; width:3.2em; padding-right:.8em; text-align:right; color:var(--muted); user-select:none; }
.line.b0 { background:var(--b0); } .line.b1 { background:var(--b1); } .line.b2 { background:var(--b2); }
.line.b3 { background:var(--b3); } .line.b4 { background:var(--b4); } .line.b5 { background:var(--b5); }
.line.hl { border-left-color:var(--hl); box-shadow:inset 0 0 0 999px color-mix(in srgb, var(--hl) 50%, transparent); }
.line.cur { border-left-color:#4a90e2; }
.line[data-line], .line[data-src] { cursor:pointer; }
a.await { color:inherit; text-decoration:underline dotted; }
.editor { position:absolute; top:0; left:0; z-index:1; margin:0; border:0; resize:none; overflow:hidden;
  background:transparent; color:transparent; caret-color:var(--fg); white-space:pre;
  font:13px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  padding:.25rem 1rem .25rem calc(3.2em + 3px); width:100%; min-height:100%; outline:none; }
.editor::selection { background:color-mix(in srgb, #4a90e2 35%, transparent); color:transparent; }
.error { margin:.5rem; padding:.5rem .75rem; border:1px solid var(--err); color:var(--err); border-radius:6px;
  white-space:pre-wrap; font:13px/1.4 ui-monospace, monospace; }
.error[hidden] { display:none; }
#run { padding:0 .75rem 1rem; }
.frames { display:grid; grid-template-columns:repeat(auto-fit, minmax(12rem, 1fr)); gap:.5rem; }
.fcol { background:var(--pane); border:1px solid var(--border); border-radius:8px; padding:.25rem .75rem; }
.fcol h3 { font-size:.9rem; margin:.25rem 0; } .fcol ol { margin:0; padding-left:1.3rem; font:13px/1.5 ui-monospace, monospace; }
details.runcol { margin:.5rem 0; background:var(--pane); border:1px solid var(--border); border-radius:8px; padding:.25rem .75rem; }
details.runcol summary { cursor:pointer; font-weight:600; }
pre.out, pre.tb { overflow:auto; font:12.5px/1.45 ui-monospace, monospace; margin:.25rem 0; }
figure.diagram { margin:.25rem 0; overflow:auto; background:#fff; border-radius:6px; }
a.srcref { color:#2f6fd0; } [data-theme=dark] a.srcref { color:#7fb0ff; }
footer { color:var(--muted); font-size:.85rem; padding:0 1rem .75rem; }
.visually-hidden { position:absolute; width:1px; height:1px; overflow:hidden; clip:rect(0 0 0 0); white-space:nowrap; }
kbd { border:1px solid var(--border); border-radius:4px; padding:0 .3em; font-size:.85em; }
"""

_JS = r"""
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("config").textContent);
  var lowering = document.getElementById("lowering");
  var style = document.getElementById("style");
  var sourceBox = document.getElementById("source");
  var sourceScroll = document.getElementById("source-scroll");
  var outputScroll = document.getElementById("output-scroll");
  var editor = document.getElementById("editor");
  var errorBox = document.getElementById("error");
  var selected = 0;

  function current() {
    var l = lowering.value, s = l === config.poll ? style.value : null;
    for (var id in config.variants) {
      var v = config.variants[id];
      if (v.lowering === l && v.style === s) return document.getElementById("v-" + id);
    }
    return null;
  }
  function showVariant() {
    style.disabled = lowering.value !== config.poll;
    var shown = current();
    document.querySelectorAll(".variant").forEach(function (el) { el.hidden = el !== shown; });
    if (selected) light(selected, true);
  }
  function reveal(scroller, el) {
    if (!el) return;
    var box = scroller.getBoundingClientRect(), r = el.getBoundingClientRect();
    if (r.top < box.top || r.bottom > box.bottom) {
      scroller.scrollTop += r.top - box.top - scroller.clientHeight / 3;
    }
  }
  function clear() {
    document.querySelectorAll(".line.hl, .line.cur").forEach(function (el) {
      el.classList.remove("hl"); el.classList.remove("cur");
    });
  }
  // Light source line n and its output lines; scroll the side(s) not under the pointer.
  function light(n, scrollBoth, from) {
    clear();
    if (!n) return;
    var src = document.getElementById("s-" + n), out = current();
    var partners = out ? out.querySelectorAll('.line[data-src="' + n + '"]') : [];
    if (src) src.classList.add("hl");
    partners.forEach(function (el) { el.classList.add("hl"); });
    if (from !== "source" && src) reveal(sourceScroll, src);
    if (from !== "output" && partners.length) reveal(outputScroll, partners[0]);
    return partners;
  }
  function select(n, from) {
    selected = n;
    var partners = light(n, true, from) || [];
    var src = document.getElementById("s-" + n);
    if (src) src.classList.add("cur");
    document.getElementById("status").textContent = "source line " + n + ": " + partners.length +
      " line" + (partners.length === 1 ? "" : "s") + " of the translation";
  }
  function lineOf(target) {
    var el = target.closest && target.closest(".line");
    if (!el) return 0;
    return +(el.getAttribute("data-line") || el.getAttribute("data-src") || 0);
  }
  document.addEventListener("mouseover", function (e) {
    var el = e.target.closest && e.target.closest(".line");
    if (!el) return;
    var side = el.hasAttribute("data-line") ? "source" : "output";
    var n = lineOf(e.target);
    if (n) light(n, false, side); else if (selected) select(selected, side);
  });
  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("a.await");
    if (a) {
      e.preventDefault();
      var n = lineOf(a), out = current();
      select(n, "source");
      var loop = out && out.querySelector('[data-loop="' + n + '"]');
      if (loop) { reveal(outputScroll, loop); loop.classList.add("cur"); }
      return;
    }
    var ref = e.target.closest && e.target.closest("a.srcref");
    if (ref) {
      e.preventDefault();
      select(+ref.getAttribute("data-line"));
      sourceScroll.scrollIntoView({block: "nearest"});
      return;
    }
    var el = e.target.closest && e.target.closest(".line");
    if (el) {
      var n = lineOf(e.target);
      if (n) select(n, el.hasAttribute("data-line") ? "source" : "output");
    }
  });
  function linkedLines() {
    var seen = {}, out = current(), lines = [];
    if (!out) return lines;
    out.querySelectorAll(".line[data-src]").forEach(function (el) {
      var n = +el.getAttribute("data-src");
      if (!seen[n]) { seen[n] = true; lines.push(n); }
    });
    return lines.sort(function (a, b) { return a - b; });
  }
  function step(delta) {
    var lines = linkedLines();
    if (!lines.length) return;
    var i = lines.indexOf(selected);
    if (i < 0) {
      i = delta > 0 ? -1 : lines.length;
      for (var k = 0; k < lines.length; k++) if (lines[k] > selected) { i = delta > 0 ? k - 1 : k; break; }
    }
    i = Math.max(0, Math.min(lines.length - 1, i + delta));
    select(lines[i]);
  }
  document.addEventListener("keydown", function (e) {
    var tag = e.target.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT" || tag === "INPUT" || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === "j" || e.key === "ArrowDown") { e.preventDefault(); step(1); }
    else if (e.key === "k" || e.key === "ArrowUp") { e.preventDefault(); step(-1); }
    else if (e.key === "Escape") { selected = 0; clear(); }
  });
  lowering.addEventListener("change", showVariant);
  style.addEventListener("change", showVariant);
  document.getElementById("theme").addEventListener("click", function () {
    var root = document.documentElement;
    var next = root.getAttribute("data-theme") === "dark" ? "light" : "dark";
    root.setAttribute("data-theme", next);
    try { localStorage.setItem("desugar-theme", next); } catch (e) {}
  });
  showVariant();

  if (!config.live) return;
  // The live playground: the source is an editor over its highlighted lines.
  var timer = null, asked = 0;
  function post(path, body) {
    return fetch(path, {method: "POST", headers: {"Content-Type": "application/json",
      "X-Desugar-Token": config.token}, body: JSON.stringify(body)}).then(function (r) { return r.json(); });
  }
  function fit() {
    editor.style.height = "0";
    editor.style.height = Math.max(editor.scrollHeight, sourceBox.scrollHeight) + "px";
    editor.style.width = Math.max(sourceBox.scrollWidth, sourceScroll.clientWidth) + "px";
  }
  function update() {
    var mine = ++asked;
    post("translate", {source: editor.value}).then(function (got) {
      if (mine !== asked) return;
      sourceBox.innerHTML = got.source;
      if (got.error) {
        errorBox.textContent = got.error;
        errorBox.hidden = false;
        if (got.line) {
          var bad = document.getElementById("s-" + got.line);
          if (bad) { bad.classList.add("hl"); bad.classList.add("cur"); }
        }
      } else {
        errorBox.hidden = true;
        for (var id in got.variants) document.getElementById("v-" + id).innerHTML = got.variants[id];
        if (selected) light(selected, true);
      }
      document.body.setAttribute("data-updated", String(mine));
      fit();
    });
  }
  editor.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(update, 250);
  });
  function editorLine(y) {
    var style = getComputedStyle(editor), top = editor.getBoundingClientRect().top + parseFloat(style.paddingTop);
    return Math.floor((y - top) / parseFloat(style.lineHeight)) + 1;
  }
  editor.addEventListener("mousemove", function (e) {
    var n = editorLine(e.clientY);
    if (document.getElementById("s-" + n)) light(n, false, "source");
  });
  function caretLine() { return editor.value.slice(0, editor.selectionStart).split("\n").length; }
  editor.addEventListener("keyup", function () { selected = caretLine(); light(selected, true, "source"); });
  editor.addEventListener("click", function () { selected = caretLine(); light(selected, true, "source"); });
  errorBox.addEventListener("click", function () {
    var m = /:(\d+):(\d+):/.exec(errorBox.textContent);
    if (!m) return;
    var lines = editor.value.split("\n"), at = 0;
    for (var i = 0; i < +m[1] - 1 && i < lines.length; i++) at += lines[i].length + 1;
    editor.focus();
    editor.setSelectionRange(at + +m[2] - 1, at + +m[2]);
  });
  document.getElementById("run-button").addEventListener("click", function () {
    var button = this;
    button.disabled = true;
    button.textContent = "Running\u2026";
    post("run", {source: editor.value}).then(function (got) {
      var run = document.getElementById("run");
      run.innerHTML = got.run;
      run.hidden = false;
      run.scrollIntoView({block: "start"});
    }).finally(function () { button.disabled = false; button.textContent = "Run"; });
  });
  fit();
  window.addEventListener("resize", fit);
})();
"""


# ---------------------------------------------------------------------------
# Serving live


def translated(text: str, name: str) -> dict[str, Any]:
    """What the live page shows for ``text``: its panes, or its error located (``file:line:col``)."""
    from desugar.cli import internal_error_message
    from desugar.errors import TranslateError

    try:
        return {**render_panes(text, name), "error": None}
    except TranslateError as error:
        return {"source": source_html(text, {}), "error": _error_text(error, name, text),
                "line": error.line, "col": error.col}
    except Exception as error:  # noqa: BLE001 - any other exception is our bug: said so
        return {"source": source_html(text, {}), "error": internal_error_message(error, name),
                "line": getattr(error, "line", None), "col": getattr(error, "col", None)}


def make_server(source: str, name: str, token: str, directory: str) -> Any:
    """The live playground's server on 127.0.0.1, a free port (the standard library's)."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import parse_qs, urlsplit

    class Handler(BaseHTTPRequestHandler):
        def _allowed(self) -> bool:
            given = parse_qs(urlsplit(self.path).query).get("token", [""])[0]
            given = self.headers.get("X-Desugar-Token") or given
            if secrets.compare_digest(given.encode(), token.encode()):
                return True
            self._send(403, "text/plain", b"403 Forbidden: this URL needs the token desugar explore printed\n")
            return False

        def _send(self, status: int, kind: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self._allowed():
                self._send(200, "text/html", page(source, name, token=token).encode())

        def do_POST(self) -> None:
            if not self._allowed():
                return
            try:
                text = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))["source"]
                assert isinstance(text, str)
            except Exception:  # noqa: BLE001 - anything but {"source": "..."}
                return self._send(400, "text/plain", b'400 Bad Request: send {"source": "..."}\n')
            path = urlsplit(self.path).path
            if path == "/translate":
                got = translated(text, name)
            elif path == "/run":
                with tempfile.TemporaryDirectory(dir=directory) as here:
                    script = os.path.join(here, os.path.basename(name) or "program.py")
                    with open(script, "w", encoding="utf-8") as file:
                        file.write(text)
                    got = {"run": run_html(run_results(script), script)}
            else:
                return self._send(404, "text/plain", b"404 Not Found\n")
            self._send(200, "application/json", json.dumps(got).encode())

        def log_message(self, format: str, *args: Any) -> None:
            pass  # (quiet: the URL is what matters)

    return ThreadingHTTPServer(("127.0.0.1", 0), Handler)


def serve(source: str, name: str, *, browser: bool = True) -> None:
    """Serve the live playground until interrupted; print its URL (with the token)."""
    token = secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory(prefix="desugar-explore-") as directory:
        server = make_server(source, name, token, directory)
        url = f"http://127.0.0.1:{server.server_address[1]}/?token={token}"
        click.echo(f"desugar explore: serving {name} at\n    {url}\n(Ctrl-C ends it)", err=True)
        if browser:
            import webbrowser

            webbrowser.open(url)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()


# ---------------------------------------------------------------------------
# The command

_STARTER = '''\
import asyncio


async def foo():
    await asyncio.sleep(0.1)
    await bar()


async def bar():
    raise RuntimeError("nested async panic!")


asyncio.run(foo())
'''


def _read(file: str) -> str:
    """``file``'s text as Python reads it (its BOM or coding cookie; newlines made ``\\n``)."""
    from desugar.cli import FileError, Source, _read_bytes, decode

    try:
        return decode(_read_bytes(Source(Path(file), file)), file).text
    except FileError as error:
        raise click.ClickException(str(error)) from None


@click.command("explore", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), metavar="PAGE",
              help="Write the page to PAGE (default: FILE's name with .html, in the current directory).")
@click.option("--run", "run_it", is_flag=True,
              help="Also run FILE natively and under each lowering (as `desugar compare` does) "
              "and show its output, tracebacks, frames at the failure and stack over time.")
@click.option("--serve", "live", is_flag=True, help="Serve a live playground on 127.0.0.1 instead (FILE optional).")
@click.option("--no-browser", is_flag=True, help="With --serve: print the URL, do not open a browser.")
@click.option("--timeout", default=60.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              metavar="SECONDS", help="With --run: end a run still going after SECONDS.")
def explore_command(file: str | None, output: str | None, run_it: bool, live: bool,
                    no_browser: bool, timeout: float) -> None:
    """Write FILE and its translation as one HTML page, line linked, every lowering and style.

    The page is self-contained (it opens from disk, needs no network). With
    --serve, a live playground: edit the source, the translation follows.
    """
    if not have_pygments():
        click.echo(f"desugar explore: {PYGMENTS_HINT}", err=True)
    if live:
        if output or run_it:
            raise click.UsageError("--serve writes no page: drop -o and --run (the page has a Run button)")
        if file is None:
            serve(_STARTER, "example.py", browser=not no_browser)
        else:
            serve(_read(file), file, browser=not no_browser)
        return
    if file is None:
        raise click.UsageError("give FILE (or --serve)")
    if no_browser:
        raise click.UsageError("--no-browser goes with --serve")
    source = _read(file)
    from desugar.errors import TranslateError

    try:
        panes = render_panes(source, file)
    except TranslateError as error:
        raise click.ClickException(_error_text(error, file, source)) from None
    run_section = run_html(run_results(file, timeout), file) if run_it else None
    text = page(source, file, panes=panes, run=run_section)
    target = output or os.path.splitext(os.path.basename(file))[0] + ".html"
    with open(target, "w", encoding="utf-8") as f:
        f.write(text)
    click.echo(f"desugar explore: wrote {target}", err=True)
