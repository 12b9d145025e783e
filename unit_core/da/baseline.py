"""The source-only baseline: the DA model's classifier stack trained on source labels alone.

Same first layer, tied layers (with dropout) and class head as the adapting discriminator, same
Adam settings, weight averaging (`optimizer.ema_decay`: the comparison stays like for like) and seed, no translator, no target images. Reported beside the adapted model's
target accuracy so every run shows what adaptation bought. It has only the source's first layer,
so target images are read through it (channels converted by `match_channels`), as any plain
classifier trained on the source would read them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from unit_core.da.config import DaConfig
from unit_core.da.discriminator import DigitClassifier
from unit_core.da.inputs import check_labels, match_channels
from unit_core.da.losses import source_classification_loss
from unit_core.inputs import check_batch
from unit_core.optimizer import adam
from unit_core.weight_average import WeightAverage

STATE_FORMAT = 1


class SourceOnlyClassifier:
    """Owns the classifier, its optimiser and step count."""

    def __init__(self, cfg: DaConfig, device: torch.device | str = "cpu") -> None:
        self.cfg = cfg
        self.device = torch.device(device)
        self.channels = cfg.channels(cfg.source_domain)
        torch.manual_seed(cfg.seed)
        self.network = DigitClassifier(self.channels, cfg.model).to(self.device)
        self.optimizer = adam(list(self.network.parameters()), cfg.optimizer)
        self.step = 0
        decay = cfg.optimizer.ema_decay
        self.average = WeightAverage(self.network, decay) if decay > 0 else None
        self._network_call: Callable[[Tensor], Tensor] = self.network

    def optimizers(self) -> list[torch.optim.Optimizer]:
        """Every optimiser a step uses (speed options switch their kernels)."""
        return [self.optimizer]

    def wrap(self, wrapper: Callable[[nn.Module], nn.Module]) -> None:
        """Route the gradient-synced forward through `wrapper(module)` (e.g. DDP)."""
        self._network_call = wrapper(self.network)

    def train_step(self, x_source: Tensor, labels_source: Tensor) -> dict[str, float]:
        """One Adam step of cross entropy on source images (B, C_s, 32, 32) and labels (B,).

        Returns "source_class" (unweighted cross entropy) and "source_batch_accuracy".
        """
        m = self.cfg.model
        check_batch(x_source, self.channels, m.image_size, f"batch_{self.cfg.source_domain}")
        check_labels(labels_source, m.num_classes, len(x_source), "source labels")
        x = x_source.to(self.device)
        labels = labels_source.to(self.device, torch.long)
        self.network.train()
        logits = self._network_call(x)
        loss = source_classification_loss(logits, labels)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.step += 1
        if self.average is not None:
            self.average.update(self.network)
        accuracy = float((logits.argmax(1) == labels).float().mean())
        return {"source_class": float(loss.detach()), "source_batch_accuracy": accuracy}

    @torch.no_grad()
    def classify(self, x: Tensor, domain: str) -> Tensor:
        """Class logits (N, K) for images of `domain` (N, C_domain, 32, 32), eval mode."""
        check_batch(x, self.cfg.channels(domain), self.cfg.model.image_size, f"images_{domain}")
        network = self.network if self.average is None else self.average.module
        was_training = network.training
        network.eval()
        try:
            return network(match_channels(x.to(self.device), self.channels))
        finally:
            network.train(was_training)

    def state_dict(self) -> dict[str, Any]:
        """Loadable with torch.load(weights_only=True); includes the RNG (dropout masks)."""
        return {
            "format": STATE_FORMAT,
            "config": self.cfg.to_dict(),
            "step": self.step,
            "network": self.network.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "torch_rng": torch.get_rng_state(),
        } | ({} if self.average is None else {"ema_network": self.average.state_dict()})

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.get("format") != STATE_FORMAT:
            raise ValueError(
                f"baseline state format {state.get('format')!r}, expected {STATE_FORMAT}"
            )
        self.network.load_state_dict(state["network"])
        self.optimizer.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["torch_rng"])
        self.step = int(state["step"])
        if self.average is not None:
            if "ema_network" not in state:
                raise ValueError("baseline state has no EMA weights but ema_decay is on")
            self.average.load_state_dict(state["ema_network"])
