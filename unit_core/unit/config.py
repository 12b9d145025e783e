"""Typed configuration of the UNIT model, its loss weights and optimisers.

Defaults are the paper's (Liu, Breuel & Kautz 2017): 1 shared residual block in E and G,
5-layer discriminators, λ0..λ4 = 10 / 0.1 / 100 / 0.1 / 100, Adam lr 1e-4, betas (0.5, 0.999),
weight decay 1e-4 (`unit_core/optimizer.py`, shared by every family). Build from a plain dict
(a `params.yaml` section) with `UnitConfig.from_dict`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from unit_core.optimizer import OptimizerConfig
from unit_core.typed_config import TypedConfig, require


@dataclass(frozen=True)
class ModelConfig(TypedConfig):
    """Network shapes. One code path serves 32x32 digits and 256x256 photos."""

    family: Literal["unit"] = "unit"  # model family; `munit` is unit_core/munit/config.py
    image_size: int = 64  # square H = W of the inputs, in pixels
    channels_a: int = 3  # image channels of domain A (1 grey, 3 RGB)
    channels_b: int = 3
    base_channels: int = 64  # width of the first encoder conv; doubles at each downsample
    n_downsample: int = 2  # stride-2 convs in the encoder front-end (front-end = 1 + this many)
    n_res_blocks: int = 4  # residual blocks in the encoder back-end and in the generator front-end
    n_shared: int = 1  # last blocks of E / first blocks of G shared by both domains (0 = none)
    norm: Literal["instance", "batch", "none"] = "instance"  # in conv and residual blocks
    dis_layers: int = 5  # conv layers of each patch discriminator (paper ablation: 3..6)
    dis_scales: int = 1  # multi-scale discriminators (1..3), each on a 2x smaller image
    dis_base_channels: int = 64
    gan_loss: Literal["log", "lsgan"] = "log"  # the paper's log-loss, or least squares
    # z = mu + N(0, I) while training (the VAE); false: z = mu, plain autoencoders (with
    # n_shared 0 and the KL / reconstruction weights at 0 this is the CycleGAN-like ablation).
    latent_noise: bool = True
    # Beyond the paper (off there): domain B's private encoder/generator layers start as copies
    # of domain A's, so a->b starts as a->a (reconstruction) and keeps the input's layout while
    # the adversarial term changes its look. Needs channels_a == channels_b.
    mirror_private_init: bool = False

    def validate(self, prefix: str = "") -> None:
        require(
            not self.mirror_private_init or self.channels_a == self.channels_b,
            prefix + "mirror_private_init",
            f"copies one domain's private layers into the other's, so both domains need the "
            f"same channels, got {self.channels_a} and {self.channels_b} (set it to false)",
        )
        require(self.image_size >= 8, prefix + "image_size", f"must be >= 8, got {self.image_size}")
        for key in ("channels_a", "channels_b"):
            value = getattr(self, key)
            require(value in (1, 3), prefix + key, f"must be 1 or 3, got {value}")
        require(
            self.base_channels >= 1,
            prefix + "base_channels",
            f"must be >= 1, got {self.base_channels}",
        )
        require(
            1 <= self.n_downsample <= 5,
            prefix + "n_downsample",
            f"must be in 1..5, got {self.n_downsample}",
        )
        require(
            self.image_size % (2**self.n_downsample) == 0,
            prefix + "image_size",
            f"{self.image_size} is not divisible by 2**n_downsample = {2**self.n_downsample}",
        )
        require(
            1 <= self.n_res_blocks <= 8,
            prefix + "n_res_blocks",
            f"must be in 1..8, got {self.n_res_blocks}",
        )
        require(
            0 <= self.n_shared <= self.n_res_blocks,
            prefix + "n_shared",
            f"must be in 0..n_res_blocks ({self.n_res_blocks}), got {self.n_shared}",
        )
        require(
            3 <= self.dis_layers <= 6,
            prefix + "dis_layers",
            f"must be in 3..6, got {self.dis_layers}",
        )
        require(
            1 <= self.dis_scales <= 3,
            prefix + "dis_scales",
            f"must be in 1..3, got {self.dis_scales}",
        )
        coarsest = self.image_size // 2 ** (self.dis_scales - 1)
        require(
            coarsest >= 8,
            prefix + "dis_scales",
            f"{self.dis_scales} scales shrink {self.image_size}px images to {coarsest}px (< 8px)",
        )
        require(
            self.dis_base_channels >= 1,
            prefix + "dis_base_channels",
            f"must be >= 1, got {self.dis_base_channels}",
        )

    @property
    def latent_channels(self) -> int:
        return self.base_channels * 2**self.n_downsample


@dataclass(frozen=True)
class LossWeights(TypedConfig):
    """λ0..λ4 of the paper. A weight of 0 switches its term off and skips its computation."""

    gan: float = 10.0  # λ0: adversarial, translation stream only
    kl: float = 0.1  # λ1: KL of q(z|x) for the reconstruction stream
    recon: float = 100.0  # λ2: L1 reconstruction (Laplacian likelihood)
    cycle_kl: float = 0.1  # λ3: both KL terms of the cycle-consistency loss
    cycle_recon: float = 100.0  # λ4: L1 cycle reconstruction

    def validate(self, prefix: str = "") -> None:
        for key, value in self.to_dict().items():
            require(value >= 0.0, prefix + key, f"loss weights must be >= 0, got {value}")

    @property
    def uses_cycle(self) -> bool:
        return self.cycle_kl > 0 or self.cycle_recon > 0


@dataclass(frozen=True)
class UnitConfig(TypedConfig):
    """Everything `unit_core` needs to build and train one UNIT model."""

    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossWeights = field(default_factory=LossWeights)
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    seed: int = 0
