"""What `unit-pipeline tune` leaves for DVC: best_params.yaml, the trial table, the ablation plot.

`best_params.yaml` holds the best trial's overrides and its whole model section, ready to be
pasted into params.yaml (or diffed against it). Files are swapped in all at once.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import yaml

from pipeline.io.atomic import replace_folder
from pipeline.tune.ablation_report import ablation_rows, draw_ablation
from pipeline.tune.config import TuneSettings
from pipeline.tune.outcomes import TrialOutcome
from pipeline.tune.space import with_overrides

BEST_FILE = "best_params.yaml"
TRIALS_CSV = "trials.csv"
TRIALS_JSON = "trials.json"
ABLATION_CSV = "ablation.csv"
ABLATION_PNG = "ablation.png"


def best_params_document(
    sweep_name: str,
    best: TrialOutcome,
    settings: TuneSettings,
    base_params: dict[str, Any],
    model_section: str,
) -> dict[str, Any]:
    """The best trial's config: overrides, metric, and the model section they produce."""
    params = with_overrides(base_params, best.overrides)
    return {
        "sweep": sweep_name,
        "trial_id": best.trial_id,
        "cell": best.cell,
        "metric": settings.metric,
        "value": best.value,
        "step": best.step,
        "overrides": best.overrides,
        model_section: params[model_section],
    }


def write_outputs(
    output: Path,
    settings: TuneSettings,
    outcomes: list[TrialOutcome],
    best_document: dict[str, Any] | None,
) -> None:
    """Write `output/` (replacing the previous sweep's files)."""
    rows = [o.row(settings.metric) for o in outcomes]

    def fill(folder: Path) -> None:
        if best_document is not None:
            (folder / BEST_FILE).write_text(yaml.safe_dump(best_document, sort_keys=False))
        _write_csv(folder / TRIALS_CSV, rows)
        (folder / TRIALS_JSON).write_text(json.dumps(rows, indent=1) + "\n")
        if settings.preset == "ablation":
            table = ablation_rows(outcomes, settings.metric)
            _write_csv(folder / ABLATION_CSV, table)
            draw_ablation(table, settings.ablation, settings.metric, folder / ABLATION_PNG)

    replace_folder(output, fill)


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    columns: list[str] = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
