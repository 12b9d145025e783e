"""The digit translation task: UNIT (or MUNIT) trained unpaired on a labelled two-domain digits
dataset (MNIST a <-> USPS b), scored by what translations are used for.

Training is the translation task's, unchanged: no label reaches a step, the fixed step budget
chooses the exported weights (`select: last`; there is no paired val split). Only `evaluate`
reads labels, through `pipeline.tasks.digit_translation_eval`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.data.manifest import Manifest
from pipeline.io.translator_weights import load_translator_weights
from pipeline.tasks.digit_translation_eval import (
    digit_translation_metrics,
    require_labelled_splits,
)
from pipeline.tasks.translation import MODEL_FILE, TranslationTask


class DigitTranslationTask(TranslationTask):
    name = "digit_translation"

    @classmethod
    def preflight(cls, cfg: Any, manifest: Manifest) -> None:
        """The scores need labelled train and test splits in both domains: say so before
        training, not after it."""
        require_labelled_splits(manifest, cls.name)

    @classmethod
    def evaluate(cls, output: Path, manifest: Manifest, settings: Any) -> dict[str, Any]:
        """Pixel-level adaptation, content kept and looks-like-target, both directions
        (`settings`: the `evaluate:` section, for the scoring classifiers' budget)."""
        translator, translator_cfg = load_translator_weights(output / MODEL_FILE)
        metrics = digit_translation_metrics(
            translator, manifest, settings.scoring_steps, settings.scoring_floor
        )
        return metrics | {"family": translator_cfg.model.family}
