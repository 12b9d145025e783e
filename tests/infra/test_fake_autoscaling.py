"""Autoscaling on one machine: Ray's fake multi-node provider adds "nodes" (extra raylets) when a
training job asks for more workers than are up, and removes them once they sit idle.

The head has 0 CPUs and infra/local/fake_autoscaler.yaml allows up to two 1-CPU workers, so a
2-worker TorchTrainer can only run after the autoscaler launched both. Why not
`ray.cluster_utils.AutoscalingCluster`: its start() and shutdown() run `ray stop --force`, which
stops every Ray on the machine. We start the head ourselves on private ports and a private temp
dir and stop it with infra/local/down.sh (by the id every process of this cluster inherits).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import yaml

from tests.fixtures.processes import free_ports
from tests.infra.local_cluster import (
    MARKER,
    REPO,
    marked_pids,
    new_cluster_id,
    run_down,
)

pytestmark = pytest.mark.e2e

CONFIG = REPO / "infra" / "local" / "fake_autoscaler.yaml"
JOB = Path(__file__).with_name("autoscaling_job.py")
RAY = REPO / ".venv" / "bin" / "ray"


def start_fake_head(state: Path, cluster_id: str) -> str:
    """`ray start --head` with the fake provider; returns the GCS address."""
    gcs, dashboard, client, agent, agent_grpc, metrics, node_manager, objects, runtime_env = (
        free_ports(9)
    )
    config = yaml.safe_load(CONFIG.read_text())
    # Fake nodes join this head, not whatever may listen on the default 6379.
    config["provider"]["gcs_address"] = f"127.0.0.1:{gcs}"
    config_path = state / "autoscaler.yaml"
    config_path.write_text(yaml.safe_dump(config))
    ray_tmp = tempfile.mkdtemp(prefix="unit-ray.", dir="/tmp")  # short socket paths
    (state / "ray_temp_dir").write_text(ray_tmp)
    env = {
        **os.environ,
        MARKER: cluster_id,
        "RAY_FAKE_CLUSTER": "1",
        "AUTOSCALER_UPDATE_INTERVAL_S": "1",
        "RAY_AUTH_MODE": "disabled",
    }
    subprocess.run(
        [
            str(RAY),
            "start",
            "--head",
            "--node-ip-address=127.0.0.1",
            f"--port={gcs}",
            "--dashboard-host=127.0.0.1",
            f"--dashboard-port={dashboard}",
            f"--ray-client-server-port={client}",
            f"--dashboard-agent-listen-port={agent}",
            f"--dashboard-agent-grpc-port={agent_grpc}",
            f"--metrics-export-port={metrics}",
            f"--node-manager-port={node_manager}",
            f"--object-manager-port={objects}",
            f"--runtime-env-agent-port={runtime_env}",
            "--num-cpus=0",
            f"--temp-dir={ray_tmp}",
            f"--autoscaling-config={config_path}",
            "--disable-usage-stats",
        ],
        check=True,
        env=env,
        capture_output=True,
        timeout=180,
    )
    return f"127.0.0.1:{gcs}"


def active_workers(address: str) -> tuple[int, str]:
    """Worker nodes the autoscaler reports as active (from `ray status`), and the full report."""
    report = subprocess.run(
        [str(RAY), "status", f"--address={address}"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "RAY_AUTH_MODE": "disabled"},
    )
    active = report.stdout.split("Active:", 1)[-1].split("Pending:", 1)[0]
    counts = re.findall(r"^\s*(\d+) cpu\.worker", active, flags=re.MULTILINE)
    return sum(int(c) for c in counts), report.stdout


def wait_for_scale_down(address: str, timeout: float = 120) -> list[int]:
    """Poll until no worker node is active; returns the counts seen (last one 0 on success)."""
    seen: list[int] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        count, report = active_workers(address)
        seen.append(count)
        if count == 0:
            return seen
        time.sleep(2)
    raise AssertionError(f"idle nodes still up after {timeout} s: {seen}\n{report}")


def test_job_scales_cluster_up_then_idle_nodes_go_away(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    cluster_id = new_cluster_id(state)
    started = time.monotonic()
    try:
        address = start_fake_head(state, cluster_id)
        job = subprocess.run(
            [
                str(REPO / ".venv" / "bin" / "python"),
                str(JOB),
                address,
                "2",
                str(tmp_path / "ray_results"),
            ],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=REPO,
            env={**os.environ, "RAY_AUTH_MODE": "disabled"},
        )
        assert job.returncode == 0, job.stdout[-3000:] + job.stderr[-5000:]
        line = next(x for x in job.stdout.splitlines() if x.startswith("RESULT "))
        result = json.loads(line.removeprefix("RESULT "))
        # Scale-down is judged after the driver has gone, as after any finished job.
        result["after"] = wait_for_scale_down(address)
    finally:
        down = run_down(state)
    elapsed = time.monotonic() - started

    print(f"fake autoscaling: {elapsed:.0f} s, {result}")
    assert result["before"] == 0  # nothing to train on until the autoscaler acts
    ranks = result["ranks"]
    assert [r["world_size_seen"] for r in ranks] == [2.0, 2.0]  # both ranks in one group
    assert len({r["node_id"] for r in ranks}) == 2  # one rank per added 1-CPU node
    assert result["ever_joined"] >= 2
    assert result["after"][-1] == 0, result["after"]  # idle nodes were removed
    assert down.returncode == 0, down.stderr
    assert marked_pids(cluster_id) == []
