"""`AfterImport`: a meta path finder that calls back right after a chosen module is executed.

`desugar.backtrace` (task tracking) and `desugar.trace` (the poll recorder)
hook drivers (asyncio, trio, desugar's runtime) that may be imported only
after they start: the module is found through the other finders on
``sys.meta_path`` and its loader's ``exec_module`` wrapped to call back with
the module once it has run.
"""

from __future__ import annotations

import sys
from typing import Any, Callable, Mapping


class AfterImport:
    """Calls ``after[name](module)`` right after each module named in ``after`` is executed."""

    def __init__(self, after: Mapping[str, Callable[[Any], None]]) -> None:
        self.after = after
        self.finding: set[str] = set()  # (asked again by another finder that wraps, as this one does)

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        then = self.after.get(fullname)
        if then is None or fullname in self.finding:
            return None
        self.finding.add(fullname)
        try:
            for finder in sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(fullname, path, target)
                if spec is not None:
                    break
            else:
                return None
        finally:
            self.finding.discard(fullname)
        exec_module = getattr(spec.loader, "exec_module", None)
        if exec_module is None:
            return spec

        def exec_then(module: Any) -> None:
            exec_module(module)
            then(module)

        spec.loader.exec_module = exec_then
        return spec
