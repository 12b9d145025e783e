"""`evaluate` finds the MLflow run in the run record beside the train output, not in it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.evaluate.__main__ import evaluate
from pipeline.io.params_file import load_params
from pipeline.io.run_outputs import RUN_FILE

REPO = Path(__file__).resolve().parents[3]


def test_an_output_without_its_run_record_names_the_record_and_the_stage(tmp_path: Path) -> None:
    # e.g. a `dvc checkout` of the output on another machine: the record never left the first
    output = tmp_path / "outputs" / "translation"
    output.mkdir(parents=True)
    (output / RUN_FILE).write_text(json.dumps({"run_name": "r-0123456789", "step": 3}))
    params = load_params(REPO / "params.yaml")
    params["train"]["output"] = str(output)
    with pytest.raises(ValueError, match=r"translation\.run\.json: missing.*--section train"):
        evaluate(params, "train")
