"""A tiny end-to-end training setup: procedural maps dataset, tiny UNIT, temp MLflow and storage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from mlflow.entities import Run
from mlflow.tracking import MlflowClient

from pipeline.data.write_dataset import prepare_dataset
from tests.fixtures.empty_tracking_db import empty_tracking_db
from tests.pipeline.data.tiny_params import aerial_params, digits_params

REPO = Path(__file__).resolve().parents[2]


def tiny_training_params(
    root: Path, steps: int = 6, workers: int = 2, **train: Any
) -> dict[str, Any]:
    """params.yaml of the project with a 16-pair 32x32 dataset prepared under `root`."""
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    shards = root / "shards"
    if not (shards / "manifest.json").exists():
        prepare_dataset(
            aerial_params(str(shards), size=32, counts=(16, 8, 8)), "maps", progress=False
        )
    params["unit"]["model"].update(
        base_channels=4, dis_base_channels=4, dis_layers=3, n_res_blocks=2
    )
    checkpoint = train.pop("checkpoint", {})
    params["train"].update(
        {
            "dataset": "maps",
            "manifest": str(shards),
            "run_name": "tiny",
            "output": str(root / "out"),
            "steps": steps,
            "batch_size": 2,
            **train,
        }
    )
    params["train"]["scaling"]["num_workers"] = workers
    params["train"]["checkpoint"].update(
        {"every": 3, "storage_path": str(root / "ray_results"), **checkpoint}
    )
    params["tracking"].update(
        tracking_uri=empty_tracking_db(root / "mlflow.db"), log_every=2, images_every=3
    )
    params["evaluate"].update(output_root=str(root / "eval"))
    return params


def tiny_adaptation_params(
    root: Path, steps: int = 4, workers: int = 2, shards: Path | None = None
) -> dict[str, Any]:
    """params.yaml with a tiny labelled MNIST(a) / USPS(b) fixture set for the `adapt` section.

    shards: read these (prepared there when absent) instead of `root/digit_shards`; runs in two
    folders that share them can compare their outputs byte for byte (the manifest names its
    source folder, which differs per folder).
    """
    params = tiny_training_params(root, steps=steps, workers=workers)
    shards = shards or root / "digit_shards"
    if not (shards / "manifest.json").exists():
        prepare_dataset(digits_params(root / "raw", str(shards)), "toy", progress=False)
    params["da"]["model"].update(base_channels=4, dis_base_channels=4, latent_channels=8)
    adapt = params["adapt"]
    adapt.update(
        dataset="toy", manifest=str(shards), run_name="tiny-da", output=str(root / "adapt_out")
    )
    adapt.update(steps=steps, batch_size=2)
    adapt["scaling"]["num_workers"] = workers
    adapt["checkpoint"].update(every=2, storage_path=str(root / "ray_results"))
    return params


def write_params(params: dict[str, Any], root: Path) -> str:
    """`params` as `root/params.yaml`; returns its path, as `--params` takes it."""
    path = root / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    return str(path)


def only_run(params: dict[str, Any]) -> tuple[MlflowClient, Run]:
    """The client of `params`' tracking store and the one run of its experiment (asserted one)."""
    client = MlflowClient(params["tracking"]["tracking_uri"])
    experiment = client.get_experiment_by_name(params["tracking"]["experiment"])
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 1, [r.info.run_name for r in runs]
    return client, runs[0]
