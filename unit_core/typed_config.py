"""Strict construction of typed dataclass configs from plain dicts (a `params.yaml` section).

Why strict: a misspelt key in `params.yaml` that is silently ignored trains the wrong model for
hours. Unknown keys, wrong types and out-of-range values raise `ConfigError` naming the full
dotted key (e.g. ``model.n_shared``).

Every config dataclass inherits `TypedConfig` and so has the one `from_dict` / `to_dict`:

    @dataclass(frozen=True)
    class TrainConfig(TypedConfig):
        default_prefix: ClassVar[str] = "train."  # its params.yaml section
        steps: int = 300

        def validate(self, prefix: str = "") -> None:  # optional: checks past the type
            require(self.steps >= 1, prefix + "steps", f"must be >= 1, got {self.steps}")
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, ClassVar, Self, TypeVar

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


class TypedConfig:
    """Mixin of the config dataclasses: strict `from_dict` and the plain `to_dict` it reads back.

    `default_prefix` names where the config sits in params.yaml (e.g. ``"train."``), so that
    errors name the full key when no `prefix` is passed. Class-specific checks go in an
    optional `validate(prefix)` method, which `build` calls after construction.
    """

    default_prefix: ClassVar[str] = ""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None, prefix: str | None = None) -> Self:
        """Build from a plain dict (`build`): unknown keys, wrong types and ranges are errors."""
        return build(cls, data, cls.default_prefix if prefix is None else prefix)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (nested configs as dicts); round-trips through `from_dict`."""
        return dataclasses.asdict(self)  # type: ignore[call-overload]


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
