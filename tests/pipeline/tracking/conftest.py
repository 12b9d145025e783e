"""One temp-dir sqlite tracking store per test session (creating its schema costs ~4 s).

Tests isolate themselves by unique experiment / registered-model names, never by the repo's
mlflow.db. The fluent MLflow state is reset after
each test by tests/fixtures/mlflow_state.py.
"""

from __future__ import annotations

import uuid

import pytest

from pipeline.tracking import TrackingConfig
from tests.unit_core.tiny import tiny_config
from unit_core.unit.trainer import UnitTrainer


@pytest.fixture(scope="session")
def tracking_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    db = tmp_path_factory.mktemp("mlflow") / "mlflow.db"
    return f"sqlite:///{db}"


@pytest.fixture
def tracking_config(tracking_uri: str) -> TrackingConfig:
    """A config with its own experiment and registered-model names."""
    suffix = uuid.uuid4().hex[:8]
    return TrackingConfig(
        tracking_uri=tracking_uri,
        experiment=f"exp-{suffix}",
        registered_model=f"model-{suffix}",
    )


@pytest.fixture(scope="session")
def tiny_trainer() -> UnitTrainer:
    """Grey domain A, RGB domain B: exercises per-direction channel counts."""
    return UnitTrainer(tiny_config(channels_a=1, channels_b=3))
