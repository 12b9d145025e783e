"""How fast UNIT's map encoder + decoder (E2 → G2) learn to reconstruct maps on their own.

Backs docs/training_quality.md, "Translation (aerial → map)", "Fourth round" (the map autoencoder).

No GAN, no latent noise, no other domain: plain L1 on train maps, Adam (beta1 0.5), one
process. Prints val reconstruction pixel accuracy (all pixels and road pixels) every 100 steps.
If this cannot draw roads, neither can any translation through the same decoder.

    .venv/bin/python scripts/studies/map_autoencoder.py --steps 400 [--set model.norm=batch]
"""

import argparse
import json
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "scripts/studies")]

from study_params import study_section  # noqa: E402
from translation_probe import colour_masks  # noqa: E402

from pipeline.data.shard_reader import load_manifest, load_split  # noqa: E402
from pipeline.tasks.model_shape import with_data_shape  # noqa: E402
from pipeline.tasks.translation_eval import paired_split  # noqa: E402
from unit_core.inputs import to_model_range, to_uint8  # noqa: E402
from unit_core.metrics import pixel_hits  # noqa: E402
from unit_core.model_family import config_from_dict  # noqa: E402
from unit_core.unit.translator import UnitTranslator  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--shards", type=Path, default=REPO / "data/shards/aerial_maps")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    manifest = load_manifest(args.shards)
    cfg = config_from_dict(with_data_shape(study_section("unit", 0, args.set), manifest.image, ""))
    net = UnitTranslator(cfg.model)
    optimizer = torch.optim.Adam(net.parameters(), lr=args.lr, betas=(0.5, 0.999))
    maps = to_model_range(load_split(manifest, "b", "train").images)
    _, val = paired_split(manifest, "val")
    road = colour_masks(val)["road"]
    order, started = torch.Generator().manual_seed(0), time.time()
    for step in range(1, args.steps + 1):
        x = maps[torch.randint(0, len(maps), (args.batch,), generator=order)]
        _, mu = net.encode(x, x)
        _, reconstructed = net.decode(mu, mu)
        loss = (reconstructed - x).abs().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 100 == 0:
            net.eval()
            with torch.no_grad():
                _, mu = net.encode(to_model_range(val), to_model_range(val))
                _, out = net.decode(mu, mu)
            net.train()
            hit = pixel_hits(to_uint8(out), val)
            print(
                json.dumps(
                    {
                        "step": step,
                        "seconds": round(time.time() - started),
                        "l1": round(loss.item(), 4),
                        "val_accuracy": round(float(hit.float().mean()), 3),
                        "val_road_accuracy": round(float(hit[road].float().mean()), 3),
                    }
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
