"""`translation_curves.py` with study-only generator terms added to the trainer (none is in
the product; docs/training_quality.md, seventh and eighth rounds, has what they did):

Backs docs/training_quality.md, "Seventh round" and "Eighth round" (aerial → map).

- `--feature-matching W`: W x L1 between the batch-and-space means of D's penultimate features
  on real and on translated images, per domain (a global statistic a patch D lacks: how much
  road a map has);
- `--latent-dis W`: a discriminator on the codes (DRIT's content discriminator) learns to tell
  E1's mu from E2's; the encoders get W x its cross-entropy against a 50/50 guess;
- `--colour-swd W`: W x the sliced Wasserstein-1 distance between the pixel colours of the
  translated and the real images of each domain (a batch's colour histogram: a map has ~14 %
  white road pixels, a translation without roads has none; no discriminator to outrun);
- `--cycle-noise S`: N(0, S^2) noise on the translations before the cycle re-encodes them
  (Chu et al. 2017: a cycle can hide its content in faint offsets, such as roads drawn a few
  levels darker than the background; noise makes faint codes useless to the cycle);
- `--spectral-norm`: spectral normalisation of every conv of both discriminators (Miyato et
  al. 2018), a smoother D whose gradients stay informative while it is ahead;
- `--dihedral`: every training image of both domains gets one of the 8 flips/quarter turns
  (drawn per image from its own seeded generator): 8x the unpaired data, no labels;
- `--shared-edges W`: one small decoder, shared by both domains, reads each code mu and must
  draw its own input's edge map (Sobel magnitude of the blurred luminance, scaled per image);
  W x its L1 error. A dark road on the aerial and a white one on the map have the same edges,
  so the codes must carry them alike (a polarity-free prior: translation keeps geometry);
- `--gan-ramp N`: the generator's adversarial term grows linearly from 0 to its weight over
  the first N steps (D trains at full weight throughout): the autoencoders learn first;
- `--lr-warmup N`: the E/G learning rate grows linearly from lr/N to lr over the first N steps;
- `--mean-colour-bias`: each decoder's last bias starts at atanh of its domain's mean train
  colour, so both decoders start by painting their domain's average colour (no labels: the
  unpaired images of each domain alone).

Every other flag is `translation_curves.py`'s, e.g.

    .venv/bin/python scripts/studies/translation_extra_terms.py --latent-dis 10 --steps 300
"""

import argparse
import sys
from dataclasses import dataclass, fields
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "scripts/studies")]

import translation_curves  # noqa: E402

from pipeline.data.shard_reader import load_split  # noqa: E402
from unit_core.inputs import to_model_range  # noqa: E402
from unit_core.unit.trainer import UnitTrainer  # noqa: E402
from unit_core.weight_average import WeightAverage  # noqa: E402


def feature_matching(trainer: UnitTrainer, x_a, x_b, a2b, b2a) -> torch.Tensor:
    """Per domain, L1 between mean penultimate D features of real and translated images."""
    total = x_a.new_zeros(())
    trainer.discriminators.requires_grad_(False)
    try:
        for dis, real, fake in (
            (trainer.discriminators.dis_a, x_a, b2a),
            (trainer.discriminators.dis_b, x_b, a2b),
        ):
            features = dis.scales[0].net[:-1](torch.cat([real, fake]))
            n = len(real)
            means = features[:n].detach().mean((0, 2, 3)), features[n:].mean((0, 2, 3))
            total = total + (means[0] - means[1]).abs().mean()
    finally:
        trainer.discriminators.requires_grad_(True)
    return total


# Fixed projection directions (axes, face and body diagonals of the RGB cube): deterministic,
# and no draw from the global RNG that the trainer's latent noise uses.
_CUBE = torch.tensor(
    [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, -1, 0], [1, 0, 1], [1, 0, -1],
     [0, 1, 1], [0, 1, -1], [1, 1, 1], [1, 1, -1], [1, -1, 1], [-1, 1, 1]],
    dtype=torch.float32,
)
SWD_DIRECTIONS = _CUBE / _CUBE.norm(dim=1, keepdim=True)


def colour_swd(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Sliced Wasserstein-1 between the batch's pixel colours: project every pixel of both
    batches on each direction, sort, and average the gaps between the sorted values."""
    colours = lambda x: x.float().permute(0, 2, 3, 1).reshape(-1, x.shape[1])  # noqa: E731
    dirs = SWD_DIRECTIONS.to(fake.device).T
    p = (colours(fake) @ dirs).sort(0).values
    q = (colours(real.detach()) @ dirs).sort(0).values
    return (p - q).abs().mean()


def latent_adversarial(trainer: UnitTrainer, mu_a, mu_b) -> torch.Tensor:
    """Step the code discriminator (a -> 1, b -> 0); return the encoders' 50/50 cross-entropy."""
    if not hasattr(trainer, "code_dis"):
        c = mu_a.shape[1]
        trainer.code_dis = nn.Sequential(
            nn.Conv2d(c, c, 3, 1, 1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(c, 2 * c, 4, 2, 1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(2 * c, 2 * c, 4, 2, 1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(2 * c, 1, 3, 1, 1),
        )
        lr = trainer.cfg.optimizer.discriminator_lr
        trainer.code_optimizer = torch.optim.Adam(
            trainer.code_dis.parameters(), lr, betas=(0.5, 0.999)
        )
    logit_a, logit_b = trainer.code_dis(mu_a.detach()), trainer.code_dis(mu_b.detach())
    loss = F.binary_cross_entropy_with_logits(logit_a, torch.ones_like(logit_a))
    loss = loss + F.binary_cross_entropy_with_logits(logit_b, torch.zeros_like(logit_b))
    trainer.code_optimizer.zero_grad()
    loss.backward()
    trainer.code_optimizer.step()
    trainer.code_dis.requires_grad_(False)
    logit_a, logit_b = trainer.code_dis(mu_a), trainer.code_dis(mu_b)
    trainer.code_dis.requires_grad_(True)
    half_a, half_b = torch.full_like(logit_a, 0.5), torch.full_like(logit_b, 0.5)
    return F.binary_cross_entropy_with_logits(logit_a, half_a) + F.binary_cross_entropy_with_logits(
        logit_b, half_b
    )


_SOBEL = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]) / 8


def edge_map(images: torch.Tensor) -> torch.Tensor:
    """Per image: the Sobel magnitude of the 3x3-blurred luminance over its 95th percentile,
    clipped to 1 (so a faint map and a contrasty aerial give edges on one scale)."""
    pad = lambda t: F.pad(t, (1, 1, 1, 1), mode="replicate")  # noqa: E731
    lum = F.avg_pool2d(pad(images.float().mean(1, keepdim=True)), 3, 1)
    kernel_x = _SOBEL.to(images.device)[None, None]
    gx, gy = F.conv2d(pad(lum), kernel_x), F.conv2d(pad(lum), kernel_x.transpose(-1, -2))
    magnitude = (gx.square() + gy.square() + 1e-8).sqrt()
    scale = magnitude.flatten(1).quantile(0.95, dim=1).clamp_min(1e-3)
    return (magnitude / scale[:, None, None, None]).clamp(max=1.0)


def edge_decoder(channels: int, upsamplings: int) -> nn.Module:
    layers: list[nn.Module] = [nn.Conv2d(channels, 32, 3, 1, 1), nn.ReLU()]
    for _ in range(upsamplings):
        layers += [nn.Upsample(scale_factor=2), nn.Conv2d(32, 32, 3, 1, 1), nn.ReLU()]
    return nn.Sequential(*layers, nn.Conv2d(32, 1, 3, 1, 1))


def random_dihedral(images: torch.Tensor, draws: torch.Generator) -> torch.Tensor:
    """Each image of the batch flipped (or not) and turned by a random number of quarters."""
    flips = torch.randint(0, 2, (len(images),), generator=draws)
    turns = torch.randint(0, 4, (len(images),), generator=draws)
    return torch.stack([
        torch.rot90(x.flip(-1) if f else x, int(t), dims=(-2, -1))
        for x, f, t in zip(images, flips, turns, strict=True)
    ])


@dataclass(frozen=True)
class StudyChanges:
    """The study-only changes of one run (the module docstring's flags); defaults: none."""

    feature_matching: float = 0.0
    latent_dis: float = 0.0
    colour_swd: float = 0.0
    cycle_noise: float = 0.0
    spectral_norm: bool = False
    dihedral: bool = False
    shared_edges: float = 0.0
    gan_ramp: int = 0
    lr_warmup: int = 0
    mean_colour_bias: bool = False


def start_decoders_at_mean_colour(trainer: UnitTrainer, manifest) -> None:
    for domain, back in (("a", trainer.translator.generator_back_a),
                         ("b", trainer.translator.generator_back_b)):  # fmt: skip
        images = to_model_range(load_split(manifest, domain, "train").images)
        mean = images.mean((0, 2, 3)).clamp(-0.95, 0.95)
        convs = [m for m in back.modules() if isinstance(m, nn.Conv2d | nn.ConvTranspose2d)]
        with torch.no_grad():
            convs[-1].bias.copy_(torch.atanh(mean))


def spectral_norm_discriminators(trainer: UnitTrainer) -> None:
    """The optimizer keeps the same weight tensors (now `.original`); D's parameter order
    changes, so its weight average starts afresh."""
    for module in trainer.discriminators.modules():
        if isinstance(module, nn.Conv2d):
            nn.utils.parametrizations.spectral_norm(module)
    if trainer.averages is not None:
        decay = trainer.averages[1].decay
        trainer.averages = (trainer.averages[0], WeightAverage(trainer.discriminators, decay))


def noisy_cycle(trainer: UnitTrainer, sigma: float) -> None:
    encode = trainer.translator.encode

    def encode_noisy_translations(x_a, x_b):
        # Only the cycle encodes tensors that carry gradient (the step's translations).
        if x_a.requires_grad:
            x_a, x_b = (x + sigma * torch.randn_like(x) for x in (x_a, x_b))
        return encode(x_a, x_b)

    trainer.translator.encode = encode_noisy_translations


def dihedral_inputs(trainer: UnitTrainer) -> None:
    train_step, draws = trainer.train_step, torch.Generator().manual_seed(1234)
    trainer.train_step = lambda x_a, x_b: train_step(
        random_dihedral(x_a, draws), random_dihedral(x_b, draws)
    )


def append_adversarial_term(trainer: UnitTrainer, name: str, term) -> None:
    """Wrap the trainer's current `adversarial_terms`: its terms, then `term(x_a, x_b, a2b,
    b2a)` under `name`."""
    base = trainer.adversarial_terms

    def with_term(x_a, x_b, a2b, b2a):
        terms = base(x_a, x_b, a2b, b2a)
        terms[name] = term(x_a, x_b, a2b, b2a)
        return terms

    trainer.adversarial_terms = with_term


def add_adversarial_terms(trainer: UnitTrainer, changes: StudyChanges) -> None:
    """Feature matching, colour SWD and the ramp act on the adversarial terms, each wrapping
    the one before (one per run so far)."""
    if changes.feature_matching > 0:
        append_adversarial_term(
            trainer,
            "feature_matching",
            lambda x_a, x_b, a2b, b2a: changes.feature_matching
            * feature_matching(trainer, x_a, x_b, a2b, b2a),
        )
    if changes.colour_swd > 0:
        append_adversarial_term(
            trainer,
            "colour_swd",
            lambda x_a, x_b, a2b, b2a: changes.colour_swd
            * (colour_swd(x_a, b2a) + colour_swd(x_b, a2b)),
        )
    if changes.gan_ramp > 0:
        base_ramp = trainer.adversarial_terms

        def with_ramped_gan(x_a, x_b, a2b, b2a):
            terms = base_ramp(x_a, x_b, a2b, b2a)
            if "gen_adv" in terms:
                scale = min(1.0, (trainer.step + 1) / changes.gan_ramp)
                terms["gen_adv"] = terms["gen_adv"] * scale
            return terms

        trainer.adversarial_terms = with_ramped_gan


def add_generator_terms(trainer: UnitTrainer, changes: StudyChanges, manifest, step) -> None:
    """The shared edge decoder and the code discriminator join the losses just before the
    generator update, reading the step's own forward (`step`: its inputs and outputs); the
    warm-up sets the learning rate of that update."""
    if changes.shared_edges > 0:
        base_edges = trainer.generator_update
        image = manifest.image
        shape = (1, image["channels"], image["height"], image["width"])
        with torch.no_grad():
            codes = trainer.translator.encode(torch.zeros(shape), torch.zeros(shape))[0]
        decoder = edge_decoder(codes.shape[1], trainer.cfg.model.n_downsample)
        optimizer = torch.optim.Adam(
            decoder.parameters(), trainer.cfg.optimizer.lr, betas=(0.5, 0.999)
        )

        def with_edges_term(losses):
            out, (x_a, x_b) = step["out"], step["inputs"][:2]
            error = sum(
                (decoder(mu) - edge_map(x)).abs().mean()
                for mu, x in ((out.mu_a, x_a), (out.mu_b, x_b))
            )
            losses["shared_edges"] = changes.shared_edges * error
            optimizer.zero_grad(set_to_none=True)
            result = base_edges(losses)
            optimizer.step()
            return result

        trainer.generator_update = with_edges_term
    if changes.latent_dis > 0:
        base_latent = trainer.generator_update

        def with_latent_term(losses):
            out = step["out"]
            term = latent_adversarial(trainer, out.mu_a, out.mu_b)
            losses["latent_adv"] = changes.latent_dis * term
            return base_latent(losses)

        trainer.generator_update = with_latent_term
    if changes.lr_warmup > 0:
        base_warmup, lr = trainer.generator_update, trainer.cfg.optimizer.lr

        def warmed_up_update(losses):
            for group in trainer.gen_optimizer.param_groups:
                group["lr"] = lr * min(1.0, (trainer.step + 1) / changes.lr_warmup)
            return base_warmup(losses)

        trainer.generator_update = warmed_up_update


def add_terms(changes: StudyChanges):
    """An `after_build` hook for `translation_curves.main` making `changes`. Each term sits
    where its measured runs added it: GAN runs differ at the float level when the loss terms
    are summed in another order."""

    def hook(trainer: UnitTrainer, manifest) -> None:
        step: dict = {}
        trainer.translator.register_forward_hook(
            lambda module, inputs, out: step.update(out=out, inputs=inputs)
        )
        if changes.mean_colour_bias:
            start_decoders_at_mean_colour(trainer, manifest)
        if changes.spectral_norm:
            spectral_norm_discriminators(trainer)
        if changes.cycle_noise > 0:
            noisy_cycle(trainer, changes.cycle_noise)
        if changes.dihedral:
            dihedral_inputs(trainer)
        add_adversarial_terms(trainer, changes)
        add_generator_terms(trainer, changes, manifest, step)

    return hook


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], add_help=False)
    for field in fields(StudyChanges):
        flag = "--" + field.name.replace("_", "-")
        if field.type is bool:
            parser.add_argument(flag, action="store_true")
        else:
            parser.add_argument(flag, type=field.type, default=field.default)
    args, rest = parser.parse_known_args()
    sys.argv = [str(REPO / "scripts/studies/translation_curves.py"), *rest]
    changes = StudyChanges(**{f.name: getattr(args, f.name) for f in fields(StudyChanges)})
    translation_curves.main(after_build=add_terms(changes))


if __name__ == "__main__":
    main()
