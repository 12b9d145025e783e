"""Reading `params.yaml`, with `--set section.key=value` overrides for ad-hoc runs.

Why overrides: `ray job submit -- python -m pipeline.train --set train.steps=20` should not need
an edited copy of params.yaml shipped in the working dir. Values are parsed as YAML scalars.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from unit_core.typed_config import ConfigError


def load_params(path: str | Path) -> dict[str, Any]:
    """The whole params file as a dict; ConfigError naming the file when unreadable."""
    try:
        params = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(str(path), f"cannot read params ({err})") from err
    if not isinstance(params, dict):
        raise ConfigError(str(path), "params file must hold a mapping")
    return params


def apply_overrides(params: dict[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """A copy of `params` with each `dotted.key=value` set (the key's parent must exist)."""
    result = copy.deepcopy(params)
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ConfigError(item, "overrides look like section.key=value")
        *parents, leaf = key.split(".")
        node = result
        for i, part in enumerate(parents):
            if not isinstance(node.get(part), dict):
                raise ConfigError(".".join(parents[: i + 1]), "no such section in params")
            node = node[part]
        node[leaf] = yaml.safe_load(raw)
    return result
