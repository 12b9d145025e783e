"""What one training run learns, behind one interface the Ray Train loop drives.

- `translation`: UNIT image-to-image translation (`unit_core.unit.trainer.UnitTrainer`), scored by
  pixel accuracy on paired splits.
- `digit_translation`: the same UNIT training on a labelled digits dataset, scored by pixel-level
  adaptation, content kept and looks-like-target (labels only score).
- `adaptation`: domain adaptation of a digit classifier (`unit_core.da.trainer.DaTrainer`)
  trained beside its source-only baseline, scored by target-domain accuracy.

A task turns a params section into its typed config (`build_config`), checks the data before
any worker starts (`preflight`), takes uint8 `DomainBatch`es, checkpoints, exports the trained
model and scores it (`evaluate`: the `evaluate` stage dispatches by `TASKS[train.task]`). The
train loop, checkpoints, MLflow and DVC stay shared: a new task is one module registered here.
"""

from __future__ import annotations

from pipeline.tasks.adaptation import AdaptationTask
from pipeline.tasks.digit_translation import DigitTranslationTask
from pipeline.tasks.translation import TranslationTask

TASKS = {task.name: task for task in (TranslationTask, DigitTranslationTask, AdaptationTask)}

__all__ = ["TASKS", "AdaptationTask", "DigitTranslationTask", "TranslationTask"]
