"""S3 faults against a real S3 server (SeaweedFS): clear errors before work, retries, no torn data.

Issue 7's fault list: an unreachable endpoint or a missing bucket fails before work starts and
names the URI; a transient error mid-run is retried; an upload cut off never leaves a manifest
pointing at a missing or partial shard. Faults are injected on the wire by `FlakyS3Proxy`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import socket
import time

import pytest

from pipeline.data.manifest import load_manifest
from pipeline.data.write_dataset import prepare_dataset
from pipeline.io import storage
from pipeline.io.errors import DataError
from pipeline.prepare import __main__ as prepare
from pipeline.train.run import PreparedRun
from tests.pipeline.data.tiny_params import aerial_params
from tests.pipeline.flaky_s3_proxy import FlakyS3Proxy
from tests.pipeline.train_fixtures import tiny_training_params

pytestmark = pytest.mark.s3

MISSING = "s3://no-such-bucket-7f3a"


@pytest.fixture
def fake_credentials(monkeypatch):
    """Credentials for tests that never reach a server (botocore signs before it connects)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "unit-test-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "unit-test-secret")


def test_missing_bucket_is_named_before_training_or_prepare_starts(s3_server, tmp_path, caplog):
    with pytest.raises(DataError, match=rf"^{MISSING}/ray: bucket 'no-such-bucket-7f3a' does not"):
        storage.check_reachable(f"{MISSING}/ray")
    storage.check_reachable("relative/local/path")  # local paths are the stage's own business

    params = tiny_training_params(tmp_path, checkpoint={"storage_path": f"{MISSING}/ray"})
    started = time.monotonic()
    with pytest.raises(DataError, match=rf"{MISSING}/ray: bucket .* does not exist"):
        PreparedRun(params)
    assert time.monotonic() - started < 10

    params_file = tmp_path / "prepare.yaml"
    params_file.write_text(json.dumps(aerial_params(f"{MISSING}/shards/maps")))
    with caplog.at_level(logging.ERROR, logger="pipeline.prepare"):
        code = prepare.main(["--dataset", "maps", "--params", str(params_file), "--no-progress"])
    assert code == 2
    assert f"{MISSING}/shards/maps: bucket 'no-such-bucket-7f3a' does not exist" in caplog.text


def test_unreachable_endpoint_fails_in_seconds(monkeypatch, fake_credentials):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens here now: connection refused
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    started = time.monotonic()
    with pytest.raises(DataError, match=rf"s3://data/x: cannot reach S3 endpoint .*:{port}"):
        storage.check_reachable("s3://data/x")
    assert time.monotonic() - started < 10

    # A server that accepts the connection and never answers: the probe's read timeout ends it.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{silent.getsockname()[1]}")
        started = time.monotonic()
        with pytest.raises(DataError, match=r"s3://data/x: cannot reach S3 endpoint"):
            storage.check_reachable("s3://data/x")
        assert time.monotonic() - started < 20


def _assert_whole_and_consistent(prefix: str):
    """The manifest under `prefix` loads, and every shard object is whole.

    Shard names end in the first 12 hex digits of their sha256, so a partial object would show
    as a name/content mismatch; every shard the manifest lists must exist with its exact bytes.
    """
    manifest = load_manifest(prefix)
    for shard in manifest.shards:
        data = storage.read_bytes(storage.join(prefix, shard.file))
        assert hashlib.sha256(data).hexdigest() == shard.sha256, shard.file
    for name in storage.list_names(prefix):
        if name.endswith(".parquet"):
            digest = hashlib.sha256(storage.read_bytes(storage.join(prefix, name))).hexdigest()
            assert name.endswith(f"-{digest[:12]}.parquet"), f"partial object {name}"
    return manifest


def test_transient_errors_mid_upload_are_retried(s3_server, s3_bucket, monkeypatch):
    def first_put_fails(method: str, path: str, attempt: int) -> str:
        if method != "PUT" or attempt > 1 or path.count("/") < 2:  # not CreateBucket
            return "forward"
        return "cut" if path.endswith("manifest.json") or "-00000-" in path else "slowdown"

    prefix = f"{s3_bucket}/shards/maps"
    with FlakyS3Proxy(s3_server.endpoint, first_put_fails) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        written = prepare_dataset(aerial_params(prefix, size=16), "maps", progress=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server.endpoint)

    faults = [(path, action) for method, path, action in proxy.log if action != "forward"]
    assert {a for _, a in faults} == {"cut", "slowdown"}
    for path, _ in faults:  # every failed upload was sent again and then succeeded
        assert ("PUT", path, "forward") in proxy.log
    assert len(faults) == len(written.shards) + 1  # each shard and the manifest failed once
    assert _assert_whole_and_consistent(prefix).shards == written.shards


def test_upload_cut_off_keeps_the_previous_manifest_whole(s3_server, s3_bucket, monkeypatch):
    prefix = f"{s3_bucket}/shards/maps"
    params = aerial_params(prefix, size=16)
    before = prepare_dataset(params, "maps", progress=False)

    params["prepare"]["datasets"]["maps"]["seed"] = 11  # new content, new shard names
    puts = []

    def network_dies_after_two_uploads(method: str, path: str, attempt: int) -> str:
        if method == "PUT":
            puts.append(path)
            return "cut" if len(set(puts)) > 2 else "forward"
        return "forward"

    with FlakyS3Proxy(s3_server.endpoint, network_dies_after_two_uploads) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        with pytest.raises(DataError, match=rf"{prefix}/.*parquet: cannot write S3 object"):
            prepare_dataset(params, "maps", progress=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server.endpoint)

    assert any(action == "cut" for _, _, action in proxy.log)
    assert not any(p.endswith("manifest.json") for p in puts), "manifest written before shards"
    assert _assert_whole_and_consistent(prefix).shards == before.shards
