"""desugar's one translation cache: translated code in ``__pycache__``, keyed by `cache_key`.

The import hook (`desugar.hook`) loads modules through `translated_code`, and
so does the pytest plugin, with its own compile `Step` (the translation, then
pytest's assertion rewriting) under a tag and key of its own. An entry::

    __pycache__/mod.cpython-311.desugar-0.1.0.pyc

        4 bytes   b"DSG\\x02"
        4 bytes   importlib.util.MAGIC_NUMBER (the interpreter's bytecode)
        8 bytes   `cache_key` (the mode, desugar's version and files, -O)
        8 bytes   hash of the source bytes
       32 bytes   the source's size, mtime, ctime and inode when it was hashed
        8 bytes   when that was (nanoseconds since the epoch)
        4 bytes   CRC-32 of what follows
        ...       marshal.dumps(code)

Hashes are ``importlib.util.source_hash``, the one CPython uses for hash-based
pycs (PEP 552): it needs no import, and an edit invalidates the entry however
soon after the last one it is made. The source's hash decides; its stat only
saves reading it: an entry whose recorded stat is the source's stat now, taken
when the source had not changed for `RACY_NS` (so that any later write, even
one that puts the mtime back, changed its ctime), is used without reading the
source, as git trusts a clean index entry. (Where the ctime is the creation
time, as on Windows, an edit that puts the mtime back goes unseen, as it does
for CPython's own pycs.) Otherwise the source is read and hashed, and an entry
that still matches gets the new stat (a rewritten header). An entry whose
header or checksum does not match is ignored and rewritten. Entries are
written to ``{pyc}.{pid}`` and renamed over the old one, so two processes
never see half a file; any ``OSError`` (a read-only directory, ``__pycache__``
being a file, a full disk) only means no cache. ``sys.dont_write_bytecode``
(``PYTHONDONTWRITEBYTECODE``) stops writes, and ``sys.pycache_prefix`` moves
them, as for CPython's pycs.

The cached code of a translated ``async def`` is already flagged as a
coroutine's (see `desugar.codeflags.flag_coroutines`), so the ``@_ds_rt.async_fn`` that runs
for each one as the module is imported has nothing left to do.

A cache hit imports neither the compiler nor libcst.
"""

from __future__ import annotations

import _imp
import _thread
import marshal
import os
import sys
import time
import zlib
from importlib.util import MAGIC_NUMBER, cache_from_source, decode_source, source_hash
from io import FileIO, open_code
from types import CodeType

import desugar
from desugar.mode import DEFAULT, Mode

#: The first bytes of every cache entry (its last byte: the layout's version).
CACHE_MAGIC = b"DSG\x02"
# The header's fields (see the module's docstring), as slices of an entry.
_PREFIX = slice(0, 16)  # CACHE_MAGIC, MAGIC_NUMBER, the settings' hash
_SOURCE_HASH = slice(16, 24)
_SOURCE_STAT = slice(24, 56)
_CHECKED = slice(56, 64)
_CRC = slice(64, 68)
_HEADER_SIZE = 68

#: How long a source must have been left unchanged when it was hashed for its
#: stat to stand for its hash: more than a file system's timestamp step (2 s on FAT).
RACY_NS = 3_000_000_000

_NO_STAT = bytes(40)  # no stat, checked at the epoch: the entry is always checked by hash
_MASK = (1 << 64) - 1

_DESUGAR_DIR = os.path.dirname(os.path.abspath(__file__))


class Stats:
    """What the cache did in this process: `translations` (the compiler ran) and `cache_hits`."""

    __slots__ = ("translations", "cache_hits")

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.translations = 0
        self.cache_hits = 0

    def __repr__(self) -> str:
        return f"Stats(translations={self.translations}, cache_hits={self.cache_hits})"


#: Counters for this process, so tests count translations instead of timing them.
stats = Stats()


SHAPING = ("compiler", "mode.py", "cache.py", "codeflags.py", os.path.join("runtime", "_awaitee.py"))
"""What shapes the cached code, relative to desugar's directory (a directory: all of it).

The compiler, the `Mode` it is given, this module, and the code-flag rewrite
(`desugar.codeflags`, with the runtime's `as_coroutine_code` it uses).
"""



class Step:
    """A way of compiling a translated module other than the hook's own, cached by the hook.

    The pytest plugin's (`desugar.pytest_plugin`): the translation, then
    pytest's assertion rewriting. Its entries are kept apart from the hook's
    by `tag` (in their file names) and `key` and `shaping` (in their
    `cache_key`).
    """

    tag = ""
    """What is added to the names of its cache files (after the mode's tag)."""

    key = ""
    """What else its code depends on: the versions and options of what it calls."""

    shaping: tuple[str, ...] = ()
    """The files of desugar that shape its code besides `SHAPING` (as `SHAPING` names them)."""

    def compile(self, source: bytes, source_path: str, mode: Mode) -> CodeType:
        """The code of module ``source`` translated in ``mode``; errors as `translated_code`'s."""
        raise NotImplementedError


_fingerprints: dict[tuple[str, ...], str] = {}
_keys: dict[tuple[Mode, str, tuple[str, ...]], bytes] = {}


def fingerprint(paths: tuple[str, ...] = SHAPING) -> str:
    """Each ``.py`` file of ``paths`` (relative to desugar's directory; directories recursively)
    with its size and mtime: an edit to any of them changes it."""
    known = _fingerprints.get(paths)
    if known is None:
        parts = []
        for path in _python_files(paths):
            try:
                st = os.stat(path)
                stamp = f"{st.st_size}:{st.st_mtime_ns}"
            except OSError:
                stamp = "missing"
            parts.append(f"{os.path.relpath(path, _DESUGAR_DIR)}:{stamp}")
        known = _fingerprints[paths] = " ".join(parts)
    return known


def libcst_stamp() -> str:
    """libcst's version file, by size and mtime: the code it generates shapes the cache.

    Found on ``sys.path`` as an import would find it, without importing it
    (a cache hit imports neither the compiler nor libcst).
    """
    global _libcst_stamp
    if _libcst_stamp is None:
        stamp = "missing"
        for entry in sys.path:
            path = os.path.join(entry or os.curdir, "libcst", "_version.py")
            try:
                st = os.stat(path)
            except OSError:
                continue
            stamp = f"{st.st_size}:{st.st_mtime_ns}"
            break
        _libcst_stamp = stamp
    return _libcst_stamp


_libcst_stamp: str | None = None


def _python_files(paths: tuple[str, ...]) -> list[str]:
    files = []
    for relative in paths:
        top = os.path.join(_DESUGAR_DIR, relative)
        if not os.path.isdir(top):
            files.append(top)
            continue
        for directory, subdirs, names in os.walk(top):
            subdirs[:] = sorted(d for d in subdirs if d != "__pycache__")
            files += [os.path.join(directory, n) for n in sorted(names) if n.endswith(".py")]
    return files


def cache_key(mode: Mode = DEFAULT, step: Step | None = None) -> bytes:
    """The hash of everything but the source that cached code depends on.

    ``mode`` (`Mode.get_cache_key`), desugar's version, the `fingerprint` of
    the modules that shape the code, libcst's version file (`libcst_stamp`), the interpreter's bytecode (its magic
    number) and optimize level (``-O`` strips asserts), and the ``step`` that
    compiles it if not the hook (its `Step.key` and `Step.shaping`).
    """
    extra, shaping = (step.key, step.shaping) if step is not None else ("", ())
    key = _keys.get((mode, extra, shaping))
    if key is None:
        text = (
            f"desugar {desugar.__version__}; mode {mode.get_cache_key() or 'default'}; "
            f"{fingerprint(SHAPING + shaping)}; libcst {libcst_stamp()}; magic {MAGIC_NUMBER.hex()}; "
            f"optimize {sys.flags.optimize}; step {extra}"
        )
        key = _keys[mode, extra, shaping] = source_hash(text.encode("utf-8"))
    return key


def cache_path(source_path: str, mode: Mode = DEFAULT, step: Step | None = None) -> str | None:
    """Where the translated code of ``source_path`` is cached in ``mode`` (None: nowhere).

    ``importlib.util.cache_from_source`` gives the directory (``__pycache__``
    or below ``sys.pycache_prefix``) and CPython's name, to which desugar's tag
    is added: ``mod.cpython-311.pyc`` -> ``mod.cpython-311.desugar-0.1.0.pyc``
    (``...desugar-0.1.0.hir.pyc`` in the ``hir`` style: `Mode.get_cache_key`;
    a `Step`'s tag after that).
    Without a ``pycache_prefix`` (the name then depends on nothing but the
    path), it is asked once per directory, and the rest is the file's name.
    """
    head, sep, tail = source_path.rpartition(os.sep)
    if not (
        sep
        and len(tail) > 3
        and tail.endswith(".py")
        and sys.pycache_prefix is None
        and not (os.altsep and os.altsep in tail)
    ):
        return _cache_path(source_path, mode, step)
    known = _cache_dirs.get((head, mode, step))
    if known is None:
        probe = _cache_path(head + sep + "_.py", mode, step)
        if probe is None:
            return None
        directory, sep, name = probe.rpartition(os.sep)
        if not name.startswith("_."):
            return _cache_path(source_path, mode, step)
        known = _cache_dirs[head, mode, step] = (directory + sep, name[1:])
    return known[0] + tail[:-3] + known[1]


#: (Source directory, mode, step) -> its cache directory (with a separator) and the end of a cache name.
_cache_dirs: dict[tuple[str, Mode, Step | None], tuple[str, str]] = {}


def _cache_path(source_path: str, mode: Mode, step: Step | None = None) -> str | None:
    try:
        pyc = cache_from_source(source_path)
    except (NotImplementedError, ValueError):  # no cache_tag, or an odd path
        return None
    tags = [mode.get_cache_key(), step.tag if step is not None else ""]
    tag = "".join(f".{t}" for t in tags if t)
    return f"{pyc[:-4]}.desugar-{desugar.__version__}{tag}.pyc"


def _stat_bytes(st: os.stat_result) -> bytes:
    """The stat fields an entry records of its source: size, mtime, ctime, inode."""
    return (
        (st.st_size & _MASK)
        | (st.st_mtime_ns & _MASK) << 64
        | (st.st_ctime_ns & _MASK) << 128
        | (st.st_ino & _MASK) << 192
    ).to_bytes(32, "little")


def _checked_stat(st: os.stat_result | None, checked: int) -> bytes:
    """The stat and time fields of an entry whose source had stat ``st`` at ``checked``."""
    if st is None:
        return _NO_STAT
    return _stat_bytes(st) + (checked & _MASK).to_bytes(8, "little")


def _settled(st: os.stat_result, checked: int) -> bool:
    """Had the source with stat ``st`` been left alone for `RACY_NS` at time ``checked``?

    Then any later write to it changes its ctime (which no call sets back),
    so an unchanged stat means unchanged bytes. (mtime too, for systems where
    ctime is the creation time.)
    """
    return max(st.st_mtime_ns, st.st_ctime_ns) < checked - RACY_NS


def _header(prefix: bytes, source: bytes, payload: bytes | memoryview, stat: bytes = _NO_STAT) -> bytes:
    return (
        prefix
        + source_hash(source)
        + stat
        + zlib.crc32(payload).to_bytes(4, "little")
    )


def _read_entry(pyc: str, prefix: bytes) -> bytes | None:
    """The entry's bytes if it is one of ours for these settings (its header starts with ``prefix``)."""
    try:
        with FileIO(pyc, "r") as file:  # as CPython reads its pycs: no buffering layer
            data = file.readall()
    except OSError:
        return None
    if len(data) <= _HEADER_SIZE or data[_PREFIX] != prefix:
        return None
    return data


def _header_prefix(mode: Mode = DEFAULT, step: Step | None = None) -> bytes:
    return CACHE_MAGIC + MAGIC_NUMBER + cache_key(mode, step)


def _entry_code(data: bytes) -> CodeType | None:
    """The code of an entry whose header was matched, or None if its payload is damaged."""
    payload = memoryview(data)[_HEADER_SIZE:]
    if data[_CRC] != zlib.crc32(payload).to_bytes(4, "little"):
        return None
    try:
        code = marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return None
    return code if isinstance(code, CodeType) else None


def write_cache(
    pyc: str,
    source: bytes,
    code: CodeType,
    st: os.stat_result | None = None,
    checked: int = 0,
    prefix: bytes | None = None,
) -> bool:
    """Write the entry atomically (``{pyc}.{pid}``, then ``os.replace``); False if it failed.

    ``st`` is the source's stat taken at time ``checked`` (`time.time_ns`),
    before ``source`` was read; without it the entry is always checked by hash.
    ``prefix`` starts the header (`_header_prefix`; None: the default mode's).
    """
    payload = marshal.dumps(code)
    header = _header(prefix or _header_prefix(), source, payload, _checked_stat(st, checked))
    return write_atomically(pyc, header + payload)


def write_atomically(path: str, data: bytes) -> bool:
    """Write ``data`` to a temporary file beside ``path``, then rename it; False on any OSError."""
    temporary = f"{path}.{os.getpid()}.{_thread.get_ident()}"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(temporary, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        return False
    return True


def _could_be_async(source: bytes) -> bool:
    # The compiler's own test (`needs_translation`), on bytes: no decoding, no import.
    return b"async" in source or b"await" in source


def translated_code(
    source: bytes | None, source_path: str, *, mode: Mode = DEFAULT, step: Step | None = None
) -> CodeType | None:
    """Translated code for a module (in ``mode``), from the cache or the compiler.

    ``source`` is the module's bytes; None means the file at ``source_path``,
    read only if the cache entry's stat does not vouch for it (as the loader
    does). The result is None if the source has no ``async``/``await`` at all
    (compile it as usual). Bad input raises `desugar.TranslateError`, or
    CPython's own SyntaxError when the source is not valid Python. ``step``
    compiles it instead of the hook (`Step`; its entries are its own).
    """
    st: os.stat_result | None = None
    checked = 0
    if source is None:
        try:
            st = os.stat(source_path)
            checked = time.time_ns()
        except OSError:
            source = _read(source_path)  # raises as CPython's loader does
    elif not _could_be_async(source):
        return None
    pyc = cache_path(source_path, mode, step)
    prefix = _header_prefix(mode, step)
    data = _read_entry(pyc, prefix) if pyc is not None else None
    if data is not None:
        assert pyc is not None
        if st is not None and _vouched(data, st):
            code = _entry_code(data)
        else:
            if source is None:
                source = _read(source_path)
            code = _hashed(data, pyc, source, st, checked)
        if code is not None:
            stats.cache_hits += 1
            _fix_co_filename(code, source_path)
            return code
    if source is None:
        source = _read(source_path)
    if not _could_be_async(source):
        return None
    if step is not None:
        code = step.compile(source, source_path, mode)
        if mode.async_fn:
            from desugar.codeflags import flag_coroutines

            code = flag_coroutines(code, source)
    else:
        code = _compile(source, source_path, mode)
    stats.translations += 1
    if pyc is not None and not sys.dont_write_bytecode:
        write_cache(pyc, source, code, st, checked, prefix)
    return code


def _vouched(data: bytes, st: os.stat_result) -> bool:
    """Does the source's stat ``st`` vouch for entry ``data`` (see the module's docstring)?"""
    return data[_SOURCE_STAT] == _stat_bytes(st) and _settled(
        st, int.from_bytes(data[_CHECKED], "little")
    )


def _hashed(
    data: bytes, pyc: str, source: bytes, st: os.stat_result | None, checked: int
) -> CodeType | None:
    """The code of entry ``data`` if it is the translation of ``source`` (by hash), else None.

    A confirmed entry gets the source's stat ``st`` (taken at ``checked``,
    before ``source`` was read), once the source is settled, so that the next
    import need not read it.
    """
    if data[_SOURCE_HASH] != source_hash(source):
        return None
    code = _entry_code(data)
    renew = st is not None and _settled(st, checked) and not sys.dont_write_bytecode
    if code is not None and renew:
        assert st is not None
        stat = _checked_stat(st, checked)
        if data[_SOURCE_STAT.start : _CHECKED.stop] != stat:
            write_atomically(pyc, data[: _SOURCE_STAT.start] + stat + data[_CHECKED.stop :])
    return code


def _read(source_path: str) -> bytes:
    """The source file's bytes, read as CPython's loader reads them (``io.open_code``)."""
    with open_code(source_path) as file:
        return file.read()


def _compile(source: bytes, source_path: str, mode: Mode = DEFAULT) -> CodeType:
    """Translate and compile (`flag_coroutines` too, if ``mode`` wants it); errors as
    CPython gives them, with nothing chained to them.

    Source that CPython rejects (invalid UTF-8, a bad coding cookie, a syntax
    error) gets CPython's own ``SyntaxError``, naming the file, as a native
    import would; it is raised outside any ``except`` block, so it carries no
    ``__context__`` (no "During handling of the above exception" in tracebacks).
    A translation that does not compile is our bug: an `desugar.InternalError`
    located at the input line it comes from.
    """
    from desugar.compiler import compile_module

    failure: BaseException | None = None
    try:
        text: str | None = decode_source(source)  # the coding cookie or UTF-8; universal newlines
    except (UnicodeDecodeError, SyntaxError, LookupError) as error:
        failure, text = error, None
    if text is None:
        native = _native_syntax_error(source, source_path)
        if native is not None:
            raise native.with_traceback(None)
        # CPython accepts it: the bytes that do not decode are in comments,
        # which CPython's tokenizer never decodes (and no code object holds).
        text = _decode_replacing(source)
        if text is None:
            assert failure is not None
            raise failure
    # The coroutines' keys come from the translation's own parse of the text, when it is the
    # one CPython parses (else they are read off the bytes, as `flag_coroutines` does).
    keys: set | None = set() if failure is None else None
    try:
        code = compile_module(text, source_path, mode=mode, coroutines=keys)
    except desugar.TranslateError as error:
        failure = error
    except (SyntaxError, ValueError) as error:  # from compiling the translation
        failure = error
    else:
        if mode.async_fn:
            from desugar.codeflags import flag_coroutines

            code = flag_coroutines(code, source, keys)
        return code
    native = _native_syntax_error(source, source_path)
    if native is not None:
        raise native.with_traceback(None)
    if not isinstance(failure, desugar.TranslateError):
        failure = _uncompilable(failure, text, source_path, mode)
    raise failure


def _decode_replacing(source: bytes) -> str | None:
    """``decode_source``, with undecodable bytes replaced by U+FFFD."""
    import io
    import tokenize

    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
    except SyntaxError as error:
        if "invalid or missing encoding declaration" not in str(error):
            return None
        encoding = "utf-8"  # undecodable bytes on the first two lines: no cookie there
    try:
        text = source.decode(encoding, errors="replace")
    except LookupError:
        return None
    return io.IncrementalNewlineDecoder(None, True).decode(text, final=True)


def _uncompilable(error: BaseException, text: str, source_path: str, mode: Mode) -> BaseException:
    """The `InternalError` for a translation that did not compile, at the input's line."""
    from desugar.compiler import translate_with_lines
    from desugar.compiler.validate import uncompilable

    try:
        translated = translate_with_lines(text, source_path, mode=mode)
    except Exception:  # noqa: BLE001 - it translated a moment ago; the map only helps the message
        translated = None
    code, lines = translated if translated is not None else ("", None)
    return uncompilable(error, code, text, source_path, lambda: lines)


def _native_syntax_error(source: bytes, source_path: str) -> Exception | None:
    """The error CPython reports for ``source`` if it cannot compile it.

    A SyntaxError, or RecursionError/MemoryError for input nested too deeply.
    """
    try:
        compile(source, source_path, "exec", dont_inherit=True)
    except (SyntaxError, RecursionError, MemoryError) as error:
        return error
    return None


def _fix_co_filename(code: CodeType, source_path: str) -> None:
    # As CPython does for a pyc read for a file that moved: point the code at the file.
    _imp._fix_co_filename(code, source_path)
