"""Long modules: nothing costs more than once per statement, and the output is the whole module's.

The compiler parses, lowers and generates a module one segment (whole
top-level statements) at a time, and black formats it a chunk of segments at a
time (`desugar.compiler.walk.segments`, `desugar.compiler.formatting`), so that
time and memory grow linearly with the module's length (`bench/bigfile.py`
measures the rates). These tests count what each translation runs, and on what
size of input, so that a step over the whole module coming back fails them
(timings belong in the benchmark); and they check that the pieces give exactly
what the whole module gives: libcst's translation of the module in one tree,
black over the whole output.
"""

from __future__ import annotations

import ast
import importlib.util
import pathlib
import sys

import black
import libcst as cst
import pytest

import desugar
from desugar.compiler import compile_module, translate_with_lines
from desugar.compiler import formatting, lines as lines_module
from desugar.compiler.async_fn import import_runtime, lower_async_def
from desugar.compiler.walk import StatementWalker, async_def_lines, default_indent, segments

ROOT = pathlib.Path(__file__).parent.parent
def _runs_here(path: pathlib.Path) -> bool:
    """False for a corpus program whose first line requires a newer Python (`# requires: 3.N`)."""
    import re
    import sys

    first = path.read_text(encoding="utf-8").split("\n", 1)[0]
    match = re.match(r"# requires: 3\.(\d+)", first)
    return match is None or sys.version_info >= (3, int(match.group(1)))


# (programs that need a newer Python than this one are not valid Python here)
CORPUS = [
    p
    for p in sorted((ROOT / "tests" / "corpus").glob("*.py")) + sorted((ROOT / "tests" / "asyncio_corpus").glob("*.py"))
    if _runs_here(p)
]
ASYNCIO = pathlib.Path(__import__("asyncio").__file__).parent


def _bench():
    spec = importlib.util.spec_from_file_location("bigfile", ROOT / "bench" / "bigfile.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


BIG = _bench().generate(800)  # about 35 top-level statements, 27 async defs


def whole_module(source: str) -> tuple[str, list[int]]:
    """The translation as one libcst tree of the whole module (what the pieces must equal)."""
    tree = ast.parse(source)
    module = cst.parse_module(source)
    found = async_def_lines(tree)
    walker = StatementWalker(lambda node: lower_async_def(node, next(found), "f.py", source))
    output = import_runtime(module.with_changes(body=walker.statements(module.body)))
    return lines_module.line_map(module, output)


def _read(path: pathlib.Path) -> str:
    """The program's source; skipped where it uses syntax this Python does not have."""
    source = path.read_text()
    try:
        compile(source, path.name, "exec", dont_inherit=True)
    except SyntaxError as error:  # e.g. except* or 3.11's async comprehensions, on 3.10
        pytest.skip(f"Python {sys.version_info[0]}.{sys.version_info[1]} cannot compile it: {error}")
    return source


def _lines(text: str) -> int:
    return text.count("\n") + 1


# --------------------------------------------------------------------------
# Counting: each expensive step runs on one statement's worth of code


def _largest_statement(source: str) -> int:
    """Lines of the longest top-level statement, with the lines above it."""
    tree = ast.parse(source)
    return max(_lines(source[s.start : s.end]) for s in segments(tree, source))


def test_libcst_parses_and_generates_one_segment_at_a_time(monkeypatch):
    parsed: list[int] = []
    generated: list[int] = []
    parse = cst.parse_module
    code = cst.Module.code

    def counting_parse(text, *args, **kwargs):
        parsed.append(_lines(text))
        return parse(text, *args, **kwargs)

    def counting_code(self):
        text = code.fget(self)
        generated.append(_lines(text))
        return text

    modules: list[int] = []  # top-level statements of each module generated or visited
    codegen_impl = cst.Module._codegen_impl
    visit = cst.Module.visit

    def counting_codegen(self, state):
        modules.append(len(self.body))
        return codegen_impl(self, state)

    def counting_visit(self, visitor):
        modules.append(len(self.body))
        return visit(self, visitor)

    monkeypatch.setattr(cst, "parse_module", counting_parse)
    monkeypatch.setattr(cst.Module, "code", property(counting_code))
    monkeypatch.setattr(cst.Module, "_codegen_impl", counting_codegen)
    monkeypatch.setattr(cst.Module, "visit", counting_visit)
    out = desugar.translate(BIG, "big.py", format=False)
    parts = segments(ast.parse(BIG), BIG)
    assert len(parts) > 20
    assert modules and max(modules) <= max(s.statements for s in parts) + 1  # + the runtime import
    largest = _largest_statement(BIG)
    assert largest < 60  # the generated blocks: the module is long, not its statements
    assert parsed and max(parsed) <= largest + 2  # + a probe statement, where one is needed
    assert sum(parsed) <= _lines(BIG) + 2 * len(parsed)  # each segment once
    assert generated and max(generated) * 10 < _lines(out)  # no code generation of the module
    assert sum(generated) <= _lines(out) + len(generated)


def test_positions_once_per_async_def_and_none_of_the_module(monkeypatch):
    starts: list[int] = []
    full: list[int] = []  # the lines of each module whose every node's range is found
    start_lines = lines_module.start_lines
    spans_and_code, original_spans = lines_module._spans_and_code, lines_module.original_spans

    def counting_starts(module):
        starts.append(len(module.body))
        return start_lines(module)

    def counting_output_spans(module, original):
        full.append(_lines(module.code))
        return spans_and_code(module, original)

    def counting_original_spans(module):
        full.append(_lines(module.code))
        return original_spans(module)

    import desugar.compiler.async_fn as async_fn

    monkeypatch.setattr(async_fn, "start_lines", counting_starts)
    monkeypatch.setattr(lines_module, "_spans_and_code", counting_output_spans)
    monkeypatch.setattr(lines_module, "original_spans", counting_original_spans)
    defs = sum(1 for _ in async_def_lines(ast.parse(BIG)))
    desugar.translate(BIG, "big.py", format=False)
    assert starts == [1] * defs  # one async def each, once
    assert full == []  # the CLI's path needs no line map

    result = translate_with_lines(BIG, "big.py")
    assert result is not None
    assert len(starts) == defs  # the line map's pass over the original gives the lowering its lines
    parts = segments(ast.parse(BIG), BIG)
    translated = [s for i, s in enumerate(parts) if s.async_defs or i == 0]
    assert len(full) == 2 * len(translated)  # the input and output of each translated segment
    assert max(full) * 10 < _lines(result[0])


def test_black_formats_chunks_and_gives_the_whole_modules_output(monkeypatch):
    monkeypatch.setattr(formatting, "CHUNK_LINES", 200)
    formatted: list[int] = []
    parsed: list[int] = []
    format_str = black.format_str
    parse = black.parsing.lib2to3_parse

    def counting_format(text, *args, **kwargs):
        formatted.append(_lines(text))
        return format_str(text, *args, **kwargs)

    def counting_parse(text, *args, **kwargs):
        parsed.append(_lines(text))
        return parse(text, *args, **kwargs)

    monkeypatch.setattr(black, "format_str", counting_format)
    monkeypatch.setattr(black.parsing, "lib2to3_parse", counting_parse)
    out = desugar.translate(BIG, "big.py")
    unformatted = desugar.translate(BIG, "big.py", format=False)
    total = _lines(unformatted)
    assert len(formatted) > 5
    assert max(formatted) < 200 + 3 * 150  # a chunk, the piece above it, one piece over
    assert sum(formatted) < 1.5 * total  # each piece about once (and its neighbour's)
    assert sum(parsed) < 1.1 * total  # the feature scan: each chunk once
    assert out == format_str(unformatted, mode=black.Mode())


# --------------------------------------------------------------------------
# Exactness: the pieces give the whole module's translation and format


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_segments_translate_as_the_whole_module(path):
    source = _read(path)
    tree = ast.parse(source)
    parts = segments(tree, source)
    assert "".join(source[s.start : s.end] for s in parts) == source
    assert sum(s.statements for s in parts) == len(tree.body)
    assert default_indent(tree, source) in (None, cst.parse_module(source).default_indent)
    expected_code, expected_lines = whole_module(source)
    result = translate_with_lines(source, path.name)
    assert result is not None
    code, found_lines = result
    assert code == expected_code
    assert desugar.translate(source, path.name, format=False) == expected_code
    # Lines that hold code map as the whole module's line map does (empty and
    # comment lines between top-level statements may differ: nothing uses them).
    for node in ast.walk(ast.parse(code)):
        if hasattr(node, "lineno"):
            assert found_lines[node.lineno - 1] == expected_lines[node.lineno - 1]


def test_the_big_module_translates_as_the_whole_module():
    expected_code, expected_lines = whole_module(BIG)
    result = translate_with_lines(BIG, "big.py")
    assert result == (expected_code, expected_lines)
    compile_module(BIG, "big.py")  # and compiles with its line numbers


@pytest.mark.parametrize("name", ["locks.py", "queues.py", "streams.py", "tasks.py"])
def test_chunked_black_is_black_on_the_whole_module(name, monkeypatch):
    """The finest cut (a chunk per segment) gives black's output on the whole module."""
    source = (ASYNCIO / name).read_text()
    unformatted = desugar.translate(source, name, format=False)
    expected = black.format_str(unformatted, mode=black.Mode())
    monkeypatch.setattr(formatting, "CHUNK_LINES", 1)
    assert desugar.translate(source, name) == expected


@pytest.mark.parametrize("path", CORPUS[::7], ids=lambda p: p.name)
def test_chunked_black_on_the_corpus(path, monkeypatch):
    source = _read(path)
    unformatted = desugar.translate(source, path.name, format=False)
    monkeypatch.setattr(formatting, "CHUNK_LINES", 1)
    assert desugar.translate(source, path.name) == black.format_str(unformatted, mode=black.Mode())


# --------------------------------------------------------------------------
# Where a module is cut, and where it is not


def _cuts(source: str) -> list[str]:
    tree = ast.parse(source)
    return [source[s.start : s.end] for s in segments(tree, source)]


def test_cut_only_between_statements_with_nothing_of_the_one_above_below_it():
    source = (
        '"""Doc."""\n'
        "from __future__ import annotations\n"
        "import os\n"
        "x = 1\n"
        "def f():\n"
        "    pass\n"
        "    # f's own trailing comment\n"
        "\n"
        "y = 2; z = 3\n"
        "w = 4 \\\n"
        "\n"
        "# about g\n"
        "\n"
        "@decorator\n"
        "async def g():\n"
        "    await h()\n"
        "  \n"
        "v = 5\n"
    )
    assert _cuts(source) == [
        '"""Doc."""\nfrom __future__ import annotations\nimport os\n',  # the prologue and one more
        "x = 1\n",
        "def f():\n    pass\n    # f's own trailing comment\n\ny = 2; z = 3\n",  # an indented comment: no cut
        "w = 4 \\\n\n# about g\n\n@decorator\nasync def g():\n    await h()\n  \nv = 5\n",  # a backslash; blanks
    ]


def test_no_cut_in_text_with_carriage_returns():
    assert _cuts("x = 1\r\ny = 2\r\n") == ["x = 1\r\ny = 2\r\n"]


@pytest.mark.parametrize(
    "source, indent",
    [
        ("x = 1\n", None),
        ("if x: pass\nclass A:\n\tdef f(self):\n\t\tpass\n", "\t"),
        ("x = [\n    1]\ndef f():\n  return 1\n", "  "),
        ("if x: y = 1; \\\n    z = 2\ndef f():\n   pass\n", "   "),
        ("try:\n        pass\nfinally:\n    pass\n", "        "),
    ],
)
def test_default_indent_is_libcsts(source, indent):
    assert default_indent(ast.parse(source), source) == indent
    if indent is not None:
        assert cst.parse_module(source).default_indent == indent


def test_a_segment_indented_unlike_the_module_generates_the_modules_indentation():
    source = (
        "def f():\n"
        "  return 1\n"  # the module's indentation: two spaces
        "\n"
        "async def g():\n"
        "    if x:\n"  # four here
        "        await h()\n"
    )
    assert desugar.translate(source, format=False) == whole_module(source)[0]


def test_libcst_errors_are_located_in_the_whole_module(monkeypatch):
    parse = cst.parse_module

    def failing(text, *args, **kwargs):
        if "async def" in text:  # the segment "\n\nasync def f(): ...", from line 2
            raise cst.ParserSyntaxError("nope", lines=text.split("\n"), raw_line=3, raw_column=4)
        return parse(text, *args, **kwargs)

    source = "x = 1\n\n\nasync def f():\n    await g()\n"
    monkeypatch.setattr(cst, "parse_module", failing)
    with pytest.raises(desugar.TranslateError) as caught:
        desugar.translate(source, "f.py", format=False)
    assert (caught.value.line, caught.value.col) == (4, 5)
    assert caught.value.source_line == "async def f():"


def test_untouched_statements_are_not_parsed_by_libcst(monkeypatch):
    parsed: list[str] = []
    parse = cst.parse_module

    def counting_parse(text, *args, **kwargs):
        parsed.append(text)
        return parse(text, *args, **kwargs)

    monkeypatch.setattr(cst, "parse_module", counting_parse)
    plain = "".join(f"def f{i}(x):\n    return x + {i}\n\n\n" for i in range(50))
    source = "import os\n\n\n" + plain + "async def main():\n    await os.f()\n"
    out = desugar.translate(source, format=False)
    assert plain + "@_ds_rt.async_fn\ndef main():\n" in out
    assert len(parsed) == 2  # the first segment (where the runtime import goes), the async def
    assert all("def f1(" not in text for text in parsed)
