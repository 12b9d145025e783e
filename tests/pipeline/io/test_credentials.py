"""A configured value holding an environment credential stops every stage at start, by key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline.evaluate import __main__ as evaluate
from pipeline.io.credentials import refuse_credentials
from pipeline.prepare import __main__ as prepare
from pipeline.train import __main__ as train
from pipeline.translate import __main__ as translate
from pipeline.tune import __main__ as tune
from tests.pipeline.train_fixtures import tiny_training_params
from unit_core.typed_config import ConfigError

REPO = Path(__file__).resolve().parents[3]
SECRET = "planted-Secret-4242"


@pytest.fixture(scope="module")
def shards_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("shards")
    tiny_training_params(root)  # real shards: without the check, train would really start
    return root


@pytest.fixture
def planted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, shards_root: Path) -> Path:
    """A credential in the environment, the cwd in an empty folder, params.yaml written there
    with every store (MLflow, Ray results, outputs, prepare's output) under that folder."""
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.chdir(tmp_path)
    params = tiny_training_params(shards_root, workers=1)
    params["tracking"]["tracking_uri"] = f"sqlite:///{tmp_path / 'mlflow.db'}"
    params["train"]["checkpoint"]["storage_path"] = str(tmp_path / "ray_results")
    params["train"]["output"] = str(tmp_path / "out")
    maps = params["prepare"]["datasets"]["aerial_maps"]
    maps["source_root"] = str(REPO / maps["source_root"])  # its output stays under tmp_path
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    return tmp_path


def test_values_holding_a_credential_are_refused_by_key_without_the_value(monkeypatch):
    monkeypatch.setenv("BILLING_API_KEY", "k3y-of-billing")
    monkeypatch.setenv("SHORT_TOKEN", "abc")  # under 8 characters: "abc" in a path is chance
    monkeypatch.setenv("AWS_REGION", "eu-west-1")  # not a credential name
    refuse_credentials({"train": {"run_name": "abc-eu-west-1", "paths": ["a", "b"]}})
    with pytest.raises(ConfigError) as err:
        refuse_credentials({"train": {"paths": ["ok", "s3://b/k3y-of-billing/x"]}})
    assert err.value.key == "train.paths[1]" and "$BILLING_API_KEY" in str(err.value)
    assert "k3y-of-billing" not in str(err.value)
    with pytest.raises(ConfigError, match="'--output'"):
        refuse_credentials({"--input": "in", "--output": "out-k3y-of-billing", "--model": None})


@pytest.mark.parametrize(
    "stage, extra",
    [(train, []), (prepare, ["--dataset", "aerial_maps"]), (evaluate, []), (tune, [])],
    ids=["train", "prepare", "evaluate", "tune"],
)
def test_run_name_with_a_credential_exits_2_before_anything_is_created(
    stage, extra, planted: Path, caplog: pytest.LogCaptureFixture, capsys
) -> None:
    argv = ["--params", "params.yaml", *extra, "--set", f"train.run_name=exp-{SECRET}"]
    assert stage.main(argv) == 2
    assert "config key 'train.run_name'" in caplog.text
    assert "$AWS_SECRET_ACCESS_KEY" in caplog.text
    seen = caplog.text + "".join(capsys.readouterr())
    assert SECRET not in seen
    # No mlflow.db, no ray_results, no outputs or shards: refused before anything started.
    assert sorted(p.name for p in planted.iterdir()) == ["params.yaml"]


def test_flags_with_a_credential_exit_2_naming_the_flag(planted: Path, caplog) -> None:
    code = prepare.main(["--dataset", "aerial_maps", "--output", f"out-{SECRET}"])
    assert code == 2 and "config key '--output'" in caplog.text
    code = translate.main(["--model", "m.pt", "--input", "in", "--output", f"o-{SECRET}"])
    assert code == 2 and "config key '--output'" in caplog.text
    assert SECRET not in caplog.text
    assert sorted(p.name for p in planted.iterdir()) == ["params.yaml"]
