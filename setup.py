"""Build the C runtime (``desugar.runtime._speedups``); everything else is in pyproject.toml.

The extension is optional: where it cannot be built (no compiler, no Python
headers) the install goes on with one line of notice (shown by ``pip install
-v``) and the runtime falls back to its pure-Python implementation, which has
the same semantics.
"""

import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class optional_build_ext(build_ext):
    def run(self) -> None:
        try:
            super().run()
        except Exception as error:  # (setuptools raises several kinds: PlatformError, CompileError, ...)
            self._notice(error)

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as error:
            self._notice(error)

    @staticmethod
    def _notice(error: Exception) -> None:
        print(f"desugar: the C runtime was not built ({error}); the pure-Python runtime will be used",
              file=sys.stderr)


setup(
    ext_modules=[Extension("desugar.runtime._speedups", ["desugar/runtime/_speedups.c"])],
    cmdclass={"build_ext": optional_build_ext},
)
