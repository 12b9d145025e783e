"""From `tune:` settings to Ray Tune's `param_space`, and from a trial's config back to params.

A trial's config is either dotted params keys (`{"unit.model.n_shared": 2, ...}`) or, for the
ablation preset, one named cell (`{"cell": "no_cycle"}`) whose overrides are looked up here —
the ablation is a list of cells, not a product of keys (the loss variants run at one cell).
"""

from __future__ import annotations

import copy
import math
from typing import Any

from pipeline.tune.config import TuneSettings

CELL_KEY = "cell"


def ablation_cells(settings: TuneSettings, model_section: str) -> dict[str, dict[str, Any]]:
    """Cell name -> overrides: every n_shared x dis_layers, then the loss variants."""
    ab = settings.ablation
    model, loss = f"{model_section}.model", f"{model_section}.loss"
    cells: dict[str, dict[str, Any]] = {}
    for n_shared in ab.n_shared:
        for dis_layers in ab.dis_layers:
            cells[f"n_shared={n_shared},dis_layers={dis_layers}"] = {
                f"{model}.n_shared": n_shared,
                f"{model}.dis_layers": dis_layers,
            }
    at_cell = {
        f"{model}.n_shared": ab.variant_n_shared,
        f"{model}.dis_layers": ab.variant_dis_layers,
    }
    variant_losses = {
        "no_cycle": {f"{loss}.cycle_kl": 0.0, f"{loss}.cycle_recon": 0.0},
        "no_kl": {f"{loss}.kl": 0.0, f"{loss}.cycle_kl": 0.0},
        "cyclegan": {
            f"{model}.n_shared": 0,
            f"{model}.latent_noise": False,
            f"{loss}.kl": 0.0,
            f"{loss}.recon": 0.0,
            f"{loss}.cycle_kl": 0.0,
        },
    }
    for variant in ab.variants:
        cells[variant] = {**at_cell, **variant_losses[variant]}
    return cells


def trial_cells(settings: TuneSettings, model_section: str) -> dict[str, dict[str, Any]]:
    """The named cells of a preset (empty without one)."""
    return ablation_cells(settings, model_section) if settings.preset == "ablation" else {}


def param_space(settings: TuneSettings, cells: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Ray Tune's `param_space` (grid keys become `grid_search`, the rest samplers)."""
    from ray import tune

    if cells:
        return {CELL_KEY: tune.grid_search(list(cells))}
    space: dict[str, Any] = {}
    for key, dim in settings.dimensions().items():
        if dim.grid is not None:
            space[key] = tune.grid_search(list(dim.grid))
        elif dim.choice is not None:
            space[key] = tune.choice(list(dim.choice))
        elif dim.uniform is not None:
            space[key] = tune.uniform(*dim.uniform)
        else:
            space[key] = tune.loguniform(*dim.loguniform)
    return space


def trial_count(settings: TuneSettings, cells: dict[str, dict[str, Any]]) -> int:
    """How many trials the sweep makes: num_samples x the grid (random keys do not multiply)."""
    grid = (
        len(cells)
        if cells
        else math.prod(len(d.grid) for d in settings.dimensions().values() if d.grid is not None)
    )
    return settings.num_samples * grid


def trial_overrides(config: dict[str, Any], cells: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Dotted params key -> value of one trial."""
    if CELL_KEY in config:
        return dict(cells[config[CELL_KEY]])
    return {key: value for key, value in config.items() if "." in key}


def with_overrides(params: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """A copy of `params` with each dotted key set (values keep their Python types)."""
    result = copy.deepcopy(params)
    for key, value in overrides.items():
        *parents, leaf = key.split(".")
        node = result
        for part in parents:
            node = node[part]
        node[leaf] = value
    return result
