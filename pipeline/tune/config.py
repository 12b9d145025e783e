"""Typed `tune:` section of params.yaml: the search space, the scheduler and the trial budget.

Why a space of dotted params keys (`unit.model.n_shared`): a trial is "the params file with
these values changed", so a trial's config reads the same in Tune, in MLflow and in
`best_params.yaml`, and any knob of the model section can be swept without new code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from pipeline.train.config import ScalingSettings
from unit_core.typed_config import ConfigError, TypedConfig, require


@dataclass(frozen=True)
class Dimension(TypedConfig):
    """One searched key: exactly one of a grid, a random choice, or a (log-)uniform range."""

    grid: list[Any] | None = None  # every value, crossed with the other grid keys
    choice: list[Any] | None = None  # one value drawn per sample
    uniform: list[float] | None = None  # [low, high]
    loguniform: list[float] | None = None  # [low, high], low > 0 (learning rates)

    def validate(self, prefix: str = "") -> None:
        given = [k for k in ("grid", "choice", "uniform", "loguniform") if getattr(self, k)]
        require(
            len(given) == 1,
            prefix.rstrip("."),
            f"give exactly one non-empty kind of grid, choice, uniform, loguniform; got {given}",
        )
        for kind in ("uniform", "loguniform"):
            bounds = getattr(self, kind)
            if bounds is None:
                continue
            require(
                len(bounds) == 2 and bounds[0] < bounds[1],
                prefix + kind,
                f"must be [low, high] with low < high, got {bounds}",
            )
            if kind == "loguniform":
                require(bounds[0] > 0, prefix + kind, f"low must be > 0, got {bounds[0]}")

    @property
    def is_grid(self) -> bool:
        return self.grid is not None


@dataclass(frozen=True)
class AshaSettings(TypedConfig):
    """Asynchronous successive halving on `tune.metric`, decided at checkpoint reports."""

    enabled: bool = True
    grace_period: int = 100  # steps every trial runs before it may be stopped
    reduction_factor: float = 2.0  # keep the best 1/reduction_factor at each rung

    def validate(self, prefix: str = "") -> None:
        require(
            self.grace_period >= 1,
            prefix + "grace_period",
            f"must be >= 1, got {self.grace_period}",
        )
        require(
            self.reduction_factor > 1,
            prefix + "reduction_factor",
            f"must be > 1, got {self.reduction_factor}",
        )


ABLATION_VARIANTS = ("no_cycle", "no_kl", "cyclegan")


@dataclass(frozen=True)
class AblationSettings(TypedConfig):
    """The paper's ablation (method.md): shared depth x discriminator depth, plus loss variants.

    The variants run at one cell (the paper's chosen 1 shared block, 5 discriminator layers):
    no_cycle sets λ3 = λ4 = 0, no_kl sets λ1 = λ3 = 0. n_shared 0 is the no-sharing cell;
    cyclegan also drops the VAE streams (no sampling, no KL, no within-domain reconstruction):
    the paper's "without weight sharing (≈ CycleGAN)" row, as presets/cyclegan.yaml.
    """

    n_shared: list[int] = field(default_factory=lambda: [0, 1, 2, 3, 4])
    dis_layers: list[int] = field(default_factory=lambda: [3, 4, 5, 6])
    variants: list[str] = field(default_factory=lambda: list(ABLATION_VARIANTS))
    variant_n_shared: int = 1
    variant_dis_layers: int = 5

    def validate(self, prefix: str = "") -> None:
        require(bool(self.n_shared), prefix + "n_shared", "must not be empty")
        require(bool(self.dis_layers), prefix + "dis_layers", "must not be empty")
        for variant in self.variants:
            require(
                variant in ABLATION_VARIANTS,
                prefix + "variants",
                f"must be among {list(ABLATION_VARIANTS)}, got {variant!r}",
            )


@dataclass(frozen=True)
class TrialResources(ScalingSettings):
    """Each trial is a Ray Train run with this many DDP workers of this many CPUs (the train
    stage's own scaling settings, defaulting to one worker: DDP buys nothing at trial sizes)."""

    num_workers: int = 1

    @property
    def cpus(self) -> float:
        return self.num_workers * self.cpus_per_worker


@dataclass(frozen=True)
class TuneSettings(TypedConfig):
    """One sweep. `name` plus a hash of the sweep's inputs names the Tune experiment: rerunning
    the same params restores it (finished trials are kept), changed params start afresh."""

    default_prefix: ClassVar[str] = "tune."

    name: str = "unit-sweep"
    section: str = "train"  # the params section every trial trains with (its steps are ours)
    preset: Literal["none", "ablation"] = "none"  # ablation replaces `space` by the paper's grid
    space: dict[str, Any] = field(default_factory=dict)  # dotted params key -> Dimension
    num_samples: int = 1  # repeats of the grid; draws of the random keys
    steps: int = 200  # training steps of every trial (the ASHA max_t)
    metric: str = "val_pixel_accuracy"  # reported by rank 0 at checkpoints; never a test split
    mode: Literal["max", "min"] = "max"
    asha: AshaSettings = field(default_factory=AshaSettings)
    ablation: AblationSettings = field(default_factory=AblationSettings)
    trial: TrialResources = field(default_factory=TrialResources)
    max_concurrent_trials: int = 2  # also the number of `trial_slot` resources of a local Ray
    storage_path: str = "ray_results"  # Tune experiments and the trials' Train checkpoints
    output: str = "outputs/tune"  # best_params.yaml, trials.csv (+ ablation table and plot)

    def validate(self, prefix: str = "") -> None:
        require(bool(self.name), prefix + "name", "must not be empty")
        require(
            self.num_samples >= 1, prefix + "num_samples", f"must be >= 1, got {self.num_samples}"
        )
        require(self.steps >= 1, prefix + "steps", f"must be >= 1, got {self.steps}")
        require(
            self.max_concurrent_trials >= 1,
            prefix + "max_concurrent_trials",
            f"must be >= 1, got {self.max_concurrent_trials}",
        )
        require(
            not self.asha.enabled or self.asha.grace_period <= self.steps,
            prefix + "asha.grace_period",
            f"{self.asha.grace_period} is beyond the trial budget of {self.steps} steps",
        )
        require(bool(self.output), prefix + "output", "must not be empty")
        require(
            self.preset == "ablation" or bool(self.space),
            prefix + "space",
            "must name at least one key (or set preset: ablation)",
        )
        self.dimensions(prefix)  # raises on a malformed dimension

    def dimensions(self, prefix: str = "tune.") -> dict[str, Dimension]:
        """The space as typed dimensions (the ablation preset ignores it)."""
        if not isinstance(self.space, dict):
            raise ConfigError(prefix + "space", f"expected a mapping, got {self.space!r}")
        return {
            key: Dimension.from_dict(value, f"{prefix}space.{key}.")
            for key, value in self.space.items()
        }

    def check_keys(self, params: dict[str, Any]) -> None:
        """Every searched key must be an existing value of the trials' model section."""
        model_section = params.get(self.section, {}).get("model_params", "unit")
        for key in self.space if self.preset == "none" else ():
            node: Any = params
            *parents, leaf = key.split(".")
            require(
                parents[:1] == [model_section],
                f"tune.space.{key}",
                f"only keys of the model section {model_section!r} can be searched",
            )
            for part in parents:
                node = node.get(part) if isinstance(node, dict) else None
            require(
                isinstance(node, dict) and leaf in node and not isinstance(node[leaf], dict),
                f"tune.space.{key}",
                "no such value in params",
            )


def needed_cpus(settings: TuneSettings) -> float:
    """Logical CPUs that `max_concurrent_trials` running trials hold at once."""
    return settings.max_concurrent_trials * settings.trial.cpus
