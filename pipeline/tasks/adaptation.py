"""The domain-adaptation task: a DA UNIT and its source-only baseline, trained side by side.

Only the source domain's labels are read by a training step; the target's labels never reach
a step, a validation signal or checkpoint choice — the run stops at a fixed step budget and
exports its (EMA, when enabled) weights. For display only, rank 0 scores both classifiers on
the test splits at each logging step (`display_*` metrics: MLflow curves, DVC plots and the
`oracle_*` figures of evaluate, i.e. what selecting on the target test set, as the 2017 code
did, would have reported). They never start with `val_`, so Tune and checkpointing never see them.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from pipeline.data.manifest import Manifest
from pipeline.data.shard_reader import DomainBatch, load_split
from pipeline.io.adaptation_weights import read_adaptation, save_adaptation
from pipeline.io.errors import DataError
from pipeline.tasks.adaptation_eval import adaptation_metrics, classify_images
from pipeline.tasks.trainer_task import TrainerTask
from unit_core.da.baseline import SourceOnlyClassifier
from unit_core.da.config import DaConfig
from unit_core.da.inputs import check_labels
from unit_core.da.trainer import DaTrainer
from unit_core.inputs import to_model_range, to_uint8
from unit_core.metrics import classification_accuracy

if TYPE_CHECKING:
    from pipeline.tracking import TrainingRun

GRID_IMAGES = 8
DISPLAY_IMAGES = 500  # per test split: 2,000 images per logging step keep the curves cheap
MODEL_FILE = "adaptation.pt"  # its format: pipeline/io/adaptation_weights.py


class AdaptationTask(TrainerTask):
    name = "adaptation"
    config_type = DaConfig

    @classmethod
    def preflight(cls, cfg: DaConfig, manifest: Manifest) -> None:
        """Source labels exist and every labelled split holds only the source's classes."""
        where = f"{manifest.root}/manifest.json"
        source, target = cfg.source_domain, cfg.target_domain
        if not manifest.has_labels.get(source, False):
            raise DataError(
                where, f"source domain '{source}' has no labels: adaptation needs a labelled source"
            )
        for domain, split in ((source, "train"), (target, "test"), (source, "test")):
            if split not in manifest.counts.get(domain, {}):
                continue
            labels = load_split(manifest, domain, split).labels
            if labels is not None:
                check_labels(
                    labels, cfg.model.num_classes, len(labels), f"{where} {domain}/{split} labels"
                )

    def __init__(self, cfg: DaConfig, device: torch.device | str = "cpu") -> None:
        self.cfg = cfg
        self.trainer = DaTrainer(cfg, device)
        self.baseline = SourceOnlyClassifier(cfg, device)
        # role -> (domain, uint8 images, labels) of the display-only test curves (rank 0)
        self._display: dict[str, tuple[str, torch.Tensor, torch.Tensor]] = {}

    def wrap(self, wrapper: Any) -> None:
        self.trainer.wrap(wrapper)
        self.baseline.wrap(wrapper)

    def trained_modules(self) -> list[Any]:
        return [*super().trained_modules(), self.baseline.network]

    def optimizers(self) -> list[Any]:
        return [*super().optimizers(), *self.baseline.optimizers()]

    def train_step(self, batch: DomainBatch) -> dict[str, float]:
        """One DA update and one baseline update on the same labelled source batch."""
        source_is_a = self.cfg.source_domain == "a"
        labels = batch.a_labels if source_is_a else batch.b_labels  # target labels never read
        x_a, x_b = to_model_range(batch.a), to_model_range(batch.b)
        losses = self.trainer.train_step(x_a, x_b, labels)
        baseline = self.baseline.train_step(x_a if source_is_a else x_b, labels)
        return losses | {f"baseline_{k}": v for k, v in baseline.items()}

    def state_dict(self) -> dict[str, Any]:
        return {"da": self.trainer.state_dict(), "baseline": self.baseline.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.trainer.load_state_dict(state["da"])
        self.baseline.load_state_dict(state["baseline"])

    def prepare_validation(self, manifest: Manifest) -> None:
        """Load the display-only test images (rank 0); there is no validation signal."""
        self._display = {}
        for role, domain in (("target", self.cfg.target_domain), ("source", self.cfg.source_domain)):
            if "test" not in manifest.counts.get(domain, {}):
                continue
            split = load_split(manifest, domain, "test")
            if split.labels is not None:
                self._display[role] = (
                    domain, split.images[:DISPLAY_IMAGES], split.labels[:DISPLAY_IMAGES]
                )

    def validation_metrics(self) -> dict[str, float]:
        """Display-only test accuracies (never `val_*`: nothing selects on them)."""
        metrics = {}
        for role, (domain, images, labels) in self._display.items():
            for name, classifier in (("", self.trainer), ("baseline_", self.baseline)):
                predicted = classify_images(classifier, images, domain)
                metrics[f"display_{name}{role}_accuracy"] = classification_accuracy(
                    predicted, labels
                )
        return metrics

    @torch.no_grad()
    def image_rows(self, batch: DomainBatch) -> dict[str, torch.Tensor]:
        net, device = self.trainer.eval_translator, self.trainer.device
        x_a, x_b = to_model_range(batch.a[:GRID_IMAGES]), to_model_range(batch.b[:GRID_IMAGES])
        was_training = net.training
        net.eval()
        try:
            out = net(x_a.to(device), x_b.to(device))
        finally:
            net.train(was_training)
        rows = {
            "a": x_a,
            "a2b": out.a2b,
            "recon_a": out.recon_a,
            "b": x_b,
            "b2a": out.b2a,
            "recon_b": out.recon_b,
        }
        return {name: to_uint8(images.cpu()) for name, images in rows.items()}

    def export(self, folder: Path) -> None:
        self.final_model(self.cfg, self.state_dict()).export(folder)

    @classmethod
    def final_model(cls, cfg: DaConfig, state: dict[str, Any]) -> ExportedAdaptation:
        """Both classifiers as the run ends (EMA inside), from the final state alone."""
        kept = {"da": state["da"], "baseline": state["baseline"]}
        return ExportedAdaptation(cfg, kept, int(state["da"]["step"]))

    @classmethod
    def evaluate(cls, output: Path, manifest: Manifest, settings: Any) -> dict[str, Any]:
        """Test accuracies of the exported model and its baseline (`settings` is not needed)."""
        return adaptation_metrics(load_adaptation(output / MODEL_FILE), manifest, output)


@dataclass
class ExportedAdaptation:
    """A run's exported DA model and baseline: one file, evaluated from the DVC output."""

    cfg: DaConfig
    state: dict[str, Any]
    step: int
    selection: dict[str, Any] = field(default_factory=dict)  # always the fixed budget's weights

    def export(self, folder: Path) -> None:
        save_adaptation(self.cfg, self.state, folder / MODEL_FILE)

    def log(self, run: TrainingRun) -> str:
        """Log the adapted classifier (this export's file) as a pyfunc model of `run`; its URI.

        The source-only baseline rides along inside the file but is not what the model serves:
        it is a yardstick for the evaluation, not a product.
        """
        with tempfile.TemporaryDirectory() as tmp:
            self.export(Path(tmp))
            return run.log_classifier(Path(tmp) / MODEL_FILE)


def load_adaptation(path: Path) -> AdaptationTask:
    """Rebuild the trained task (CPU) from `export`'s file; ValueError naming it when unreadable."""
    cfg, state = read_adaptation(path)
    task = AdaptationTask(cfg)
    task.load_state_dict(state)
    return task
