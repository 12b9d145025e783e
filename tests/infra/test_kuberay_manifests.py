"""infra/kuberay manifests parse and carry the fields the operator and our pipeline rely on.

No Kubernetes API here, so this checks structure, not admission: API group/version and kind,
autoscaling from zero, GPU requests, pinned images, env from a Secret (never literal keys), the
dashboard bound to loopback, and that the RayJob runs the pipeline on the same cluster spec as
raycluster.yaml.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from tests.infra.no_secrets import credential_findings

KUBERAY = Path(__file__).resolve().parents[2] / "infra" / "kuberay"
IMAGE = "rayproject/ray:2.60.0-py311-gpu"


@pytest.fixture(scope="module")
def raycluster() -> dict:
    return yaml.safe_load((KUBERAY / "raycluster.yaml").read_text())


@pytest.fixture(scope="module")
def rayjob() -> dict:
    return yaml.safe_load((KUBERAY / "rayjob.yaml").read_text())


def containers(group: dict) -> list[dict]:
    return group["template"]["spec"]["containers"]


def test_raycluster_autoscales_gpu_workers_from_zero(raycluster: dict) -> None:
    assert (raycluster["apiVersion"], raycluster["kind"]) == ("ray.io/v1", "RayCluster")
    spec = raycluster["spec"]
    assert spec["enableInTreeAutoscaling"] is True
    assert spec["rayVersion"] == "2.60.0"
    assert spec["headGroupSpec"]["rayStartParams"]["num-cpus"] == "0"
    (gpu_group,) = spec["workerGroupSpecs"]
    assert gpu_group["minReplicas"] == 0 == gpu_group["replicas"]
    assert gpu_group["maxReplicas"] >= 1
    (worker,) = containers(gpu_group)
    assert worker["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert worker["resources"]["requests"]["nvidia.com/gpu"] == "1"


def test_images_pinned_and_env_from_secret_only(raycluster: dict) -> None:
    spec = raycluster["spec"]
    for group in [spec["headGroupSpec"], *spec["workerGroupSpecs"]]:
        for container in containers(group):
            assert container["image"] == IMAGE
            (source,) = container["envFrom"]
            assert source["secretRef"]["name"] == "unit-pipeline-env"
            literal = {e["name"] for e in container.get("env", []) if "value" in e}
            assert not literal & {
                "AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY",
                "MLFLOW_TRACKING_PASSWORD",
            }


def test_rayjob_runs_train_then_evaluate_and_cleans_up(rayjob: dict) -> None:
    assert (rayjob["apiVersion"], rayjob["kind"]) == ("ray.io/v1", "RayJob")
    spec = rayjob["spec"]
    entrypoint = spec["entrypoint"]
    assert entrypoint.index("python -m pipeline.train") < entrypoint.index(
        "python -m pipeline.evaluate"
    )
    assert "train.checkpoint.storage_path=s3://" in entrypoint
    assert spec["shutdownAfterJobFinishes"] is True
    assert spec["ttlSecondsAfterFinished"] >= 0
    runtime_env = yaml.safe_load(spec["runtimeEnvYAML"])
    assert runtime_env["working_dir"].endswith(".zip")
    assert any(p.startswith("unit-pipeline @ ") for p in runtime_env["pip"])


def test_every_head_binds_the_dashboard_to_loopback(raycluster: dict, rayjob: dict) -> None:
    """The dashboard's job API has no authentication: never on the head Service's address."""
    for spec in (raycluster["spec"], rayjob["spec"]["rayClusterSpec"]):
        assert spec["headGroupSpec"]["rayStartParams"]["dashboard-host"] == "127.0.0.1"


def test_rayjob_cluster_is_raycluster_spec(rayjob: dict, raycluster: dict) -> None:
    """Same cluster, but for the head's restartPolicy: Never, which sidecar submission needs."""
    job_cluster = copy.deepcopy(rayjob["spec"]["rayClusterSpec"])
    assert job_cluster["headGroupSpec"]["template"]["spec"].pop("restartPolicy") == "Never"
    assert job_cluster == raycluster["spec"]


def test_rayjob_submits_from_a_sidecar_that_reaches_the_loopback_dashboard(rayjob: dict) -> None:
    assert rayjob["spec"]["submissionMode"] == "SidecarMode"
    assert "submitterConfig" not in rayjob["spec"]  # K8sJobMode's submitter Job only


@pytest.mark.parametrize("name", ["raycluster.yaml", "rayjob.yaml"])
def test_no_credentials_in_manifests(name: str) -> None:
    assert credential_findings((KUBERAY / name).read_text()) == []
