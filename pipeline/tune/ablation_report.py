"""The paper's ablation as a table and a picture: pixel accuracy per (n_shared, dis_layers) cell.

The PNG is drawn with Pillow (a declared dependency) so the stage needs no plotting library:
a heat map of the grid cells, then one row per loss variant beside the cell it modifies.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from pipeline.tune.config import ABLATION_VARIANTS, AblationSettings
from pipeline.tune.outcomes import TrialOutcome

CELL_W, CELL_H, MARGIN = 120, 44, 150


def ablation_rows(outcomes: list[TrialOutcome], metric: str) -> list[dict[str, Any]]:
    """One row per cell: n_shared, dis_layers, variant, outcome, step, metric."""
    rows = []
    for o in outcomes:
        n_shared = next((v for k, v in o.overrides.items() if k.endswith(".n_shared")), None)
        dis_layers = next((v for k, v in o.overrides.items() if k.endswith(".dis_layers")), None)
        variant = o.cell if o.cell in ABLATION_VARIANTS else "full"
        rows.append(
            {
                "cell": o.cell,
                "n_shared": n_shared,
                "dis_layers": dis_layers,
                "variant": variant,
                "outcome": o.outcome,
                "step": o.step,
                metric: o.value,
            }
        )
    return rows


def draw_ablation(
    rows: list[dict[str, Any]], ablation: AblationSettings, metric: str, path: Path
) -> None:
    """Heat map of `metric` over n_shared (rows) x dis_layers (columns), variants below."""
    full: dict[tuple[Any, Any], dict[str, Any]] = {}
    for r in rows:  # with num_samples > 1 a cell repeats: show its first scored run
        key = (r["n_shared"], r["dis_layers"])
        if r["variant"] == "full" and (key not in full or full[key][metric] is None):
            full[key] = r
    variants = [r for r in rows if r["variant"] != "full"]
    values = [r[metric] for r in rows if r[metric] is not None]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    n_rows = len(ablation.n_shared) + 1 + len(variants)
    width = MARGIN + CELL_W * len(ablation.dis_layers) + 20
    height = 40 + CELL_H * (n_rows + 1)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((10, 10), f"{metric} (val split, last step)", fill="black")
    for j, dis_layers in enumerate(ablation.dis_layers):
        draw.text((MARGIN + j * CELL_W + 10, 40), f"dis_layers={dis_layers}", fill="black")
    for i, n_shared in enumerate(ablation.n_shared):
        y = 40 + CELL_H * (i + 1)
        draw.text((10, y + 15), f"n_shared={n_shared}", fill="black")
        for j, dis_layers in enumerate(ablation.dis_layers):
            _cell(draw, MARGIN + j * CELL_W, y, full.get((n_shared, dis_layers)), metric, low, high)
    for k, row in enumerate(variants):
        y = 40 + CELL_H * (len(ablation.n_shared) + 2 + k)
        label = f"{row['variant']} ({row['n_shared']},{row['dis_layers']})"
        draw.text((10, y + 15), label, fill="black")
        _cell(draw, MARGIN, y, row, metric, low, high)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)


def _cell(
    draw: ImageDraw.ImageDraw,
    x: int,
    y: int,
    row: dict[str, Any] | None,
    metric: str,
    low: float,
    high: float,
) -> None:
    value = None if row is None else row[metric]
    if value is None:
        fill, text = (220, 220, 220), "-" if row is None else row["outcome"]
    else:
        t = 0.5 if high == low else (value - low) / (high - low)
        fill = (int(255 * (1 - t)), int(120 + 100 * t), int(255 * (1 - t) * 0.6))
        text = f"{value:.3f}" + ("" if row["outcome"] == "completed" else "*")
    draw.rectangle((x + 2, y + 2, x + CELL_W - 2, y + CELL_H - 2), fill=fill, outline="grey")
    draw.text((x + 10, y + 15), text, fill="black")
