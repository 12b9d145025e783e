"""What `unit-pipeline train` checks before any Ray worker starts: each bad input fails in seconds."""

import socket
import time

import pytest
import yaml

from pipeline.tasks import TranslationTask
from pipeline.train import __main__ as train_module
from pipeline.train import run as run_module
from pipeline.train.config import TrainConfig
from pipeline.train.run import PreparedRun, run_name_for
from tests.pipeline.train_fixtures import tiny_training_params
from unit_core.typed_config import ConfigError


@pytest.fixture(scope="module")
def tiny_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("train")
    tiny_training_params(root)  # prepares the shards once
    return root


def build_unit_config(section, image):
    return TranslationTask.build_config(section, image, "unit.")


def test_image_shape_comes_from_the_manifest():
    cfg = build_unit_config({"model": {"n_shared": 2}}, {"height": 32, "channels": 1})
    assert (cfg.model.image_size, cfg.model.channels_a, cfg.model.channels_b) == (32, 1, 1)
    with pytest.raises(ConfigError, match="unit.model.image_size.*dataset has 32"):
        build_unit_config({"model": {"image_size": 64}}, {"height": 32, "channels": 1})


def test_run_name_changes_with_what_shapes_training_only(tiny_root):
    base = PreparedRun(tiny_training_params(tiny_root))
    same = PreparedRun(tiny_training_params(tiny_root, checkpoint={"storage_path": "/elsewhere"}))
    more_steps = PreparedRun(tiny_training_params(tiny_root, steps=7))
    bf16 = PreparedRun(tiny_training_params(tiny_root, speed={"precision": "bf16"}))
    assert base.run_name == same.run_name
    assert base.run_name != more_steps.run_name
    assert base.run_name != bf16.run_name  # bf16 never resumes an fp32 run
    assert bf16.worker_settings("id").train.speed.precision == "bf16"
    assert base.worker_settings("id").train.speed.precision == "auto"
    assert base.run_name.startswith("tiny-")
    other_unit = run_name_for(
        base.train,
        build_unit_config({"model": {"n_shared": 0}}, base.manifest.image),
        base.manifest_sha,
    )
    assert other_unit != base.run_name


def test_run_name_changes_with_the_training_code(tiny_root, monkeypatch):
    """A changed network or loop must train afresh, not resume the old code's finished run."""
    base = PreparedRun(tiny_training_params(tiny_root))
    monkeypatch.setattr(run_module, "training_code_fingerprint", lambda: "0123456789")
    assert PreparedRun(tiny_training_params(tiny_root)).run_name != base.run_name


def test_code_fingerprint_covers_the_model_code():
    from pipeline.train import fingerprint as code_fingerprint

    hashed = {p.relative_to(code_fingerprint.ROOT).as_posix() for p in code_fingerprint.shaping_sources()}
    assert {
        "unit_core/unit/trainer.py",  # the networks and the step
        "unit_core/munit/trainer.py",
        "unit_core/da/trainer.py",
        "pipeline/tasks/translation.py",  # what the loop drives
        "pipeline/data/shard_reader.py",  # what feeds it
        "pipeline/train/loop.py",
    } <= hashed
    assert "pipeline/bench/__main__.py" not in hashed  # not imported by the loop: not shaping
    assert len(code_fingerprint.training_code_fingerprint()) == 10


def test_missing_manifest_names_the_file(tiny_root):
    params = tiny_training_params(tiny_root)
    params["train"]["manifest"] = str(tiny_root / "nowhere")
    with pytest.raises(ValueError, match="nowhere.*manifest"):
        PreparedRun(params)


def test_batch_larger_than_the_data_is_refused(tiny_root):
    with pytest.raises(ConfigError, match="train.batch_size"):
        PreparedRun(tiny_training_params(tiny_root, batch_size=64))


@pytest.mark.parametrize(
    "section, key, value",
    [
        ("scaling", "num_workers", 0),
        ("checkpoint", "every", 0),
        (None, "steps", 0),
        (None, "bogus", 1),
    ],
)
def test_impossible_train_values_name_the_key(section, key, value):
    data = {section: {key: value}} if section else {key: value}
    dotted = f"train.{section}.{key}" if section else f"train.{key}"
    with pytest.raises(ConfigError) as err:
        TrainConfig.from_dict(data)
    assert err.value.key == dotted


def test_unreachable_mlflow_server_fails_before_training(tiny_root):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    params = tiny_training_params(tiny_root)
    params["tracking"]["tracking_uri"] = f"http://127.0.0.1:{port}"
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=f"127.0.0.1:{port}"):
        PreparedRun(params)
    assert time.monotonic() - start < 10


def test_set_into_a_section_the_run_does_not_read_names_the_key(tiny_root):
    params_file = tiny_root / "params_unused.yaml"
    params_file.write_text(yaml.safe_dump(tiny_training_params(tiny_root)))
    for key in ("munit.model.base_channels=8", "adapt.steps=5", "da.seed=3"):
        assert train_module.main(["--params", str(params_file), "--set", key]) == 2
    prepared = PreparedRun(tiny_training_params(tiny_root))
    train_module.check_overrides_used(["unit.seed=1", "train.steps=3", "tracking.log_every=1"], prepared)
    with pytest.raises(ConfigError, match="munit.model.base_channels.*does not read section 'munit'"):
        train_module.check_overrides_used(["munit.model.base_channels=8"], prepared)


def test_worker_settings_are_typed_and_survive_pickling(tiny_root):
    """Workers get the driver's typed configs and loaded manifest, not a dict to parse again."""
    import pickle

    prepared = PreparedRun(tiny_training_params(tiny_root))
    settings = prepared.worker_settings("run-id")
    copy = pickle.loads(pickle.dumps(settings))
    assert copy == settings
    assert copy.model == prepared.model and copy.train == prepared.train
    assert copy.manifest.root == prepared.manifest.root and copy.mlflow_run_id == "run-id"
    with pytest.raises(AttributeError):
        settings.run_name = "other"  # frozen
