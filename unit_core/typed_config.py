"""Strict construction of typed dataclass configs from plain dicts (a `params.yaml` section).

Why strict: a misspelt key in `params.yaml` that is silently ignored trains the wrong model for
hours. Unknown keys, wrong types and out-of-range values raise `ConfigError` naming the full
dotted key (e.g. ``model.n_shared``).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

T = TypeVar("T")


class ConfigError(ValueError):
    """A configuration value is unknown, of the wrong type, or out of range."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"config key '{key}': {problem}")
        self.key = key
        self.problem = problem

    def __reduce__(self):  # Ray/Tune pickle and copy exceptions: rebuild from both arguments
        return (type(self), (self.key, self.problem))


def require(condition: bool, key: str, problem: str) -> None:
    """Raise `ConfigError(key, problem)` unless `condition` holds (for `validate()` methods)."""
    if not condition:
        raise ConfigError(key, problem)


def build(cls: type[T], data: Mapping[str, Any] | None, prefix: str = "") -> T:
    """Build dataclass `cls` from `data`, recursing into nested dataclass fields.

    Missing keys take the dataclass default. After construction each dataclass's optional
    `validate(prefix)` method is called so range checks can name the dotted key.
    """
    data = {} if data is None else data
    if not isinstance(data, Mapping):
        raise ConfigError(prefix.rstrip(".") or "<root>", f"expected a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(
            prefix + unknown[0], f"unknown key (known keys: {', '.join(sorted(fields))})"
        )
    kwargs = {name: _coerce(hints[name], data[name], prefix + name) for name in data}
    obj = cls(**kwargs)
    validate = getattr(obj, "validate", None)
    if callable(validate):
        validate(prefix)
    return obj


def to_dict(obj: Any) -> dict[str, Any]:
    """Plain-dict form of a config (round-trips through `build`)."""
    return dataclasses.asdict(obj)


def _coerce(hint: Any, value: Any, key: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if dataclasses.is_dataclass(hint):
        return build(hint, value, key + ".")
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        non_none = [a for a in args if a is not type(None)]
        errors = []
        for option in non_none:
            try:
                return _coerce(option, value, key)
            except ConfigError as err:
                errors.append(err.problem)
        raise ConfigError(key, "; ".join(errors))
    if origin is typing.Literal:
        if value not in args:
            raise ConfigError(key, f"must be one of {list(args)}, got {value!r}")
        return value
    if origin in (tuple, list):
        if not isinstance(value, list | tuple):
            raise ConfigError(key, f"expected a list, got {value!r}")
        item = args[0] if args else Any
        items = [_coerce(item, v, f"{key}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(key, f"expected a mapping, got {value!r}")
        return dict(value)
    if hint is Any:
        return value
    if hint is float:
        # YAML writes 1e-4 as a string unless it has a dot; ints are fine where floats are due.
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ConfigError(key, f"expected a number, got {value!r}")
        try:
            return float(value)
        except ValueError:
            raise ConfigError(key, f"expected a number, got {value!r}") from None
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(key, f"expected an integer, got {value!r}")
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(key, f"expected true or false, got {value!r}")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(key, f"expected a string, got {value!r}")
        return value
    return value
