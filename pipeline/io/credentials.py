"""Refuse, at start, any configured value that contains a credential from the environment.

Why refuse instead of redact: a value from params.yaml, a preset or `--set` (a run name, an
experiment name, a path or URI) is copied to places no redaction reaches — the MLflow run name,
`outputs/*/train_run.json` and `outputs/*.run.json`, the `ray_results/` folder name, Ray's logs
and stderr. Redacting it in MLflow alone also broke resuming, since the run is found again by
its run-name tag. So the one rule is: names are not secrets, and a configured value holding a
credential is an error (`ConfigError` naming the params key or flag, never the value), raised
before Ray or MLflow start.

A credential is the value of one of `CREDENTIAL_ENV_NAMES`, or of any variable whose name ends
in `_SECRET`, `_TOKEN`, `_PASSWORD` or `_KEY`, when at least `MIN_CREDENTIAL_LENGTH` characters
long: shorter values ("1", "true", "dev") occur by chance in innocent paths.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from unit_core.typed_config import ConfigError

CREDENTIAL_ENV_NAMES = frozenset({
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ACCESS_KEY_ID",
    "MLFLOW_TRACKING_PASSWORD",
    "MLFLOW_TRACKING_TOKEN",
})  # fmt: skip
CREDENTIAL_ENV_SUFFIXES = ("_SECRET", "_TOKEN", "_PASSWORD", "_KEY")
MIN_CREDENTIAL_LENGTH = 8


def credential_env_values() -> dict[str, str]:
    """{env var name: value} of every credential present in the environment."""
    return {
        name: value
        for name, value in os.environ.items()
        if len(value) >= MIN_CREDENTIAL_LENGTH
        and (name in CREDENTIAL_ENV_NAMES or name.upper().endswith(CREDENTIAL_ENV_SUFFIXES))
    }


def refuse_credentials(values: Mapping[str, Any], prefix: str = "") -> None:
    """ConfigError naming the first key (dotted, under `prefix`) whose value holds a credential.

    `values`: nested params as loaded (mappings and lists are walked), or `{"--flag": value}`
    for command-line values; `prefix`: the dotted name of `values` itself ("" for the whole
    params). None values are skipped.
    """
    credentials = credential_env_values()
    if credentials:
        _check(values, prefix, credentials)


def _check(node: Any, key: str, credentials: dict[str, str]) -> None:
    if isinstance(node, Mapping):
        for name, value in node.items():
            _check(value, f"{key}.{name}" if key else str(name), credentials)
    elif isinstance(node, list | tuple):
        for i, value in enumerate(node):
            _check(value, f"{key}[{i}]", credentials)
    elif node is not None:
        text = str(node)
        for env_name, secret in credentials.items():
            if secret in text:
                raise ConfigError(
                    key,
                    f"contains the value of the credential ${env_name} (not shown); credentials "
                    "are read from the environment, never from params, presets or flags",
                )
