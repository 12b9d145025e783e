"""infra/aws/cluster.yaml passes Ray's own cluster-config schema, offline, and says what we rely on.

Ray's validation does not look inside `node_config` (that is boto3's create_instances payload),
so the fields we depend on there — spot market options, the instance profile — are checked here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.infra.no_secrets import credential_findings

INFRA = Path(__file__).resolve().parents[2] / "infra"
CLUSTER_YAML = INFRA / "aws" / "cluster.yaml"


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load(CLUSTER_YAML.read_text())


@pytest.fixture(scope="module")
def prepared(raw: dict) -> dict:
    """The config as `ray up` sees it: AWS defaults merged in, then schema-validated."""
    from ray.autoscaler._private.util import prepare_config, validate_config

    config = prepare_config(yaml.safe_load(CLUSTER_YAML.read_text()))
    validate_config(config)
    return config


def gpu_types(config: dict) -> dict[str, dict]:
    return {
        name: spec
        for name, spec in config["available_node_types"].items()
        if spec.get("resources", {}).get("GPU", 0) > 0
    }


def test_head_is_cpu_only_and_never_trains(prepared: dict) -> None:
    head = prepared["available_node_types"][prepared["head_node_type"]]
    assert head["resources"] == {"CPU": 0}
    assert head["max_workers"] == 0
    assert not head["node_config"]["InstanceType"].startswith(("g", "p"))


def test_gpu_types_scale_from_zero_within_the_global_cap(prepared: dict) -> None:
    gpus = gpu_types(prepared)
    assert {spec["node_config"]["InstanceType"] for spec in gpus.values()} >= {
        "g5.xlarge",
        "g5.12xlarge",
    }
    for name, spec in gpus.items():
        assert spec["min_workers"] == 0, name
        assert 0 < spec["max_workers"] <= prepared["max_workers"], name
    assert max(spec["resources"]["GPU"] for spec in gpus.values()) >= 4  # a multi-GPU type
    assert 0 < prepared["idle_timeout_minutes"] <= 30


def test_spot_option_and_s3_role_on_gpu_nodes(prepared: dict) -> None:
    gpus = gpu_types(prepared)
    spot = [
        n
        for n, s in gpus.items()
        if s["node_config"].get("InstanceMarketOptions", {}).get("MarketType") == "spot"
    ]
    assert spot and len(spot) < len(gpus)  # spot offered, on-demand still available
    for name, spec in prepared["available_node_types"].items():
        assert "instance-profile/" in spec["node_config"]["IamInstanceProfile"]["Arn"], name


def test_project_is_installed_pinned_and_ray_started(prepared: dict) -> None:
    for key in ("head_setup_commands", "worker_setup_commands"):
        assert any("pip install" in c and "-e ~/unit-pipeline" in c for c in prepared[key]), key
    assert prepared["file_mounts"] == {"~/unit-pipeline": "."}
    head_start = " ".join(prepared["head_start_ray_commands"])
    assert "--autoscaling-config=~/ray_bootstrap_config.yaml" in head_start
    assert "--dashboard-host=127.0.0.1" in head_start  # job API only through `ray dashboard`
    assert any("--address=$RAY_HEAD_IP" in c for c in prepared["worker_start_ray_commands"])
    assert prepared["docker"]["worker_image"] == "rayproject/ray:2.60.0-py311-gpu"


def test_credential_scan_catches_planted_keys() -> None:
    planted = "key: AKIAABCDEFGHIJKLMNOP\nAWS_SECRET_ACCESS_KEY=abc\nuri: postgresql://u:pw@db/x\n"
    assert len(credential_findings(planted)) == 3
    assert credential_findings("Arn: arn:aws:iam::1:instance-profile/x") == []


def test_no_credentials_in_the_file() -> None:
    assert credential_findings(CLUSTER_YAML.read_text()) == []


def test_fake_autoscaler_config_matches_the_schema() -> None:
    """The local test config is read as-is by the monitor (no defaults merged): schema only."""
    from ray.autoscaler._private.util import validate_config

    config = yaml.safe_load((INFRA / "local" / "fake_autoscaler.yaml").read_text())
    validate_config(config)
    assert config["provider"]["type"] == "fake_multinode"
    assert config["provider"]["disable_node_updaters"] is True
