"""Places in a decoded JSON tree, and copies with one place replaced (for mutation-based
property tests and the fuzz stage's hooks)."""

from __future__ import annotations

from typing import Any


def places(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every place in the tree (a path of keys and indexes), the root `()` first."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += places(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += places(item, (*prefix, index))
    return found


def replaced(value: Any, path: tuple, new: Any) -> Any:
    """A copy of the tree with `new` at `path` (the originals are not changed)."""
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = replaced(value[path[0]], path[1:], new)
    return copy
