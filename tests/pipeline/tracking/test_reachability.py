"""The tracking store is probed before training: fast, clear errors naming the URI."""

from __future__ import annotations

import http.server
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.tracking import TrackingConfig, TrackingError, TrainingRun, check_tracking_reachable


def _closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def health_server() -> Iterator[tuple[str, list[int]]]:
    """A local HTTP server whose /health status code the test sets via the returned list."""
    status = [200]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            self.send_response(status[0])
            self.end_headers()
            self.wfile.write(b"OK")

        def log_message(self, *args: object) -> None:  # keep test output quiet
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", status
    server.shutdown()
    server.server_close()


def test_unreachable_http_server_fails_fast_naming_the_uri() -> None:
    uri = f"http://127.0.0.1:{_closed_port()}"
    started = time.monotonic()
    with pytest.raises(TrackingError, match=f"{uri} is unreachable"):
        check_tracking_reachable(uri)
    assert time.monotonic() - started < 5


def test_training_run_start_probes_before_creating_anything() -> None:
    uri = f"http://127.0.0.1:{_closed_port()}"
    started = time.monotonic()
    with pytest.raises(TrackingError, match="unreachable"):
        TrainingRun.start(TrackingConfig(), "never", tracking_uri=uri)
    assert time.monotonic() - started < 5


def test_healthy_and_unhealthy_http_server(health_server: tuple[str, list[int]]) -> None:
    uri, status = health_server
    check_tracking_reachable(uri)  # 200: fine
    status[0] = 404  # something answers but does not route /health: fine
    check_tracking_reachable(uri)
    status[0] = 503
    with pytest.raises(TrackingError, match="unhealthy"):
        check_tracking_reachable(uri)
    status[0] = 401
    with pytest.raises(TrackingError, match="refused access"):
        check_tracking_reachable(uri)


def test_password_in_uri_is_not_shown() -> None:
    uri = f"http://bob:s3cr3t@127.0.0.1:{_closed_port()}"
    with pytest.raises(TrackingError) as err:
        check_tracking_reachable(uri)
    assert "s3cr3t" not in str(err.value)


@pytest.mark.parametrize("userinfo", ["bob:s3cr3t@", "t0ken-as-user@"])
def test_credentials_in_uri_are_refused_for_that_reason(
    userinfo: str, health_server: tuple[str, list[int]]
) -> None:
    """Even with a healthy server behind it: the reason is the URI, not the network."""
    uri = health_server[0].replace("http://", f"http://{userinfo}")
    with pytest.raises(TrackingError) as err:
        check_tracking_reachable(uri)
    message = str(err.value)
    assert "credentials in the URI are not accepted" in message
    assert "MLFLOW_TRACKING_USERNAME" in message and "MLFLOW_TRACKING_PASSWORD" in message
    assert "s3cr3t" not in message and "t0ken" not in message
    assert "unreachable" not in message


def test_sqlite_in_missing_or_readonly_directory(tmp_path: Path) -> None:
    check_tracking_reachable(f"sqlite:///{tmp_path}/mlflow.db")
    with pytest.raises(TrackingError, match="does not exist"):
        check_tracking_reachable(f"sqlite:///{tmp_path}/missing/mlflow.db")
    if os.geteuid() == 0:
        return  # root may write anywhere; the read-only case cannot be staged
    readonly = tmp_path / "ro"
    readonly.mkdir(mode=0o500)
    try:
        with pytest.raises(TrackingError, match="not writable"):
            check_tracking_reachable(f"sqlite:///{readonly}/mlflow.db")
    finally:
        readonly.chmod(0o700)
