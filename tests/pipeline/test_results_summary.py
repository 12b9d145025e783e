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


def test_the_digit_translator_gets_a_line_per_score_and_direction(tmp_path):
    scores = {}
    for direction in ("a2b", "b2a"):
        scores |= {
            f"{direction}_pixel_adaptation_accuracy": 0.8, f"{direction}_source_only_accuracy": 0.7,
            f"{direction}_content_kept_accuracy": 0.6, f"{direction}_content_identity_accuracy": 0.5,
            f"{direction}_looks_like_target_rate": 0.9, f"{direction}_looks_identity_rate": 0.0,
        }  # fmt: skip
    (tmp_path / "digit_translation").mkdir()
    (tmp_path / "digit_translation" / "metrics.json").write_text(json.dumps(scores))
    lines = summary_lines(tmp_path)
    assert len(lines) == 6
    assert "digits M->U, pixel-level adaptation: 0.800 vs source-only 0.700 (+0.100)" in lines[0]
    assert any("digits U->M, looks like the target: 0.900 vs identity 0.000" in x for x in lines)


def test_no_evaluated_runs_is_an_error(tmp_path, capsys):
    assert main(["--root", str(tmp_path)]) == 1
    assert "dvc repro" in capsys.readouterr().err
