"""Generated names: one reserved prefix, names that read like rustc's."""

from __future__ import annotations

PREFIX = "_ds_"
"""Every name the compiler generates starts with this; input may not use it."""

RUNTIME = PREFIX + "rt"  # the runtime module, imported once per translated module
AWAITEE = PREFIX + "awaitee"  # the future being awaited (rustc's __awaitee)
POLL = PREFIX + "poll"  # the result of the last poll
AUG_TARGET = PREFIX + "target"  # object of an augmented attribute/subscript target
AUG_KEY = PREFIX + "key"  # key of an augmented subscript target
AUG_VALUE = PREFIX + "lhs"  # value of an augmented target, read before the await
