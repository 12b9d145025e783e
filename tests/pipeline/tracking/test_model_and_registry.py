"""The logged pyfunc model, `load_translator`, and the @champion registry rule."""

from __future__ import annotations

import json

import mlflow
import numpy as np
import pytest
import torch
from mlflow.models import Model
from mlflow.tracking import MlflowClient

from pipeline.tracking import TrackingConfig, TrainingRun, load_translator, register_model
from pipeline.tracking.dataset_input import log_training_data
from tests.fixtures.mlflow_state import reset_mlflow_globals
from unit_core.inputs import to_model_range, to_uint8
from unit_core.unit.trainer import UnitTrainer


def _reference(trainer: UnitTrainer, images: np.ndarray, direction: str) -> np.ndarray:
    x = to_model_range(torch.from_numpy(images))
    return to_uint8(trainer.translator.eval().translate(x, direction)).numpy()


@pytest.fixture(scope="module")
def logged_model(tracking_uri: str, tiny_trainer: UnitTrainer):
    """(model URI, tracking URI, run): the tiny translator logged once for this module's tests."""
    uri = tracking_uri
    cfg = TrackingConfig(tracking_uri=uri, experiment="models", registered_model="unit-test")
    with TrainingRun.start(cfg, "model-run", tracking_uri=uri) as run:
        model_uri = run.log_translator(tiny_trainer.translator, tiny_trainer.cfg)
    yield model_uri, uri, run
    reset_mlflow_globals()


def test_pyfunc_predict_equals_translate(logged_model, tiny_trainer: UnitTrainer) -> None:
    model_uri, tracking_uri, _ = logged_model
    mlflow.set_tracking_uri(tracking_uri)
    model = mlflow.pyfunc.load_model(model_uri)
    signature = model.metadata.signature
    assert signature is not None and signature.params.to_dict()[0]["name"] == "direction"
    rng = np.random.default_rng(0)
    grey = rng.integers(0, 256, (3, 1, 16, 16), dtype=np.uint8)  # domain A has 1 channel
    rgb = rng.integers(0, 256, (2, 3, 16, 16), dtype=np.uint8)
    a2b = model.predict(grey)  # default direction a2b
    b2a = model.predict(rgb, params={"direction": "b2a"})
    assert a2b.dtype == np.uint8 and a2b.shape == (3, 3, 16, 16) and b2a.shape == (2, 1, 16, 16)
    np.testing.assert_array_equal(a2b, _reference(tiny_trainer, grey, "a2b"))
    np.testing.assert_array_equal(b2a, _reference(tiny_trainer, rgb, "b2a"))
    with pytest.raises(Exception, match="1 channels"):
        model.predict(rgb)  # RGB into the grey a2b encoder


def test_model_has_input_example_and_is_tied_to_the_run(logged_model) -> None:
    model_uri, tracking_uri, run = logged_model
    mlflow.set_tracking_uri(tracking_uri)  # models:/ URIs resolve in the global store
    local = mlflow.artifacts.download_artifacts(model_uri)
    meta = Model.load(local)
    assert meta.saved_input_example_info is not None
    assert (
        MlflowClient(tracking_uri).get_logged_model(model_uri.split("/")[-1]).source_run_id
        == run.run_id
    )


def test_load_translator_round_trip(logged_model, tiny_trainer: UnitTrainer) -> None:
    model_uri, tracking_uri, _ = logged_model
    translator, cfg = load_translator(model_uri, tracking_uri=tracking_uri)
    assert cfg == tiny_trainer.cfg
    x = torch.rand(2, 1, 16, 16) * 2 - 1
    expected = tiny_trainer.translator.eval().translate(x, "a2b")
    assert torch.equal(translator.translate(x, "a2b"), expected)


def test_champion_moves_only_when_beaten(logged_model, tiny_trainer: UnitTrainer) -> None:
    model_uri, tracking_uri, _ = logged_model
    name = "unit-registry-test"
    client = MlflowClient(tracking_uri, registry_uri=tracking_uri)

    def champion() -> str:
        return str(client.get_model_version_by_alias(name, "champion").version)

    first = register_model(model_uri, name, "pixel_accuracy", 0.50, tracking_uri=tracking_uri)
    assert first.is_champion and first.previous_champion is None and champion() == "1"

    worse = register_model(model_uri, name, "pixel_accuracy", 0.40, tracking_uri=tracking_uri)
    assert not worse.is_champion and champion() == "1"
    newest = client.get_model_version(name, worse.version)
    assert newest.tags["champion_metric_value"] == "0.4"
    # The "latest" alias name is reserved in MLflow 3; models:/NAME/latest is the newest version.
    _, cfg = load_translator(worse.latest_uri, tracking_uri=tracking_uri)
    assert cfg == tiny_trainer.cfg
    assert max(int(v.version) for v in client.search_model_versions(f"name='{name}'")) == 2

    better = register_model(model_uri, name, "pixel_accuracy", 0.60, tracking_uri=tracking_uri)
    assert better.is_champion and better.previous_champion == "1" and champion() == "3"
    translator, _ = load_translator(better.champion_uri, tracking_uri=tracking_uri)
    assert translator is not None


def test_lower_is_better_and_nan_never_wins(logged_model) -> None:
    model_uri, tracking_uri, _ = logged_model
    name = "unit-registry-lower"
    first = register_model(
        model_uri, name, "fid", 30.0, higher_is_better=False, tracking_uri=tracking_uri
    )
    assert first.is_champion
    assert not register_model(model_uri, name, "fid", float("nan"), False, tracking_uri).is_champion
    assert register_model(model_uri, name, "fid", 20.0, False, tracking_uri).is_champion


def test_without_a_metric_the_newest_version_is_champion(logged_model) -> None:
    """A fixed-budget run (no validation metric) crowns its newest version every time."""
    model_uri, tracking_uri, _ = logged_model
    name = "unit-registry-fixed"
    client = MlflowClient(tracking_uri, registry_uri=tracking_uri)
    first = register_model(model_uri, name, "val_x", None, tracking_uri=tracking_uri)
    second = register_model(model_uri, name, "val_x", None, tracking_uri=tracking_uri)
    assert first.is_champion and second.is_champion and second.previous_champion == "1"
    assert str(client.get_model_version_by_alias(name, "champion").version) == "2"
    assert client.get_model_version(name, "2").tags["champion_metric"] == "none"


def test_evaluation_reaches_the_logged_model_and_the_version_names_run_and_data(
    tracking_uri: str, tiny_trainer: UnitTrainer, tmp_path
) -> None:
    """The model page lists the evaluation metrics on the training dataset; the registry
    version links to the run (MLflow's run_id) and names the dataset in its tags."""
    cfg = TrackingConfig(tracking_uri=tracking_uri, experiment="lineage", registered_model="lin")
    with TrainingRun.start(cfg, "lineage-run", tracking_uri=tracking_uri) as run:
        log_training_data("maps", str(tmp_path), "ab" * 32, {"train": {"a": 4, "b": 4}})
        model_uri = run.log_translator(tiny_trainer.translator, tiny_trainer.cfg)
    evaluated = TrainingRun.start(cfg, "lineage-run", run_id=run.run_id)  # as `evaluate` does
    evaluated.log_evaluation({"val_pixel_accuracy": 0.4, "test_pixel_accuracy": 0.3}, 6, model_uri)
    registration = evaluated.register(model_uri, 0.4)
    evaluated.end()

    client = MlflowClient(tracking_uri, registry_uri=tracking_uri)
    model = client.get_logged_model(model_uri.removeprefix("models:/"))
    on_model = {m.key: (m.value, m.step, m.dataset_name, m.dataset_digest) for m in model.metrics}
    digest = "ab" * 8  # the dataset input's short digest
    assert on_model == {
        "val_pixel_accuracy": (0.4, 6, "maps", digest),
        "test_pixel_accuracy": (0.3, 6, "maps", digest),
    }
    assert client.get_run(run.run_id).data.metrics["test_pixel_accuracy"] == 0.3  # run too
    version = client.get_model_version(registration.name, registration.version)
    assert version.run_id == run.run_id
    listed = json.loads(client.get_logged_model(model.model_id).tags["mlflow.modelVersions"])
    assert listed == [{"name": "lin", "version": registration.version}]  # the model page's link
    assert version.tags["source_run_id"] == run.run_id
    assert (version.tags["dataset_name"], version.tags["dataset_digest"]) == ("maps", digest)
