"""Can the map discriminator see a given flaw? A fresh D2 (the `unit:` section's shape) trains
alone on real train maps against a perturbed copy; every 25 steps it prints its loss and its
accuracy on 64 val maps against the same perturbation of them.

Backs docs/training_quality.md, "Translation (aerial → map)", "Fourth round" (the discriminator probe).

    .venv/bin/python scripts/studies/discriminator_probe.py noroads --lr 2e-4

Perturbations: `noise` (+ N(0, 0.1²)), `shift` (16 levels darker), `noroads` (white road
pixels painted the background colour).
"""

import argparse
import json
import sys
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "scripts/studies")]

from study_params import study_section  # noqa: E402

from pipeline.data.procedural_aerial_map import MAP_PALETTE  # noqa: E402
from pipeline.data.shard_reader import load_manifest, load_split  # noqa: E402
from pipeline.tasks.model_shape import with_data_shape  # noqa: E402
from pipeline.tasks.translation_eval import paired_split  # noqa: E402
from unit_core.discriminator import MultiScaleDiscriminator  # noqa: E402
from unit_core.inputs import to_model_range  # noqa: E402
from unit_core.losses import discriminator_loss  # noqa: E402
from unit_core.model_family import config_from_dict  # noqa: E402

BACKGROUND = torch.from_numpy(MAP_PALETTE[0]).float().div(127.5).sub(1).view(1, 3, 1, 1)


def perturb(maps: torch.Tensor, kind: str, generator: torch.Generator) -> torch.Tensor:
    """The flaw D must learn to call fake, applied to maps in [-1, 1]."""
    if kind == "noise":
        return maps + 0.1 * torch.randn(maps.shape, generator=generator)
    if kind == "shift":
        return maps - 16 / 127.5
    road = (maps > 0.99).all(1, keepdim=True)  # white (255, 255, 255) is the road colour
    return torch.where(road, BACKGROUND.expand_as(maps), maps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["noise", "shift", "noroads"])
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    params = study_section("unit", 0, args.set)
    manifest = load_manifest(REPO / "data/shards/aerial_maps")
    cfg = config_from_dict(with_data_shape(params, manifest.image, ""))
    dis = MultiScaleDiscriminator(cfg.model.channels_b, cfg.model)
    optimizer = torch.optim.Adam(dis.parameters(), lr=args.lr, betas=(0.5, 0.999))
    maps = to_model_range(load_split(manifest, "b", "train").images)
    val = to_model_range(paired_split(manifest, "val")[1][:64])
    val_fake = perturb(val, args.kind, torch.Generator().manual_seed(5))
    draw = torch.Generator().manual_seed(1)
    for step in range(1, args.steps + 1):
        real = maps[torch.randint(0, len(maps), (8,), generator=draw)]
        fake = perturb(real[torch.randperm(8, generator=draw)], args.kind, draw)
        logits = dis(torch.cat([real, fake]))
        loss = cfg.loss.gan * discriminator_loss(
            [t[:8] for t in logits], [t[8:] for t in logits], cfg.model.gan_loss
        )
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 25 == 0:
            with torch.no_grad():
                on_real, on_fake = dis(val)[0], dis(val_fake)[0]
            accuracy = ((on_real > 0).float().mean() + (on_fake < 0).float().mean()) / 2
            row = {
                "step": step,
                "loss": round(loss.item(), 3),
                "val_accuracy": round(float(accuracy), 3),
            }
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
