"""What each trial of a sweep came to, read from Tune's ResultGrid, and the best of them.

Outcome: `completed` (ran the full step budget), `stopped_early` (ASHA cut it), `failed`
(raised). The best trial is chosen among completed trials first: an ASHA-stopped trial's
metric is from fewer steps and is not comparable.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

from pipeline.tune.space import CELL_KEY, trial_overrides


@dataclass(frozen=True)
class TrialOutcome:
    trial_id: str
    cell: str  # the ablation cell, or "" outside a preset
    overrides: dict[str, Any]
    outcome: str  # completed | stopped_early | failed
    step: int  # last reported training step (0 if none)
    value: float | None  # the sweep metric at that step
    error: str = ""

    def row(self, metric: str) -> dict[str, Any]:
        """A flat table row (CSV/JSON)."""
        return {
            "trial_id": self.trial_id,
            "cell": self.cell,
            **self.overrides,
            "outcome": self.outcome,
            "step": self.step,
            metric: self.value,
            "error": self.error,
        }


def trial_outcomes(
    results: Any,
    identities: dict[str, tuple[str, dict[str, Any]]],
    metric: str,
    steps: int,
    cells: dict[str, dict[str, Any]],
) -> list[TrialOutcome]:
    """One outcome per trial of a `ray.tune.ResultGrid`, sorted by trial id.

    identities: trial path -> (trial id, config), from Tune's experiment state — a trial that
    failed before its first report has neither in its Result (after a restore, not even config).
    """
    outcomes = []
    for result in results:
        metrics = result.metrics or {}
        trial_id, config = identities.get(str(result.path), ("", None))
        trial_id = trial_id or str(metrics.get("trial_id") or os.path.basename(str(result.path)))
        config = config or result.config or {}
        step = int(metrics.get("step", 0) or 0)
        value = metrics.get(metric)
        value = float(value) if isinstance(value, int | float) and math.isfinite(value) else None
        if result.error is not None:
            outcome = "failed"
        elif step >= steps:
            outcome = "completed"
        else:
            outcome = "stopped_early"
        outcomes.append(
            TrialOutcome(
                trial_id=trial_id,
                cell=str(config.get(CELL_KEY, "")),
                overrides=trial_overrides(config, cells),
                outcome=outcome,
                step=step,
                value=value,
                error=_first_line(result.error),
            )
        )
    return sorted(outcomes, key=lambda o: o.trial_id)


def best_trial(outcomes: list[TrialOutcome], mode: str) -> TrialOutcome | None:
    """The best completed trial by the metric (else the best stopped one); None if none scored."""
    sign = 1.0 if mode == "max" else -1.0
    for allowed in (("completed",), ("completed", "stopped_early")):
        scored = [o for o in outcomes if o.outcome in allowed and o.value is not None]
        if scored:
            return max(scored, key=lambda o: sign * o.value)
    return None


def _first_line(error: BaseException | None) -> str:
    if error is None:
        return ""
    text = str(error).strip().splitlines()
    return (text[-1] if text else type(error).__name__)[:300]
