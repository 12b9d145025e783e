"""infra/mlflow/start.sh: a tracking server whose artifacts land in S3, used only over HTTP."""

from __future__ import annotations

import socket
import uuid

import pytest

from tests.fixtures.mlflow_server import MlflowServer

pytestmark = pytest.mark.s3


def test_artifact_logged_over_http_lands_in_the_bucket(mlflow_server: MlflowServer) -> None:
    from mlflow.tracking import MlflowClient

    from pipeline.io.storage import s3_client, split_s3

    # An explicit client, not the fluent API: no global MLflow state leaks into other tests.
    client = MlflowClient(tracking_uri=mlflow_server.uri)
    experiment_id = client.create_experiment(f"infra-{uuid.uuid4().hex[:8]}")
    run = client.create_run(experiment_id, run_name="server-smoke")
    run_id = run.info.run_id
    client.log_param(run_id, "kl_weight", 0.01)
    client.log_metric(run_id, "loss_gen", 1.5, step=3)
    note = f"artifact of {run_id}\n"
    client.log_text(run_id, note, "notes/hello.txt")
    client.set_terminated(run_id)

    # The client saw only the proxy URI; the bytes are in the server's S3 destination.
    assert run.info.artifact_uri.startswith("mlflow-artifacts:")
    bucket, prefix = split_s3(mlflow_server.artifacts_destination)
    keys = [
        o["Key"]
        for o in s3_client().list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    ]
    matches = [k for k in keys if run_id in k and k.endswith("notes/hello.txt")]
    assert len(matches) == 1, keys
    body = s3_client().get_object(Bucket=bucket, Key=matches[0])["Body"].read()
    assert body.decode() == note
    assert client.get_run(run_id).data.metrics["loss_gen"] == 1.5


def test_server_listens_on_loopback_only(mlflow_server: MlflowServer) -> None:
    port = int(mlflow_server.uri.rsplit(":", 1)[1])
    other_addresses = {
        info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    } - {"127.0.0.1"}
    for address in other_addresses:
        with socket.socket() as s:
            s.settimeout(1)
            assert s.connect_ex((address, port)) != 0, f"server reachable on {address}:{port}"
