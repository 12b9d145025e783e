"""The adapted classifier as a registry model: logged by the adaptation run's export, registered
under its own name, loaded back by `load_classifier` and by MLflow's pyfunc loader."""

from __future__ import annotations

import mlflow
import numpy as np
import pytest
import torch
from mlflow.models import Model
from mlflow.tracking import MlflowClient

from pipeline.tasks.adaptation import AdaptationTask
from pipeline.tasks.adaptation_eval import classify_images
from pipeline.tracking import TrackingConfig, TrainingRun, load_classifier
from tests.fixtures.mlflow_state import reset_mlflow_globals
from tests.unit_core.da.tiny import pattern_digits, tiny_da_config
from unit_core.inputs import to_uint8

NAME = "da-digit-classifier-test"


@pytest.fixture(scope="module")
def trained() -> AdaptationTask:
    """A tiny seeded DA model (RGB source a, grey target b), EMA on, trained until its labels
    differ between images (12 steps), so equal predictions say something."""
    task = AdaptationTask(
        tiny_da_config(channels_a=3, optimizer={"ema_decay": 0.5, "lr": 2e-3}, seed=4)
    )
    x_a, labels = pattern_digits(8, 4, channels=3)
    x_b = pattern_digits(8, 4, seed=1)[0]
    for _ in range(12):
        task.trainer.train_step(x_a, x_b, labels)
    return task


@pytest.fixture(scope="module")
def registered(tracking_uri: str, trained: AdaptationTask):
    """(registration, logged model URI, run): the export logged and registered once."""
    cfg = TrackingConfig(tracking_uri=tracking_uri, experiment="classifier", registered_model="x")
    final = AdaptationTask.final_model(trained.cfg, trained.state_dict())
    with TrainingRun.start(cfg, "adapt-run", tracking_uri=tracking_uri) as run:
        model_uri = final.log(run)
        registration = run.register(model_uri, None, NAME)  # what evaluate --section adapt does
    yield registration, model_uri, run
    reset_mlflow_globals()


def _images(channels: int, seed: int) -> np.ndarray:
    return to_uint8(pattern_digits(12, 4, channels=channels, seed=seed)[0]).numpy()


def test_registered_under_its_own_name_as_fixed_budget_champion(registered, tracking_uri):
    registration, model_uri, run = registered
    assert registration.name == NAME and registration.is_champion
    client = MlflowClient(tracking_uri, registry_uri=tracking_uri)
    version = client.get_model_version_by_alias(NAME, "champion")
    assert version.run_id == run.run_id and version.tags["champion_metric"] == "none"
    assert client.get_logged_model(model_uri.split("/")[-1]).source_run_id == run.run_id


def test_load_classifier_predicts_as_the_trained_model(registered, tracking_uri, trained):
    registration, model_uri, _ = registered
    for uri in (model_uri, registration.champion_uri):
        classifier = load_classifier(uri, tracking_uri=tracking_uri)
        assert classifier.cfg == trained.cfg
        for domain, channels in (("b", 1), ("a", 3)):
            images = _images(channels, seed=10)
            x = torch.from_numpy(images)
            expected = classify_images(trained.trainer, x, domain)
            assert len(set(expected.tolist())) > 1
            assert torch.equal(classifier.predict(x, domain), expected)
            assert torch.equal(classify_images(classifier, x, domain), expected)


def test_pyfunc_predict_gives_the_same_labels(registered, tracking_uri, trained):
    registration, _, _ = registered
    mlflow.set_tracking_uri(tracking_uri)  # pyfunc resolves models:/ in the global store
    model = mlflow.pyfunc.load_model(registration.champion_uri)
    signature = model.metadata.signature
    assert signature.params.to_dict()[0] == {
        "name": "domain", "type": "string", "default": "b", "shape": None
    }
    grey, rgb = _images(1, seed=11), _images(3, seed=12)
    target = model.predict(grey)  # default: the target domain b
    source = model.predict(rgb, params={"domain": "a"})
    assert target.dtype == np.int64 and target.shape == (12,) and source.shape == (12,)
    np.testing.assert_array_equal(
        target, classify_images(trained.trainer, torch.from_numpy(grey), "b").numpy()
    )
    np.testing.assert_array_equal(
        source, classify_images(trained.trainer, torch.from_numpy(rgb), "a").numpy()
    )
    with pytest.raises(Exception, match="expected 1 channels"):
        model.predict(rgb)  # RGB into the grey target's first layer
    with pytest.raises(Exception, match="does not match expected dtype uint8"):
        model.predict(grey.astype(np.float32))  # MLflow enforces the logged signature
    assert Model.load(mlflow.artifacts.download_artifacts(registration.uri)).saved_input_example_info


def test_wrong_dtype_or_channels_are_a_clear_value_error(registered, tracking_uri):
    _, model_uri, _ = registered
    classifier = load_classifier(model_uri, tracking_uri=tracking_uri)
    grey = torch.from_numpy(_images(1, seed=13))
    with pytest.raises(ValueError, match=r"expected uint8 images \(N, 1, 32, 32\)"):
        classifier.predict(grey.float())
    with pytest.raises(ValueError, match="images_a: expected 3 channels"):
        classifier.predict(grey, "a")
