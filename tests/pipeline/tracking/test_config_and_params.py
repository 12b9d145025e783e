"""TrackingConfig parsing, tracking-URI resolution, param flattening and credential redaction."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlflow.utils.validation import MAX_PARAM_VAL_LENGTH

from pipeline.tracking import (
    TrackingConfig,
    TrainingRun,
    flatten_params,
    redact,
    resolve_tracking_uri,
)
from pipeline.tracking.redaction import REDACTED, redact_uri
from unit_core.typed_config import ConfigError


def test_defaults_and_strict_keys() -> None:
    cfg = TrackingConfig.from_dict({"log_every": 10})
    assert cfg.log_every == 10 and cfg.experiment == "unit" and cfg.champion_higher_is_better
    with pytest.raises(ConfigError, match="tracking.log_evry"):
        TrackingConfig.from_dict({"log_evry": 10})
    with pytest.raises(ConfigError, match="tracking.images_every"):
        TrackingConfig.from_dict({"images_every": 0})


def test_retry_cap_reaches_the_run_buffer_and_below_the_first_wait_is_refused(
    tmp_path: Path,
) -> None:
    cfg = TrackingConfig.from_dict({"retry_max_delay_s": 4})
    run = TrainingRun(cfg, f"sqlite:///{tmp_path / 'mlflow.db'}", "run-id")  # logs nothing
    assert run.buffer.max_delay_s == 4
    with pytest.raises(ConfigError, match="tracking.retry_max_delay_s"):
        TrackingConfig.from_dict({"retry_max_delay_s": 0.5})


def test_relative_sqlite_resolves_against_base_dir(tmp_path: Path) -> None:
    assert (
        resolve_tracking_uri("sqlite:///mlflow.db", tmp_path) == f"sqlite:///{tmp_path}/mlflow.db"
    )
    assert resolve_tracking_uri("sqlite:////abs/x.db", tmp_path) == "sqlite:////abs/x.db"
    assert resolve_tracking_uri("http://h:5000", tmp_path) == "http://h:5000"


def test_env_tracking_uri_overrides_params(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://mlflow.internal:5000")
    assert TrackingConfig().resolved_uri() == "http://mlflow.internal:5000"


def test_flatten_params_nested_lists_bools_none() -> None:
    flat = flatten_params(
        {
            "model": {"n_shared": 1, "norm": "instance"},
            "optimizer": {"betas": [0.5, 0.999], "amsgrad": False},
            "data": {"datasets": [{"name": "mnist"}, {"name": "usps"}], "limit": None},
            "seed": 0,
        }
    )
    assert flat == {
        "model.n_shared": "1",
        "model.norm": "instance",
        "optimizer.betas": "0.5,0.999",
        "optimizer.amsgrad": "false",
        "data.datasets.0.name": "mnist",
        "data.datasets.1.name": "usps",
        "data.limit": "null",
        "seed": "0",
    }


def test_flatten_params_truncates_to_mlflow_limit() -> None:
    flat = flatten_params({"notes": "x" * (MAX_PARAM_VAL_LENGTH + 10)})
    assert len(flat["notes"]) == MAX_PARAM_VAL_LENGTH and flat["notes"].endswith("<truncated>")


def test_redact_keys_and_uri_userinfo_but_not_names() -> None:
    clean = redact(
        {
            "storage.aws_access_key_id": "AKIAEXAMPLE",
            "mlflow.token": "tok",
            "storage.uri": "https://alice:hunter22@s3.local/bucket",
            "storage.region": "us-east-1",
            "model.n_shared": "1",
            "unit.ray_run_name": "tiny-0123456789",  # found again by value to resume the run
        }
    )
    assert clean["storage.aws_access_key_id"] == REDACTED
    assert clean["mlflow.token"] == REDACTED
    assert clean["storage.uri"] == f"https://{REDACTED}@s3.local/bucket"
    assert clean["storage.region"] == "us-east-1" and clean["model.n_shared"] == "1"
    assert clean["unit.ray_run_name"] == "tiny-0123456789"
    assert redact_uri("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"
