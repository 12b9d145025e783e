"""Does the shared latent code each map class, and alike in both domains?

Backs docs/training_quality.md, "Translation (aerial → map)", "Fourth round" (the latent probe).

For the val pairs, each latent cell gets the majority map colour of the pixels it covers.
A linear probe (logistic regression, half the cells to fit, half to score) then reads that
class from E1's aerial codes, from E2's map codes, and — fitted on map codes — from aerial codes
(what the map decoder would see). Last, the cosine between each class's mean offset in E1's
codes and in E2's: near 1 when a class moves both encoders' codes the same way. Prints JSON.

    .venv/bin/python scripts/studies/latent_probe.py outputs/translation/translator.pt
"""

import argparse
import json
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "scripts/studies")]

from translation_probe import COLOUR_NAMES, colour_masks  # noqa: E402

from pipeline.data.shard_reader import load_manifest  # noqa: E402
from pipeline.io.translator_weights import load_translator_weights  # noqa: E402
from pipeline.tasks.translation_eval import paired_split  # noqa: E402
from unit_core.inputs import to_model_range  # noqa: E402


def cell_classes(maps: torch.Tensor, cells: int) -> torch.Tensor:
    """(N, 3, S, S) uint8 maps -> (N * cells * cells,) majority palette index per latent cell."""
    index = torch.zeros(maps.shape[0], maps.shape[2], maps.shape[3], dtype=torch.long)
    for k, mask in enumerate(colour_masks(maps).values()):
        index[mask] = k
    shares = F.avg_pool2d(
        F.one_hot(index, len(COLOUR_NAMES)).permute(0, 3, 1, 2).float(), maps.shape[-1] // cells
    )
    return shares.argmax(1).reshape(-1)


def probe_recall(fit_x, fit_y, score_x, score_y) -> dict[str, float]:
    """Per-class recall of a standardised linear softmax probe fitted on (fit_x, fit_y)."""
    mean, std = fit_x.mean(0), fit_x.std(0) + 1e-6
    weight = torch.zeros(fit_x.shape[1], len(COLOUR_NAMES), requires_grad=True)
    bias = torch.zeros(len(COLOUR_NAMES), requires_grad=True)
    optimizer = torch.optim.Adam([weight, bias], lr=0.05)
    for _ in range(300):
        loss = F.cross_entropy((fit_x - mean) / std @ weight + bias, fit_y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    predicted = ((score_x - mean) / std @ weight + bias).argmax(1)
    return {
        name: round(float((predicted[score_y == k] == k).float().mean()), 2)
        for k, name in enumerate(COLOUR_NAMES)
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path, help="a translator weights file (translator.pt)")
    parser.add_argument("--shards", type=Path, default=REPO / "data/shards/aerial_maps")
    args = parser.parse_args()
    torch.manual_seed(0)
    translator, _ = load_translator_weights(args.model)
    aerial, maps = paired_split(load_manifest(args.shards), "val")
    with torch.no_grad():
        mu_a, mu_b = translator.encode(to_model_range(aerial), to_model_range(maps))
    codes_a = mu_a.permute(0, 2, 3, 1).reshape(-1, mu_a.shape[1])
    codes_b = mu_b.permute(0, 2, 3, 1).reshape(-1, mu_b.shape[1])
    labels = cell_classes(maps, mu_a.shape[-1])
    order = torch.randperm(len(labels))
    fit, score = order[: len(order) // 2], order[len(order) // 2 :]
    rows = {
        "aerial_codes": probe_recall(codes_a[fit], labels[fit], codes_a[score], labels[score]),
        "map_codes": probe_recall(codes_b[fit], labels[fit], codes_b[score], labels[score]),
        "map_probe_on_aerial_codes": probe_recall(
            codes_b[fit], labels[fit], codes_a[score], labels[score]
        ),
    }
    rows["class_direction_cosine"] = {
        name: round(
            float(
                F.cosine_similarity(
                    codes_a[labels == k].mean(0) - codes_a.mean(0),
                    codes_b[labels == k].mean(0) - codes_b.mean(0),
                    dim=0,
                )
            ),
            2,
        )
        for k, name in enumerate(COLOUR_NAMES)
    }
    for name, row in rows.items():
        print(json.dumps({name: row}))


if __name__ == "__main__":
    main()
