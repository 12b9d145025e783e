"""Which params values a piece of code reads: a params dict that records every key read.

`ReadRecorder` wraps the nested mappings of a params dict; every value fetched through it
(`[key]`, `get`, `items`, `values`, `dict(...)`, and in deep copies of it) records its dotted
path. `read_paths` keeps the paths with no recorded path below them: a scalar, or a mapping
consumed as a whole (e.g. hashed) — the conservative reading.
"""

from __future__ import annotations

import copy
from typing import Any


class ReadRecorder(dict):
    def __init__(self, data: dict[str, Any], log: set[str], prefix: str = "") -> None:
        super().__init__(data)
        self._log = log
        self._prefix = prefix

    def _read(self, key: Any, value: Any) -> Any:
        path = f"{self._prefix}{key}"
        self._log.add(path)
        if isinstance(value, dict) and not isinstance(value, ReadRecorder):
            value = ReadRecorder(value, self._log, path + ".")
            dict.__setitem__(self, key, value)
        return value

    def __getitem__(self, key: Any) -> Any:
        return self._read(key, dict.__getitem__(self, key))

    def get(self, key: Any, default: Any = None) -> Any:
        return self[key] if dict.__contains__(self, key) else default

    def __iter__(self):  # defined so dict(rec) and ** take the slow path through __getitem__
        return dict.__iter__(self)

    def items(self):
        return [(key, self[key]) for key in dict.keys(self)]

    def values(self):
        return [self[key] for key in dict.keys(self)]

    def copy(self) -> ReadRecorder:
        return ReadRecorder(dict(dict.items(self)), self._log, self._prefix)

    def __deepcopy__(self, memo: dict[int, Any]) -> ReadRecorder:
        data = {key: copy.deepcopy(value, memo) for key, value in dict.items(self)}
        return ReadRecorder(data, self._log, self._prefix)


def read_paths(log: set[str]) -> set[str]:
    """The recorded paths with nothing recorded below them (what was actually read)."""
    return {p for p in log if not any(other.startswith(p + ".") for other in log)}


def covered(path: str, entries: list[str]) -> bool:
    """A DVC params entry `a.b` covers `a.b` and everything below it."""
    return any(path == entry or path.startswith(entry + ".") for entry in entries)
