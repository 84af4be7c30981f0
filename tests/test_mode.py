"""`desugar.mode.Mode`: one value for what changes the generated code, checked in one place.

Every entry point (the API, the hook, each command, the pytest plugin) takes a
`Mode` or builds one from its options, so a bad option gets one message
wherever it is given.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import desugar
from desugar import hook
from desugar.cli import main as cli
from desugar.compiler import styles
from desugar.mode import DEFAULT, LOWERINGS, STYLES, Mode, ModeError

ROOT = Path(__file__).resolve().parent.parent
SOURCE = "async def f():\n    await g()\n"

UNKNOWN_LOWERING = "unknown lowering 'nope': the lowerings are poll, callback, callback-async-stacks"
UNKNOWN_STYLE = "unknown style 'nope': the styles are poll, hir, yield-from"
STYLE_WITH_CALLBACK = "a style ('hir') spells the poll lowering; it does not apply to 'callback'"

BAD = [
    pytest.param({"lowering": "nope"}, UNKNOWN_LOWERING, id="unknown-lowering"),
    pytest.param({"style": "nope"}, UNKNOWN_STYLE, id="unknown-style"),
    pytest.param({"lowering": "callback", "style": "hir"}, STYLE_WITH_CALLBACK, id="style-with-callback"),
]


def test_the_default_mode_is_the_poll_lowering_in_the_poll_style() -> None:
    assert Mode() == Mode("poll") == Mode(style="poll") == Mode("poll", "poll") == DEFAULT
    assert (DEFAULT.lowering, DEFAULT.style, DEFAULT.name) == ("poll", "poll", "poll")
    assert hash(Mode()) == hash(Mode(style="poll"))
    assert Mode(lowering="callback").style is None  # a style spells the poll lowering only
    assert Mode(style="hir") != Mode()
    assert repr(Mode(style="hir")) == "Mode(lowering='poll', style='hir')"


def test_a_mode_is_frozen() -> None:
    mode = Mode(style="hir")
    with pytest.raises(AttributeError, match="cannot assign to field 'style': a Mode is frozen"):
        mode.style = "poll"  # type: ignore[misc]
    with pytest.raises(AttributeError, match="a Mode is frozen"):
        del mode.lowering
    assert mode.replace(lowering="callback") == Mode("callback")
    assert mode.replace(style="poll") == DEFAULT
    assert pickle.loads(pickle.dumps(mode)) == mode


def test_the_cache_key_sets_each_mode_apart_and_the_default_has_none() -> None:
    keys = {Mode(lowering, None).get_cache_key() for lowering in LOWERINGS}
    keys |= {Mode(style=style).get_cache_key() for style in STYLES}
    assert keys == {"", "hir", "yield-from", "callback", "callback-async-stacks"}
    assert DEFAULT.get_cache_key() == ""


def test_each_registry_row_names_the_style_that_emits_it() -> None:
    modes = [Mode(style=style) for style in STYLES] + [Mode(lowering) for lowering in LOWERINGS if lowering != "poll"]
    for mode in modes:
        emitted = styles.get(mode)
        assert isinstance(emitted, styles.Style) and emitted.name == mode.name, mode
    # and every module of desugar/compiler/styles is one a row names (no module without its row)
    modules = {p.stem for p in (ROOT / "desugar" / "compiler" / "styles").glob("*.py") if p.stem != "__init__"}
    assert modules == {mode.emitter.partition(":")[0] for mode in modes}


def test_mode_is_passed_whole_and_the_keywords_are_short_for_it() -> None:
    hir = desugar.translate(SOURCE, mode=Mode(style="hir"))
    assert hir == desugar.translate(SOURCE, style="hir")
    assert "Pin.new_unchecked" in hir
    callback = desugar.translate(SOURCE, mode=Mode(lowering="callback"))
    assert callback == desugar.translate(SOURCE, lowering="callback")
    assert "@_ds_rt.callback_fn\n" in callback
    with pytest.raises(TypeError, match=r"give mode= or lowering=/style=, not both"):
        desugar.translate(SOURCE, mode=Mode(), style="hir")
    with pytest.raises(TypeError, match="mode must be a desugar.Mode, not str"):
        desugar.translate(SOURCE, mode="hir")  # type: ignore[arg-type]


@pytest.mark.parametrize(("options", "message"), BAD)
def test_a_bad_option_has_one_message_from_the_api_and_the_hook(options: dict, message: str) -> None:
    for entry in (Mode, lambda **o: desugar.translate(SOURCE, **o), desugar.install, hook.install):
        with pytest.raises(ModeError) as raised:
            entry(**options)
        assert str(raised.value) == message, entry
    assert issubclass(ModeError, ValueError)
    assert not any(isinstance(f, hook.DesugarFinder) for f in sys.meta_path)  # nothing installed


def _flags(options: dict) -> list[str]:
    return [arg for key, value in options.items() for arg in (f"--{key}", value)]


@pytest.mark.parametrize(("options", "message"), BAD)
def test_a_bad_option_has_the_same_message_from_every_command(
    options: dict, message: str, tmp_path: Path
) -> None:
    script = tmp_path / "m.py"
    script.write_text(SOURCE)
    if len(options) == 1:  # one option's value: click names the option
        (option,) = options
        expected = f"Error: Invalid value for '--{option}': {message}"
    else:
        expected = f"Error: {message}"
    runner = CliRunner()
    for command, native in (["translate"], False), (["run"], True), (["diagram"], True):
        result = runner.invoke(cli, [*command, *_flags(options), str(script)])
        assert result.exit_code == 2, result.output
        wanted = expected
        if native and options == {"lowering": "nope"}:  # a program may also run natively
            wanted += ", native"
        assert result.output.endswith(wanted + "\n"), (command, result.output)


@pytest.mark.parametrize(("options", "message"), BAD)
def test_a_bad_option_has_the_same_message_from_the_pytest_plugin(
    options: dict, message: str, tmp_path: Path
) -> None:
    (tmp_path / "test_x.py").write_text("def test_x():\n    pass\n")
    flags = [arg for key, value in options.items() for arg in (f"--desugar-{key}", value)]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "desugar.pytest_plugin",
         "--desugar-path", ".", *flags],
        cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True,
        timeout=120,
    )
    assert done.returncode == 4, done.stdout + done.stderr  # pytest's usage error
    assert done.stderr.strip().splitlines()[-1] == f"ERROR: {message}"


def test_native_is_a_lowering_of_the_commands_that_run_a_program_only(tmp_path: Path) -> None:
    script = tmp_path / "m.py"
    script.write_text("print('ran')\n")
    runner = CliRunner()
    result = runner.invoke(cli, ["run", "--lowering", "native", "--style", "hir", str(script)])
    assert result.exit_code == 2
    assert result.output.endswith(
        "Error: a style ('hir') spells the poll lowering; it does not apply to 'native'\n"
    )
    result = runner.invoke(cli, ["translate", "--lowering", "native", str(script)])
    assert result.output.endswith(f"Error: Invalid value for '--lowering': {UNKNOWN_LOWERING.replace('nope', 'native')}\n")


def test_every_command_has_the_same_options_in_the_same_words() -> None:
    def option(command: str, name: str) -> tuple:
        (param,) = [p for p in cli.commands[command].params if p.name == name]
        return param.opts, param.type.choices, param.help

    for name in ("lowering", "style"):
        assert option("run", name) == option("diagram", name), name
    assert option("translate", "style") == option("run", "style")
    translate, run = option("translate", "lowering"), option("run", "lowering")
    assert run[1] == (*translate[1], "native")
    assert run[2] == (
        translate[2].removesuffix(".").replace(" or callback-async-stacks", ", callback-async-stacks")
        + " or native (not translated: CPython's own)."
    )
    for name, row in LOWERINGS.items():
        assert f"{name} (" in translate[2] and row.help in translate[2]


def test_importing_the_hook_imports_neither_the_compiler_nor_click() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import sys, desugar.hook; print(sorted(m for m in sys.modules "
         "if m.split('.')[0] in ('desugar', 'click', 'libcst', 'dataclasses')))"],
        env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True, check=True,
    )
    assert done.stdout.strip() == "['desugar', 'desugar.cache', 'desugar.errors', 'desugar.hook', 'desugar.mode']"
