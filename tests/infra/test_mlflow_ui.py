"""The MLflow server's UI really renders runs: headless Chromium loads the runs-compare page.

Why a browser: the REST API can be healthy while the single-page UI fails (missing static
files, a proxy that breaks the JS bundle, a route MLflow renamed). Chromium runs the page's
JavaScript against the server fixture; we read the rendered DOM and keep a screenshot.
Needs Debian's `chromium` (`apt-get install -y chromium`); skips with that hint without it
(tests/fixtures/chromium.py).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.fixtures.chromium import browse, chromium
from tests.fixtures.mlflow_server import MlflowServer

pytestmark = [pytest.mark.e2e, pytest.mark.s3]


def test_runs_compare_page_renders_both_runs(mlflow_server: MlflowServer, tmp_path: Path) -> None:
    from mlflow.tracking import MlflowClient

    browser = chromium()
    client = MlflowClient(tracking_uri=mlflow_server.uri)
    experiment_id = client.create_experiment(f"ui-{uuid.uuid4().hex[:8]}")
    names = [f"unit-ui-{kind}-{uuid.uuid4().hex[:6]}" for kind in ("shared1", "shared0")]
    run_ids = []
    for n_shared, name in zip((1, 0), names, strict=True):
        run = client.create_run(experiment_id, run_name=name)
        client.log_param(run.info.run_id, "unit.model.n_shared", n_shared)
        client.log_metric(run.info.run_id, "val_pixel_accuracy", 0.3 + 0.1 * n_shared, step=6)
        client.set_terminated(run.info.run_id)
        run_ids.append(run.info.run_id)

    url = (
        f"{mlflow_server.uri}/#/compare-runs?runs={quote(json.dumps(run_ids))}"
        f"&experiments={quote(json.dumps([experiment_id]))}"
    )
    dom = browse(browser, url, tmp_path / "profile", "--dump-dom")
    for name in names:
        assert name in dom, f"run {name} not rendered; DOM starts {dom[:2000]!r}"
    assert "val_pixel_accuracy" in dom  # the metric table rendered, not only the page title

    shot = tmp_path / "compare-runs.png"
    browse(browser, url, tmp_path / "profile", f"--screenshot={shot}")
    assert shot.is_file() and shot.stat().st_size > 10_000  # a blank page is a few KB
