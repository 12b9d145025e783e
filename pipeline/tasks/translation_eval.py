"""The map protocol: translate paired images one way and score pixel accuracy against the truth.

Used by the train loop (validation curve) and by `unit-pipeline evaluate` (val and test metrics).
"""

from __future__ import annotations

import logging
from typing import Any

import torch

from pipeline.data.manifest import Manifest
from pipeline.data.shard_reader import load_pairs, load_split
from unit_core.inputs import to_model_range, to_uint8
from unit_core.metrics import mean_pairwise_distance, pixel_accuracy

EVAL_BATCH = 64
log = logging.getLogger("pipeline.evaluate")


@torch.no_grad()
def translate_images(
    translator: torch.nn.Module,
    images: torch.Tensor,
    direction: str,
    batch: int = EVAL_BATCH,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """uint8 (N, C, S, S) -> translated uint8 (N, C', S, S) in eval mode.

    Without `generator`: the deterministic translation (UNIT z = mu, MUNIT the prior's mean
    style). With one: `sample_translation` (MUNIT: a style drawn from N(0, I) per image).
    """
    device = next(translator.parameters()).device
    was_training = translator.training
    translator.eval()
    try:
        parts = []
        for i in range(0, len(images), batch):
            x = to_model_range(images[i : i + batch]).to(device)
            if generator is None:
                y = translator.translate(x, direction)
            else:
                y = translator.sample_translation(x, direction, generator)
            parts.append(to_uint8(y).cpu())
    finally:
        translator.train(was_training)
    return torch.cat(parts)


def translation_diversity(
    translator: torch.nn.Module,
    images: torch.Tensor,
    direction: str,
    samples: int,
    seed: int = 0,
) -> float:
    """Mean pairwise pixel distance (0..1) between `samples` sampled translations per image.

    Needs no downloaded network (unlike LPIPS): the distance is mean |difference| / 255. UNIT
    is unimodal, so its samples coincide and it scores 0; MUNIT's sampled styles spread it.
    """
    device = next(translator.parameters()).device
    generator = torch.Generator(device=device).manual_seed(seed)
    outputs = [
        translate_images(translator, images, direction, generator=generator)
        for _ in range(samples)
    ]
    return mean_pairwise_distance(torch.stack(outputs))


def paired_split(manifest: Manifest, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    """(a, b) uint8 images of a paired split, aligned by pair id."""
    a, b, _ = load_pairs(manifest, split)
    return a, b


def pixel_accuracy_on_pairs(
    translator: torch.nn.Module,
    pairs: tuple[torch.Tensor, torch.Tensor],
    direction: str = "a2b",
    threshold: int = 16,
) -> float:
    """Pixel accuracy of translating one side of the pairs into the other (a2b: a -> b)."""
    source, target = pairs if direction == "a2b" else pairs[::-1]
    return pixel_accuracy(translate_images(translator, source, direction), target, threshold)


def constant_colour_baseline(
    manifest: Manifest, target: torch.Tensor, domain: str, threshold: int = 16
) -> float:
    """Pixel accuracy of painting every pixel the most common colour of `domain`'s *train* images.

    Flat-colour maps are mostly background, so this trivial predictor already scores well; a
    translator's number means something only next to it. The colour comes from the train split,
    never from the split being scored.
    """
    train = load_split(manifest, domain, "train").images
    pixels = train.permute(0, 2, 3, 1).reshape(-1, train.shape[1])
    colours, counts = pixels.unique(dim=0, return_counts=True)
    modal = colours[counts.argmax()].view(1, -1, 1, 1).expand_as(target)
    return pixel_accuracy(modal.contiguous(), target, threshold)


def translation_metrics(translator: torch.nn.Module, manifest: Manifest, cfg: Any) -> dict[str, Any]:
    """The map protocol on every paired split (val, test) and the diversity of sampled styles.

    cfg: the `evaluate:` section (direction, threshold, diversity_samples).
    """
    splits = [s for s in ("val", "test") if s in manifest.paired_splits]
    if not splits:
        raise ValueError(f"{manifest.root}: dataset has no paired val/test split to score")
    metrics: dict[str, Any] = {}
    for split in splits:
        pairs = paired_split(manifest, split)
        metrics[f"{split}_pixel_accuracy"] = pixel_accuracy_on_pairs(
            translator, pairs, cfg.direction, cfg.threshold
        )
        target = pairs[1] if cfg.direction == "a2b" else pairs[0]
        target_domain = "b" if cfg.direction == "a2b" else "a"
        metrics[f"{split}_constant_colour_baseline"] = constant_colour_baseline(
            manifest, target, target_domain, cfg.threshold
        )
        source = pairs[0] if cfg.direction == "a2b" else pairs[1]
        metrics[f"{split}_diversity"] = translation_diversity(
            translator, source, cfg.direction, cfg.diversity_samples
        )
        metrics[f"{split}_images"] = len(pairs[0])
        log.info("%s pixel accuracy (%s, threshold %d): %.4f, diversity %.4f", split,
                 cfg.direction, cfg.threshold, metrics[f"{split}_pixel_accuracy"],
                 metrics[f"{split}_diversity"])  # fmt: skip
    metrics.update(
        direction=cfg.direction,
        threshold=cfg.threshold,
        diversity_samples=cfg.diversity_samples,
    )
    return metrics
