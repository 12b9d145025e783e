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
from unit_core.metrics import (
    mean_iou,
    mean_pairwise_distance,
    nearest_colour_class,
    pixel_accuracy,
)

EVAL_BATCH = 64
# A train map colour is a class when it covers at least this share of the train pixels (the
# procedural maps: 5 flat colours, background to buildings).
CLASS_COLOUR_SHARE = 0.01
MAX_CLASSES = 16
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


def colour_baselines(
    manifest: Manifest, targets: dict[str, torch.Tensor], domain: str, threshold: int = 16
) -> dict[str, float]:
    """The two trivial scores beside a translator's, for each target split, from one read of
    `domain`'s *train* images (never of the split being scored).

    Returns `{split}_constant_colour_baseline`: painting every pixel the most common train
    colour (flat-colour maps are mostly background, so this already scores well; a
    translator's number means something only next to it), and
    `{split}_best_constant_colour_baseline`: the one colour that scores best on the train
    images. The metric accepts any colour within `threshold` of the truth, so a colour between
    two common ones can match both: on the procedural maps a light grey is within 16 of the
    background and of the white roads, and scores far above the modal colour. It is the
    strongest trivial predictor we know of (`best_constant_colour`).
    """
    colours, counts = distinct_colours(load_split(manifest, domain, "train").images)
    painters = {
        "constant_colour_baseline": colours[counts.argmax()],
        "best_constant_colour_baseline": best_constant_colour(colours, counts, threshold),
    }
    scores = {}
    for split, target in targets.items():
        for name, colour in painters.items():
            painted = colour.view(1, -1, 1, 1).expand_as(target).contiguous()
            scores[f"{split}_{name}"] = pixel_accuracy(painted, target, threshold)
    return scores


def best_constant_colour(colours: torch.Tensor, counts: torch.Tensor, threshold: int) -> torch.Tensor:
    """The candidate colour (C,) within `threshold` of the most pixels, given the distinct
    colours (K, C) and their pixel counts (K,). Candidates: each of the 64 most common colours
    shifted by -threshold, 0 or +threshold per channel (an exact search when, as on flat-colour
    maps, there are few colours)."""
    channels = colours.shape[1]
    common = colours[counts.argsort(descending=True)[:64]].to(torch.int16)
    shifts = torch.cartesian_prod(*[torch.tensor([-threshold, 0, threshold])] * channels)
    candidates = common[:, None, :] + shifts.view(1, -1, channels).to(torch.int16)
    candidates = candidates.reshape(-1, channels).clamp(0, 255).unique(dim=0)
    best, best_count = candidates[0], -1
    for start in range(0, len(candidates), 256):
        chunk = candidates[start : start + 256]
        near = (chunk[:, None, :] - colours[None].to(torch.int16)).abs().amax(2) <= threshold
        covered = (near * counts[None]).sum(1)
        if int(covered.max()) > best_count:
            best_count, best = int(covered.max()), chunk[covered.argmax()]
    return best.to(torch.uint8)


def distinct_colours(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 images (N, C, H, W), C <= 4 -> distinct colours (K, C) in row order, counts (K,).

    The same as `pixels.unique(dim=0, return_counts=True)` on the (N*H*W, C) pixels, but one
    int64 code per pixel (8 bits a channel) makes it a 1-D unique: ~40x faster, where the row
    unique cost seconds per call on the embedded maps.
    """
    channels = images.shape[1]
    shifts = torch.arange(channels - 1, -1, -1, dtype=torch.int64) * 8
    codes = (images.to(torch.int64) << shifts.view(1, -1, 1, 1)).sum(1).flatten()
    distinct, counts = codes.unique(return_counts=True)
    colours = (distinct[:, None] >> shifts[None]) & 255
    return colours.to(torch.uint8), counts


def class_palette(manifest: Manifest, domain: str) -> torch.Tensor:
    """The colour classes of `domain`'s train images: (K, C) uint8, most common first."""
    colours, counts = distinct_colours(load_split(manifest, domain, "train").images)
    order = counts.argsort(descending=True)[:MAX_CLASSES]
    keep = counts[order] >= CLASS_COLOUR_SHARE * counts.sum()
    return colours[order[keep]]


def class_scores(
    translated: torch.Tensor, target: torch.Tensor, palette: torch.Tensor, split: str
) -> dict[str, float]:
    """Mean IoU over the colour classes of the translations, and of the two constant-colour
    painters: the modal colour (the palette's first) and each class's colour, best of them."""
    truth = nearest_colour_class(target, palette)
    scores = {f"{split}_class_mean_iou": mean_iou(nearest_colour_class(translated, palette),
                                                    truth, len(palette))}  # fmt: skip
    constant = [mean_iou(torch.full_like(truth, k), truth, len(palette)) for k in range(len(palette))]
    scores[f"{split}_class_mean_iou_constant_colour_baseline"] = constant[0]
    scores[f"{split}_class_mean_iou_best_constant_colour_baseline"] = max(constant)
    return scores


def translation_metrics(translator: torch.nn.Module, manifest: Manifest, cfg: Any) -> dict[str, Any]:
    """The map protocol on every paired split (val, test), the class-aware mean IoU over the
    map's colour classes beside it (where one colour cannot score well), and the diversity of
    sampled styles.

    cfg: the `evaluate:` section (direction, threshold, diversity_samples).
    """
    splits = [s for s in ("val", "test") if s in manifest.paired_splits]
    if not splits:
        raise ValueError(f"{manifest.root}: dataset has no paired val/test split to score")
    a2b = cfg.direction == "a2b"
    split_pairs = {split: paired_split(manifest, split) for split in splits}
    targets = {split: pairs[1] if a2b else pairs[0] for split, pairs in split_pairs.items()}
    baselines = colour_baselines(manifest, targets, "b" if a2b else "a", cfg.threshold)
    palette = class_palette(manifest, "b" if a2b else "a")
    metrics: dict[str, Any] = {}
    for split, pairs in split_pairs.items():
        source = pairs[0] if a2b else pairs[1]
        translated = translate_images(translator, source, cfg.direction)
        metrics[f"{split}_pixel_accuracy"] = pixel_accuracy(
            translated, targets[split], cfg.threshold
        )
        metrics |= class_scores(translated, targets[split], palette, split)
        for name in ("constant_colour_baseline", "best_constant_colour_baseline"):
            metrics[f"{split}_{name}"] = baselines[f"{split}_{name}"]
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
