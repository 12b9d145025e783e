"""Where a trained translator's pixels go: per map colour, how often its aerial→map translation
and its map→map reconstruction G2(E2(map)) land within 16 of the truth, on the val split.

Backs docs/training_quality.md, "Fourth round" (where the roads go) and "Long-run report" (translation).

The two side by side tell a decoder that cannot draw a class (reconstruction misses it too)
from a shared latent that does not carry it across domains (reconstruction draws it, translation
does not). Prints JSON; `--grid` also writes aerial / translation / true map rows of 8 pairs.

    .venv/bin/python scripts/studies/translation_probe.py outputs/translation/translator.pt
"""

import argparse
import json
import sys
from pathlib import Path

import torch
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO)]

from pipeline.data.procedural_aerial_map import MAP_PALETTE  # noqa: E402
from pipeline.data.shard_reader import load_manifest  # noqa: E402
from pipeline.io.translator_weights import load_translator_weights  # noqa: E402
from pipeline.tasks.translation_eval import paired_split  # noqa: E402
from unit_core.inputs import to_model_range, to_uint8  # noqa: E402
from unit_core.metrics import pixel_hits  # noqa: E402

COLOUR_NAMES = ("background", "road", "water", "park", "building")


def colour_masks(maps: torch.Tensor) -> dict[str, torch.Tensor]:
    """{colour name: (N, H, W) bool mask of its pixels} for (N, 3, H, W) uint8 maps."""
    pixels = maps.permute(0, 2, 3, 1)
    return {
        name: (pixels == torch.from_numpy(colour)).all(-1)
        for name, colour in zip(COLOUR_NAMES, MAP_PALETTE, strict=True)
    }


def per_colour_accuracy(
    output: torch.Tensor, truth: torch.Tensor, masks: dict[str, torch.Tensor]
) -> dict[str, float]:
    """Pixel accuracy over all pixels and over each colour's pixels (`masks` of `truth`)."""
    hit = pixel_hits(output, truth)
    result = {"all": round(float(hit.float().mean()), 3)}
    for name, where in masks.items():
        result[name] = round(float(hit[where].float().mean()), 3)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path, help="a translator weights file (translator.pt)")
    parser.add_argument("--shards", type=Path, default=REPO / "data/shards/aerial_maps")
    parser.add_argument("--grid", type=Path, help="write an image grid of 8 val pairs here")
    args = parser.parse_args()
    translator, _ = load_translator_weights(args.model)
    aerial, truth = paired_split(load_manifest(args.shards), "val")
    with torch.no_grad():
        mu_a, mu_b = translator.encode(to_model_range(aerial), to_model_range(truth))
        _, translated = translator.decode(mu_a, mu_a)
        _, reconstructed = translator.decode(mu_b, mu_b)
    translated, reconstructed = to_uint8(translated), to_uint8(reconstructed)
    masks = colour_masks(truth)
    share = {name: round(float(where.float().mean()), 3) for name, where in masks.items()}
    print(json.dumps({"pixel_share": share}))
    print(json.dumps({"translation": per_colour_accuracy(translated, truth, masks)}))
    print(json.dumps({"map_reconstruction": per_colour_accuracy(reconstructed, truth, masks)}))
    if args.grid:
        rows = [torch.cat(list(images[:8]), 2) for images in (aerial, translated, truth)]
        Image.fromarray(torch.cat(rows, 1).permute(1, 2, 0).numpy()).save(args.grid)


if __name__ == "__main__":
    main()
