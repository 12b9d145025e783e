"""The fixed scoring classifier of the digit protocols: CyCADA's small LeNet, trained from a
seed for a fixed budget.

Why fixed: pixel-level adaptation (CyCADA) compares classifiers trained on translated and on
untranslated source images; only the training images may differ between the two, so the
architecture, optimiser, step budget and seed are the same for every classifier it trains.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.nn import functional as F


class ScoringClassifier(nn.Module):
    """CyCADA's LeNet for digits: conv20-5x5 -> pool -> conv50-5x5 -> pool -> fc500 ->
    dropout -> fc(num_classes), ReLU between.

    Input (B, C, 32, 32) floats in [-1, 1]; output (B, num_classes) logits.
    """

    def __init__(self, channels: int, num_classes: int, image_size: int = 32) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(channels, 20, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(20, 50, 5), nn.ReLU(), nn.MaxPool2d(2),
        )  # fmt: skip
        side = ((image_size - 4) // 2 - 4) // 2
        self.head = nn.Sequential(
            nn.Flatten(), nn.Linear(50 * side * side, 500), nn.ReLU(), nn.Dropout(0.5),
            nn.Linear(500, num_classes),
        )  # fmt: skip

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))


@dataclass(frozen=True)
class ClassifierBudget:
    """How every scoring classifier is trained: Adam(lr) for `steps` batches of `batch_size`."""

    steps: int = 1000
    batch_size: int = 64
    lr: float = 1e-3
    seed: int = 0


def fit_classifier(
    images: Tensor, labels: Tensor, num_classes: int, budget: ClassifierBudget
) -> ScoringClassifier:
    """Train a fresh `ScoringClassifier` on (N, C, H, W) floats in [-1, 1] and (N,) labels.

    Batches are drawn by a generator seeded with `budget.seed`, so one call is deterministic
    on one machine. Returns the network in eval mode.
    """
    if len(images) != len(labels):
        raise ValueError(f"{len(images)} images but {len(labels)} labels")
    if len(images) == 0:
        raise ValueError("no images to train on")
    torch.manual_seed(budget.seed)
    net = ScoringClassifier(images.shape[1], num_classes, images.shape[-1])
    optimizer = torch.optim.Adam(net.parameters(), lr=budget.lr)
    order = torch.Generator().manual_seed(budget.seed)
    net.train()
    for _ in range(budget.steps):
        index = torch.randint(len(images), (budget.batch_size,), generator=order)
        loss = F.cross_entropy(net(images[index]), labels[index])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return net.eval()


@torch.no_grad()
def predict(net: nn.Module, images: Tensor, batch_size: int = 500) -> Tensor:
    """(N,) predicted classes of (N, C, H, W) floats in [-1, 1], in batches."""
    was_training = net.training
    net.eval()
    try:
        return torch.cat([net(images[i : i + batch_size]).argmax(1)
                          for i in range(0, len(images), batch_size)])
    finally:
        net.train(was_training)
