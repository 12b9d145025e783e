"""The translation task: unpaired a <-> b, validated by pixel accuracy on paired val.

The model family (UNIT or MUNIT) is the model section's `model.family`; everything here (the
loop, checkpoints, previews, export, registry) is the same for both.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from pipeline.data.manifest import Manifest
from pipeline.data.shard_reader import DomainBatch
from pipeline.io.translator_weights import load_translator_weights, save_translator_weights
from pipeline.tasks.trainer_task import TrainerTask
from pipeline.tasks.translation_eval import (
    colour_baselines,
    paired_split,
    pixel_accuracy_on_pairs,
    translation_metrics,
)
from unit_core.inputs import to_model_range, to_uint8
from unit_core.model_family import build_trainer, build_translator, config_from_dict

if TYPE_CHECKING:
    from pipeline.tracking import TrainingRun

GRID_IMAGES = 4
MODEL_FILE = "translator.pt"


class TranslationTask(TrainerTask):
    name = "translation"

    @classmethod
    def config_from_dict(cls, data: dict[str, Any] | None, prefix: str = "") -> Any:
        """`UnitConfig` or `MunitConfig`, by the section's `model.family`."""
        return config_from_dict(data, prefix)

    @classmethod
    def preflight(cls, cfg: Any, manifest: Manifest) -> None:
        """Nothing beyond the shape checks: translation needs no labels."""

    def __init__(self, cfg: Any, device: torch.device | str = "cpu") -> None:
        self.trainer = build_trainer(cfg, device)
        self._val_pairs: tuple[torch.Tensor, torch.Tensor] | None = None
        self._val_baselines: dict[str, float] = {}
        # train.select best_val: the best-on-val weights so far (checkpointed with the state)
        self._selected: dict[str, Any] | None = None

    def wrap(self, wrapper: Any) -> None:
        self.trainer.wrap(wrapper)

    def train_step(self, batch: DomainBatch) -> dict[str, float]:
        return self.trainer.train_step(to_model_range(batch.a), to_model_range(batch.b))

    def state_dict(self) -> dict[str, Any]:
        selected = {} if self._selected is None else {"selected_on_val": self._selected}
        return self.trainer.state_dict() | selected

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.trainer.load_state_dict(state)
        self._selected = state.get("selected_on_val")

    def prepare_validation(self, manifest: Manifest) -> None:
        """Load the paired val split once, if the dataset has one (rank 0 only)."""
        if "val" in manifest.paired_splits:
            self._val_pairs = paired_split(manifest, "val")
            # the constant-colour line of the validation curve (a DVC plot draws both)
            self._val_baselines = colour_baselines(manifest, {"val": self._val_pairs[1]}, "b")

    def validation_metrics(self) -> dict[str, float]:
        """The map protocol on the paired val split (never the test split)."""
        if self._val_pairs is None:
            return {}
        accuracy = pixel_accuracy_on_pairs(self.trainer.eval_translator, self._val_pairs)
        if self.select == "best_val" and (
            self._selected is None or accuracy > self._selected["val_pixel_accuracy"]
        ):
            weights = self.trainer.eval_translator.state_dict()
            self._selected = {
                "step": self.step,
                "val_pixel_accuracy": accuracy,
                "translator": {k: v.detach().clone() for k, v in weights.items()},
            }
        return {"val_pixel_accuracy": accuracy, **self._val_baselines}

    @torch.no_grad()
    def image_rows(self, batch: DomainBatch) -> dict[str, torch.Tensor]:
        """a, a->b, recon, cycle (and the same from b) for the first images, z = mu (UNIT) or
        the prior's mean style (MUNIT); a stream the losses do not compute is left out."""
        net, device = self.trainer.eval_translator, self.trainer.device
        x_a, x_b = to_model_range(batch.a[:GRID_IMAGES]), to_model_range(batch.b[:GRID_IMAGES])
        was_training = net.training
        net.eval()
        try:
            out = net(x_a.to(device), x_b.to(device))
        finally:
            net.train(was_training)
        rows = {
            "a": x_a, "a2b": out.a2b, "recon_a": out.recon_a, "cycle_a": out.cycle_a,
            "b": x_b, "b2a": out.b2a, "recon_b": out.recon_b, "cycle_b": out.cycle_b,
        }  # fmt: skip
        return {name: to_uint8(img.cpu()) for name, img in rows.items() if img is not None}

    def export(self, folder: Path) -> None:
        self.final_model(self.trainer.cfg, self.state_dict()).export(folder)

    @classmethod
    def final_model(cls, cfg: Any, state: dict[str, Any]) -> ExportedTranslator:
        """The translator a run exports, from its final state alone (no trainer, no optimisers):
        the best-on-val weights (train.select best_val), else the evaluation weights (the EMA
        copy when `optimizer.ema_decay` > 0, else the live weights)."""
        selected = state.get("selected_on_val")
        if selected is not None:
            weights = selected["translator"]
        elif cfg.optimizer.ema_decay > 0:
            if "ema_translator" not in state:
                raise ValueError("final state has no EMA weights but the config's ema_decay is on")
            weights = state["ema_translator"]["weights"]
        else:
            weights = state["translator"]
        translator = build_translator(cfg)
        translator.load_state_dict(weights)
        translator.eval()
        selection = {} if selected is None else {
            "selected_step": selected["step"],
            "selected_val_pixel_accuracy": selected["val_pixel_accuracy"],
        }  # fmt: skip
        return ExportedTranslator(cfg, translator, int(state["step"]), selection)

    @classmethod
    def evaluate(cls, output: Path, manifest: Manifest, settings: Any) -> dict[str, Any]:
        """The map protocol and diversity of the exported translator (`settings`: `evaluate:`)."""
        translator, translator_cfg = load_translator_weights(output / MODEL_FILE)
        metrics = translation_metrics(translator, manifest, settings)
        return metrics | {"family": translator_cfg.model.family}


@dataclass
class ExportedTranslator:
    """A run's exported translator: its weights file and its MLflow model."""

    cfg: Any
    translator: torch.nn.Module
    step: int
    selection: dict[str, Any]  # for train_run.json: which weights (empty: the last step's)

    def export(self, folder: Path) -> None:
        save_translator_weights(self.translator, self.cfg, folder / MODEL_FILE)

    def log(self, run: TrainingRun) -> str:
        return run.log_translator(self.translator, self.cfg)
