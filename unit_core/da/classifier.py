"""The adapted digit classifier on its own, for inference: what a trained DA model is *for*.

Why not the trainer: classifying needs only the discriminators (each domain's first layer, the
tied layers, the class head), not the translator, optimisers or noise RNG that `DaTrainer`
builds. This is the object a registry model (`pipeline.tracking.load_classifier`) and the
pyfunc model rebuild, from the evaluation weights (EMA when the run kept them).
"""

from __future__ import annotations

import torch
from torch import Tensor

from unit_core.da.config import DaConfig
from unit_core.da.discriminator import DaDiscriminatorPair
from unit_core.inputs import check_batch, to_model_range

PREDICT_CHUNK = 500  # images per forward, to bound memory on large requests


class AdaptedClassifier:
    """`predict(uint8 (N, C, 32, 32), domain) -> int64 labels (N,)`; eval mode, CPU by default."""

    def __init__(self, cfg: DaConfig, discriminators: DaDiscriminatorPair) -> None:
        self.cfg = cfg
        self.discriminators = discriminators.eval().requires_grad_(False)

    @property
    def device(self) -> torch.device:
        return next(self.discriminators.parameters()).device

    @torch.no_grad()
    def classify(self, x: Tensor, domain: str) -> Tensor:
        """Class logits (N, K) for images x (N, C_domain, 32, 32) in [-1, 1] of `domain`.

        The same call as `DaTrainer.classify`, so `pipeline.tasks.adaptation_eval` scores either.
        """
        check_batch(x, self.cfg.channels(domain), self.cfg.model.image_size, f"images_{domain}")
        return self.discriminators.classify(x.to(self.device), domain)

    @torch.no_grad()
    def predict(self, images: Tensor, domain: str | None = None) -> Tensor:
        """Class labels int64 (N,) on CPU for uint8 images (N, C_domain, 32, 32) in 0..255.

        domain: "a" or "b" (default: the target domain, the one the model was adapted to).
        ValueError for another dtype, channel count or size, naming what was expected.
        """
        domain = self.cfg.target_domain if domain is None else domain
        if domain not in ("a", "b"):
            raise ValueError(f"domain must be 'a' or 'b', got {domain!r}")
        if images.dtype != torch.uint8:
            size = self.cfg.model.image_size
            raise ValueError(
                f"expected uint8 images (N, {self.cfg.channels(domain)}, {size}, {size}) "
                f"in 0..255, got dtype {images.dtype}"
            )
        x = to_model_range(images)
        check_batch(x, self.cfg.channels(domain), self.cfg.model.image_size, f"images_{domain}")
        return torch.cat(
            [
                self.classify(x[i : i + PREDICT_CHUNK], domain).argmax(dim=1).cpu()
                for i in range(0, len(x), PREDICT_CHUNK)
            ]
        )
