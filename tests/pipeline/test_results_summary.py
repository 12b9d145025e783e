"""`python -m pipeline.results_summary`: one line per experiment, method vs baseline."""

import json

from pipeline.results_summary import main, summary_lines


def test_one_line_per_experiment_with_the_difference(tmp_path, capsys):
    (tmp_path / "translation").mkdir()
    (tmp_path / "translation" / "metrics.json").write_text(
        json.dumps({"test_pixel_accuracy": 0.70, "test_constant_colour_baseline": 0.65})
    )
    (tmp_path / "adaptation").mkdir()
    (tmp_path / "adaptation" / "metrics.json").write_text(
        json.dumps(
            {"target_accuracy": 0.8, "baseline_target_accuracy": 0.85, "oracle_target_accuracy": 0.9}
        )
    )
    lines = summary_lines(tmp_path)
    assert len(lines) == 2
    assert "0.800 vs source-only 0.850 (-0.050)" in lines[0]
    assert "oracle (best on test, paper-style) 0.900" in lines[0]
    assert "0.700 vs constant colour 0.650 (+0.050)" in lines[1]
    assert main(["--root", str(tmp_path)]) == 0
    assert "translation" in capsys.readouterr().out
    assert main(["--root", str(tmp_path), "adaptation"]) == 0
    assert "translation" not in capsys.readouterr().out


def test_no_evaluated_runs_is_an_error(tmp_path, capsys):
    assert main(["--root", str(tmp_path)]) == 1
    assert "dvc repro" in capsys.readouterr().err
