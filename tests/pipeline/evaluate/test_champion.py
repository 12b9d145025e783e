"""`tracking.champion_metric` chooses the metric that `evaluate` registers the model by."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pipeline.evaluate import __main__ as evaluate_module
from pipeline.evaluate.__main__ import EvaluateConfig, _track
from pipeline.io.params_file import load_params
from pipeline.tracking import TrackingConfig
from pipeline.train.config import TrainConfig
from unit_core.typed_config import ConfigError

REPO = Path(__file__).resolve().parents[3]


class FakeRun:
    """Records what `_track` logs and registers instead of talking to MLflow."""

    registered: list[tuple[str, float | None, str | None]] = []

    @classmethod
    def start(cls, *args: Any, **kwargs: Any) -> FakeRun:
        return cls()

    def log_evaluation(self, metrics: dict[str, float], step: int, model_uri: Any) -> None:
        pass

    def register(self, model_uri: str, value: float | None, name: str | None = None) -> Any:
        self.registered.append((model_uri, value, name))
        return type("Reg", (), {"name": "m", "version": "1", "is_champion": True})()

    def end(self, status: str) -> None:
        pass


@pytest.fixture
def fake_run(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, float | None, str | None]]:
    FakeRun.registered = []
    monkeypatch.setattr(evaluate_module, "TrainingRun", FakeRun)
    return FakeRun.registered


TRAINED = {"run_name": "r", "mlflow_run_id": "id", "step": 3, "mlflow_model_uri": "models:/m-1"}
METRICS = {"val_pixel_accuracy": 0.5, "val_diversity": 0.25, "test_pixel_accuracy": 0.9}


def test_default_agrees_with_params_yaml() -> None:
    section = load_params(REPO / "params.yaml")["tracking"]
    assert TrackingConfig().champion_metric == section["champion_metric"]
    assert TrackingConfig().champion_higher_is_better == section["champion_higher_is_better"]


@pytest.mark.parametrize("metric, value", [("val_pixel_accuracy", 0.5), ("val_diversity", 0.25)])
def test_champion_metric_chooses_the_registered_value(fake_run, metric, value) -> None:
    metrics = dict(METRICS)
    _track(TrackingConfig(champion_metric=metric), TRAINED, metrics, EvaluateConfig())
    assert fake_run == [("models:/m-1", value, None)]
    assert metrics["champion"] is True


def test_without_a_validation_metric_the_newest_version_serves(fake_run) -> None:
    """A fixed-budget run (digits, adaptation) has no val metric: registered with none, under
    its own section's name, never crowned by a test figure."""
    _track(TrackingConfig(), TRAINED, {"test_pixel_accuracy": 0.9}, EvaluateConfig(),
           "unit-digit-translator")
    assert fake_run == [("models:/m-1", None, "unit-digit-translator")]


def test_a_test_split_metric_is_refused() -> None:
    with pytest.raises(ConfigError, match="tracking.champion_metric"):
        TrackingConfig.from_dict({"champion_metric": "test_pixel_accuracy"})


def test_the_adapted_classifier_registers_under_its_own_name() -> None:
    """`evaluate --section adapt` registers the adaptation run's model (the adapted classifier,
    a fixed-budget run) as da-digit-classifier, apart from every translator."""
    section = load_params(REPO / "params.yaml")["adapt"]
    assert TrainConfig.from_dict(section, prefix="adapt.").registered_model == "da-digit-classifier"
