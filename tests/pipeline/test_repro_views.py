"""What a newcomer opens after `make repro`: the MLflow run page and the DVC plots page.

One module-wide `dvc repro` of the real ./dvc.yaml on tiny data (tests/pipeline/repro_scratch.py;
a second folder reproduces the translation branch alongside it for the byte check: about 2
minutes for both on 2 cores),
then headless Chromium reads what the two pages the README names render: the training run with
its dataset, code version, system metrics and image grid; every plot of dvc.yaml drawn offline
with all its curves. Browser tests skip without Chromium (tests/fixtures/chromium.py); the
fresh-clone checks of `dvc plots show` run regardless.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from mlflow.tracking import MlflowClient

from pipeline.io.run_outputs import load_trained
from tests.fixtures.chromium import OFFLINE_FLAG, browse, chromium, visible_text
from tests.fixtures.mlflow_server import stop_process_group, wait_http_ok
from tests.fixtures.processes import free_ports
from tests.pipeline.repro_scratch import (
    REPO,
    STEPS,
    dvc_command,
    dvc_env,
    finish_dvc,
    run_dvc,
    start_dvc,
    tiny_repro_project,
)

TRAIN_SOURCE = "python -m pipeline.train --section train_digits"  # the default translator's stage
SYSTEM_METRIC = "system/cpu_utilization_percentage"


@dataclass(frozen=True)
class Reproduced:
    work: Path  # the scratch project after `dvc repro`
    commit: str  # its git commit: the code version runs must carry

    @property
    def tracking_uri(self) -> str:
        return f"sqlite:///{self.work / 'mlflow.db'}"  # params.yaml's default, in `work`


@dataclass(frozen=True)
class Reproductions:
    first: Reproduced  # the one the views read
    second: Path  # the translation branch of the same DAG in another folder (the byte check)


# The second folder's targets: prepare, train_digits and evaluate_digits. The adaptation branch's
# output is compared across two folders by tests/pipeline/test_adapt_e2e.py (same seed, same
# bytes), so it is not trained a fourth time here.
SECOND_TARGETS = ("evaluate_digits",)


@pytest.fixture(scope="module")
def reproductions(tmp_path_factory: pytest.TempPathFactory) -> Reproductions:
    """Two scratch projects reproduced at the same time: on 2 cores the two `dvc repro`s
    overlap their start-ups and waits (about 2 min for both, against 3 one after the other).
    The second reproduces only the translation branch (SECOND_TARGETS)."""
    if dvc_command() is None:
        pytest.skip("dvc is not installed in this environment")
    first, second = tmp_path_factory.mktemp("repro"), tmp_path_factory.mktemp("repro_again")
    commit = tiny_repro_project(first)
    tiny_repro_project(second)
    # A 4-step run ends before MLflow's first 10 s system-metrics sample, and on a fast CI
    # runner before a 1 s one (CI: "System metrics" missing); sample every 0.1 s.
    env = dvc_env(MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL="0.1")
    procs = [start_dvc(first, "repro", env=env), start_dvc(second, "repro", *SECOND_TARGETS, env=env)]
    try:
        for proc in procs:
            finish_dvc(proc)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return Reproductions(Reproduced(first, commit), second)


@pytest.fixture(scope="module")
def reproduced(reproductions: Reproductions) -> Reproduced:
    return reproductions.first


@pytest.fixture(scope="module")
def mlflow_ui(reproduced: Reproduced) -> Iterator[str]:
    """The README's `mlflow ui --backend-store-uri sqlite:///mlflow.db --workers 1`, on the scratch.

    One in-process worker, as infra/mlflow/start.sh: uvicorn's supervisor of several restarts
    any worker that takes over 5 s to answer its ping, and on a loaded 2-core machine that was
    each of them in turn (a restart loop; /health not ready after 180 s). Without MLflow's job
    runner, as start.sh too: its seven Huey consumer processes serve none of these pages and
    took about 28 CPU-seconds of a 2-core suite.
    """
    port = free_ports(1)[0]
    log_path = reproduced.work / "mlflow-ui.log"
    command = [str(dvc_command().with_name("mlflow")), "ui", "--backend-store-uri",
               reproduced.tracking_uri, "--host", "127.0.0.1", "--port", str(port),
               "--workers", "1"]  # fmt: skip
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            command, cwd=reproduced.work, env=dvc_env(MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false"),
            stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,  # its uvicorn workers share the group, stopped as one
        )  # fmt: skip
    uri = f"http://127.0.0.1:{port}"
    try:
        wait_http_ok(f"{uri}/health", proc, log_path, timeout=180)
        yield uri
    finally:
        stop_process_group(proc)


@pytest.mark.e2e
def test_mlflow_ui_shows_the_training_run_its_data_code_hardware_and_images(
    reproduced: Reproduced, mlflow_ui: str, tmp_path: Path
) -> None:
    browser = chromium()
    client = MlflowClient(reproduced.tracking_uri)
    experiment_id = client.get_experiment_by_name("unit").experiment_id
    (run,) = client.search_runs([experiment_id], "tags.`dvc.stage` = 'train_digits'")
    run_id, (dataset_input,) = run.info.run_id, run.inputs.dataset_inputs
    dataset = f"{dataset_input.dataset.name} ({dataset_input.dataset.digest})"

    def page(route: str, under: str = f"/experiments/{experiment_id}") -> tuple[str, list[str]]:
        dom = browse(browser, f"{mlflow_ui}/#{under}{route}", tmp_path / "profile", "--dump-dom")
        return dom, visible_text(dom)

    # The training-runs view (not the GenAI traces overview), each run with data and source.
    _, runs = page("/runs")
    assert "Training runs" in runs and "Token Usage" not in runs, runs[:80]
    assert {run.info.run_name, dataset, TRAIN_SOURCE} <= set(runs), runs[:120]

    _, overview = page(f"/runs/{run_id}")
    found = set(overview)
    assert {dataset, "training"} <= found, "Datasets panel"
    assert TRAIN_SOURCE in found and any(reproduced.commit[:7] in t for t in overview), "Source"
    assert {"dvc.stage", ": train_digits"} <= found
    assert SYSTEM_METRIC in found, "System metrics"
    # The logged model carries the evaluation on the dataset, and links its registry version.
    assert {"a2b_pixel_adaptation_accuracy", "unit-digit-translator", "v1"} <= found

    # The logged model's page lists the evaluation on the dataset; the registry version links
    # back to the run and names the data.
    trained = load_trained(reproduced.work / "outputs" / "digit_translation")
    _, model = page(f"/models/{trained['mlflow_model_uri'].removeprefix('models:/')}")
    name, digest = dataset_input.dataset.name, dataset_input.dataset.digest
    assert {"a2b_pixel_adaptation_accuracy", f"{name} (#{digest})", run.info.run_name} <= set(model), model
    _, version = page("/models/unit-digit-translator/versions/1", under="")
    assert {"Source Run", run.info.run_name, "dataset_name", name, digest, run_id} <= set(version)

    grids = [a.path for a in client.list_artifacts(run_id, "images") if a.path.endswith(".png")]
    assert grids, "no translation image grid was logged"
    dom, _ = page(f"/runs/{run_id}/artifacts/{grids[-1]}")
    # The preview fetched the PNG through the server and shows it (a blob: URL of its bytes).
    assert re.search(rf'<img alt="{re.escape(grids[-1])}" src="blob:', dom), "image grid"


@pytest.mark.e2e
def test_dvc_plots_page_draws_every_plot_of_dvc_yaml_offline(
    reproduced: Reproduced, tmp_path: Path
) -> None:
    browser = chromium()
    run_dvc(reproduced.work, "plots", "show")
    page = reproduced.work / "dvc_plots" / "index.html"
    text = page.read_text()
    assert not re.search(r"<script[^>]*\bsrc=", text), "the page loads a script from elsewhere"
    # Vega draws on a canvas by default, which a DOM dump cannot read; the same page with the
    # SVG renderer puts titles and every data point (aria-labels) into the DOM.
    head, end_head, body = text.rpartition("</head>")
    svg_page = page.with_name("index-svg.html")
    svg_page.write_text(head + SVG_RENDERER + end_head + body)
    dom = browse(browser, svg_page.as_uri(), tmp_path / "profile", OFFLINE_FLAG, "--dump-dom")

    for title, fields in dvc_yaml_plots().items():
        chart = _chart(dom, title)
        for field in fields:
            # Each curve is one SVG line path labelled with its field, a vertex per logged step.
            paths = re.findall(rf'<path aria-label="[^"]*; field: {field}" [^>]*'
                               r'aria-roledescription="line mark" d="([^"]+)"', chart)  # fmt: skip
            assert paths, f"plot {title!r} draws no curve of {field}"
            vertices = max(len(re.findall(r"[ML]", d)) for d in paths)
            assert vertices == STEPS, f"plot {title!r}: {field} has {vertices} points"


@pytest.mark.e2e
def test_dvc_plots_show_reports_no_failure_after_repro(reproduced: Reproduced) -> None:
    output = run_dvc(reproduced.work, "plots", "show")
    assert "failed" not in output.lower() and "error" not in output.lower(), output


def test_every_plot_reads_a_file_a_default_stage_writes() -> None:
    """Else `dvc plots show` fails on every fresh clone even after `make repro` (as it did for
    the sweep plots: their files exist only after a sweep, which `dvc repro` never runs)."""
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    outs = _stage_outputs(yaml.safe_load((REPO / "dvc.yaml").read_text()), params)
    for title, files in dvc_yaml_plot_files().items():
        for file in files:
            assert any(file == out or file.startswith(out.rstrip("/") + "/") for out in outs), (
                f"plot {title!r} reads {file}, which no stage of ./dvc.yaml writes ({outs})"
            )


SVG_RENDERER = """<script>
const dvcVegaEmbed = window.vegaEmbed;
window.vegaEmbed = (el, spec, opts) => dvcVegaEmbed(el, spec, {...opts, renderer: "svg"});
</script>
"""


def dvc_yaml_plots() -> dict[str, list[str]]:
    """{plot title: the y fields it draws} for the top-level plots of ./dvc.yaml."""
    plots: dict[str, list[str]] = {}
    for entry in yaml.safe_load((REPO / "dvc.yaml").read_text())["plots"]:
        ((title, spec),) = entry.items()
        fields = [spec["y"][f] for f in spec["y"]]
        plots[title] = [name for f in fields for name in ([f] if isinstance(f, str) else f)]
    return plots


def dvc_yaml_plot_files() -> dict[str, list[str]]:
    """{plot title: the files its curves come from}."""
    entries = yaml.safe_load((REPO / "dvc.yaml").read_text())["plots"]
    return {title: list(spec["y"]) for entry in entries for title, spec in entry.items()}


def _chart(dom: str, title: str) -> str:
    """The SVG of the chart titled `title` (from its <svg class="marks"> to the next one)."""
    charts = re.split(r'(?=<svg [^>]*class="marks")', dom)[1:]
    matching = [c for c in charts if f"aria-label=\"Title text '{title}'\"" in c]
    assert len(matching) == 1, f"plot {title!r}: {len(matching)} rendered charts, not 1"
    return matching[0]


def _stage_outputs(dvc_yaml: dict[str, Any], params: dict[str, Any]) -> list[str]:
    """Every `outs` path of every stage (foreach stages expanded), templates resolved."""
    outs = []
    for stage in dvc_yaml["stages"].values():
        if "foreach" in stage:
            items = _resolve(stage["foreach"], params)
            bodies = [(stage["do"], {"item": item, "key": key}) for key, item in items.items()]
        else:
            bodies = [(stage, {})]
        for body, local in bodies:
            for out in body.get("outs", []):
                path = out if isinstance(out, str) else next(iter(out))
                outs.append(_resolve(path, {**params, **local}))
    return outs


def _resolve(text: str, context: dict[str, Any]) -> Any:
    """DVC's `${a.b}` interpolation over `context` (a lone reference keeps its type)."""

    def lookup(dotted: str) -> Any:
        value: Any = context
        for key in dotted.split("."):
            value = value[key]
        return value

    lone = re.fullmatch(r"\$\{([^}]+)\}", text)
    if lone:
        return lookup(lone.group(1).strip())
    return re.sub(r"\$\{([^}]+)\}", lambda m: str(lookup(m.group(1).strip())), text)


def test_a_second_folder_reproduces_the_dvc_outputs_byte_for_byte(
    reproductions: Reproductions,
) -> None:
    """Run records (MLflow ids, absolute paths, timings) stay out of DVC outputs, so the same
    stages in another folder give the same `dvc.lock` hashes: a teammate's clone is clean after
    a repro. Here the shards and the digit translator; the adapted classifier's output is
    checked the same way in tests/pipeline/test_adapt_e2e.py."""
    first, second = (
        _lock_hashes(p / "dvc.lock") for p in (reproductions.first.work, reproductions.second)
    )
    assert any("outputs/digit_translation" in path for path in second)
    assert any("data/shards" in path for path in second)
    assert second == {path: first[path] for path in second}


def _lock_hashes(lock: Path) -> dict[str, str]:
    """path -> md5 of every out of every stage in a dvc.lock."""
    stages = yaml.safe_load(lock.read_text())["stages"]
    return {out["path"]: out["md5"] for stage in stages.values() for out in stage.get("outs", [])}
