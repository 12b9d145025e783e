"""Reading `params.yaml`, with presets and `--set section.key=value` overrides for ad-hoc runs.

Why overrides: `ray job submit -- python -m pipeline.train --set train.steps=20` should not need
an edited copy of params.yaml shipped in the working dir. Values are parsed as YAML scalars.
A preset (`presets/*.yaml`) is a partial params file merged over params.yaml: the paper's full
schedules and the ablations live there instead of in copies of the whole file.
"""

from __future__ import annotations

import copy
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from pipeline.io.credentials import refuse_credentials
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
    """A copy of `params` with each `dotted.key=value` set.

    The key's top-level section and its parent must exist: `--set steps=2` (meant as
    train.steps) or a typo'd section would otherwise add a key that no stage reads.
    """
    result = copy.deepcopy(params)
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ConfigError(item, "overrides look like section.key=value")
        *parents, leaf = key.split(".")
        if key.split(".")[0] not in result:
            raise ConfigError(key, "no such top-level section in params "
                              f"(known: {', '.join(sorted(map(str, result)))})")
        node = result
        for i, part in enumerate(parents):
            if not isinstance(node.get(part), dict):
                raise ConfigError(".".join(parents[: i + 1]), "no such section in params")
            node = node[part]
        node[leaf] = yaml.safe_load(raw)
    return result


def merge_preset(
    params: dict[str, Any], preset: dict[str, Any], where: str = "preset"
) -> dict[str, Any]:
    """A copy of `params` with `preset` merged in (mappings merge key by key, values replace).

    A key the preset names that params.yaml lacks is an error, so a typo cannot add a section
    the stages silently ignore; whole new datasets under `prepare.datasets` are allowed.
    """
    result = copy.deepcopy(params)
    _merge_into(result, preset, where, path="")
    return result


def _merge_into(target: dict[str, Any], overlay: dict[str, Any], where: str, path: str) -> None:
    for key, value in overlay.items():
        dotted = f"{path}{key}"
        if key not in target and path != "prepare.datasets.":
            raise ConfigError(dotted, f"{where} sets a key params.yaml does not have")
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge_into(target[key], value, where, f"{dotted}.")
        else:
            target[key] = copy.deepcopy(value)


def load_run_params(
    path: str | Path, presets: Iterable[str | Path] = (), overrides: Iterable[str] = ()
) -> dict[str, Any]:
    """params.yaml, then each preset in order, then `--set` overrides: what a stage runs with.

    ConfigError naming the key when a value holds a credential from the environment
    (`pipeline.io.credentials`): checked here so every stage refuses it before it starts.
    """
    params = load_params(path)
    for preset in presets:
        params = merge_preset(params, load_params(preset), where=str(preset))
    params = apply_overrides(params, overrides)
    refuse_credentials(params)
    return params


def stage_prog(module: str) -> str | None:
    """argparse `prog` for a stage package's `__main__`: `python -m pipeline.X`, not `__main__.py`
    (None, argparse's default, when `unit-pipeline` already named the command)."""
    return f"python -m {module}" if os.path.basename(sys.argv[0]) == "__main__.py" else None
