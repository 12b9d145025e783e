"""Flatten a nested params.yaml into MLflow params.

MLflow params are flat string pairs with a length limit; dotted keys ("model.n_shared") keep the
params.yaml structure readable in the UI and comparable across runs.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from mlflow.utils.validation import MAX_ENTITY_KEY_LENGTH, MAX_PARAM_VAL_LENGTH

log = logging.getLogger(__name__)

_TRUNCATION_MARK = "...<truncated>"
_INVALID_KEY_CHARS = re.compile(r"[^a-zA-Z0-9_\-. /]")  # MLflow's allowed key alphabet


def flatten_params(nested: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """{"model": {"n_shared": 1}} -> {"model.n_shared": "1"}.

    Lists of scalars are joined with "," (`[0.5, 0.999]` -> "0.5,0.999"); lists holding mappings
    are flattened by index ("stages.0.name"). Booleans and None use YAML spelling (true, null).
    Values longer than MLflow's limit are truncated with a marker and a warning.
    """
    flat: dict[str, str] = {}
    for key, value in nested.items():
        name = prefix + _INVALID_KEY_CHARS.sub("_", str(key))
        if isinstance(value, Mapping):
            flat.update(flatten_params(value, name + "."))
        elif isinstance(value, list | tuple) and any(isinstance(v, Mapping) for v in value):
            flat.update(flatten_params({str(i): v for i, v in enumerate(value)}, name + "."))
        else:
            flat[_checked_key(name)] = _checked_value(name, _to_text(value))
    return flat


def _to_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, list | tuple):
        return ",".join(_to_text(v) for v in value)
    return str(value)


def _checked_key(name: str) -> str:
    if len(name) > MAX_ENTITY_KEY_LENGTH:
        raise ValueError(f"param key {name[:60]}... is longer than {MAX_ENTITY_KEY_LENGTH} chars")
    return name


def _checked_value(name: str, text: str) -> str:
    if len(text) <= MAX_PARAM_VAL_LENGTH:
        return text
    log.warning(
        "param %s is %d chars; truncated to MLflow's %d", name, len(text), MAX_PARAM_VAL_LENGTH
    )
    return text[: MAX_PARAM_VAL_LENGTH - len(_TRUNCATION_MARK)] + _TRUNCATION_MARK
