"""What every task that wraps one GAN trainer (`UnitTrainer`, `DaTrainer`) answers the same way."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.tasks.model_shape import with_data_shape

if TYPE_CHECKING:
    from pipeline.data.manifest import Manifest


class TrainerTask:
    """Builds `config_type` from params; delegates step, learning rate and noise to `trainer`."""

    config_type: Any  # UnitConfig, DaConfig: a typed config with `from_dict(data, prefix)`
    trainer: Any
    select = "last"  # train.select; the train loop sets it

    @classmethod
    def config_from_dict(cls, data: dict[str, Any] | None, prefix: str = "") -> Any:
        """The typed config of a plain dict (a params section, or `to_dict()` sent to workers)."""
        return cls.config_type.from_dict(data, prefix=prefix)

    @classmethod
    def build_config(
        cls, section: dict[str, Any] | None, image: dict[str, int], prefix: str
    ) -> Any:
        """The params section as a typed config, image size and channels from the manifest."""
        return cls.config_from_dict(with_data_shape(section, image, prefix), prefix=prefix)

    def optimizers(self) -> list[Any]:
        """The optimisers a step uses (speed options switch their kernels)."""
        return self.trainer.optimizers()

    def trained_modules(self) -> list[Any]:
        """The networks a step trains (memory-format conversion applies to these)."""
        return [self.trainer.translator, self.trainer.discriminators]

    @property
    def step(self) -> int:
        return self.trainer.step

    @property
    def learning_rate(self) -> float:
        return self.trainer.gen_optimizer.param_groups[0]["lr"]

    def reseed_noise(self, seed: int) -> None:
        self.trainer.noise.manual_seed(seed)

    @classmethod
    def final_model(cls, cfg: Any, state: dict[str, Any]) -> Any:
        """What the run exports, built from its final checkpoint state alone (no trainer):
        an object with `step`, `selection` (for train_run.json), `export(folder)` and
        `log(run)` (the MLflow model URI, or None)."""
        raise NotImplementedError(f"task {cls.__name__} exports nothing")

    @classmethod
    def evaluate(cls, output: Path, manifest: Manifest, settings: Any) -> dict[str, Any]:
        """The metrics.json of the model `export` wrote into `output` (a train output folder),
        scored on `manifest`'s data; `settings` is the `evaluate:` section."""
        raise NotImplementedError(f"task {cls.__name__} has no evaluation")
