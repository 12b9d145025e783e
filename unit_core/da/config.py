"""Typed configuration of UNIT for domain adaptation on 32x32 digits.

Defaults follow the authors' 2017 domain-adaptation code (batch 64 per domain is the pipeline's
concern): 64 base channels in E/G and D, a 1x1 latent of 8 x 64 = 512 channels, dropout
0.1 / 0.3 / 0.5 / 0.5 in the tied discriminator layers, Adam lr 2e-4, betas (0.5, 0.999) and
weight decay 5e-4 (that code's value for both optimisers; coupled L2 as in `torch.optim.Adam`).

Loss weights are re-expressed for our per-element means. The 2017 code summed squared errors
per image (MSE x C·H·W) and KL per latent vector (x 2); dividing its weights back gives:
recon 0.001 x 1024 px ≈ 1 (we use L1, the paper's Laplacian likelihood, not the code's MSE),
KL 1e-4 x 2 x 512 ≈ 0.1 (the paper's λ1), feature matching 1e-4 x (512 x 2 x 2) ≈ 0.2 per
pair of corresponding images, classification 10, GAN 1. The latter two were tuned by the
authors for SVHN -> MNIST; the MNIST <-> USPS presets may override them. Cycle consistency is off: the paper did not need it for digits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from unit_core.optimizer import OptimizerConfig
from unit_core.typed_config import TypedConfig, require

DA_IMAGE_SIZE = 32  # the layer sizes below (5x5 s2, 8x8 valid, 2x2 heads) fit 32x32 exactly


@dataclass(frozen=True)
class DaModelConfig(TypedConfig):
    """Network shapes of the coupled VAEs and the coupled discriminators."""

    image_size: int = DA_IMAGE_SIZE  # must be 32: resize or pad digits to 32x32 first
    channels_a: int = 1  # 1 grey (MNIST, USPS), 3 RGB (SVHN)
    channels_b: int = 1
    num_classes: int = 10  # outputs of the class head
    base_channels: int = 64  # E/G width: 64 -> 128 -> 256 -> 512 (2017: gen_ch)
    latent_channels: int = 512  # channels of the 1x1 latent code z (2017: 8 x gen_ch)
    dis_base_channels: int = 64  # D width: 64 -> 128 -> 256 -> 512 (2017: dis_ch)
    # Beyond the 2017 code (5 there): the kernel of every D conv (first layer and tied layers;
    # the source-only baseline's too). 3 costs D about a third of the multiply-adds of 5.
    dis_kernel: int = 5
    # Dropout before each tied D layer and on the top features (2017: 0.1, 0.3, 0.5, 0.5).
    dropout: tuple[float, ...] = (0.1, 0.3, 0.5, 0.5)
    gan_loss: Literal["log", "lsgan"] = "log"  # the 2017 code's 2-way softmax == log-loss
    # Beyond the 2017 code (off there): the target's private layers of E, G and D start as
    # copies of the source's, so the target's first D layer reads target images the way the
    # source's reads source images from step 0 (the source-only baseline's starting point)
    # instead of from random weights. Needs channels_a == channels_b.
    mirror_private_init: bool = False

    def validate(self, prefix: str = "") -> None:
        require(
            self.image_size == DA_IMAGE_SIZE,
            prefix + "image_size",
            f"the domain-adaptation networks take exactly {DA_IMAGE_SIZE}x{DA_IMAGE_SIZE} "
            f"images, got {self.image_size} (resize or pad the digits to {DA_IMAGE_SIZE})",
        )
        for key in ("channels_a", "channels_b"):
            value = getattr(self, key)
            require(value in (1, 3), prefix + key, f"must be 1 or 3, got {value}")
        require(
            self.num_classes >= 2, prefix + "num_classes", f"must be >= 2, got {self.num_classes}"
        )
        for key in ("base_channels", "latent_channels", "dis_base_channels"):
            value = getattr(self, key)
            require(value >= 1, prefix + key, f"must be >= 1, got {value}")
        require(
            self.dis_kernel >= 1 and self.dis_kernel % 2 == 1,
            prefix + "dis_kernel",
            f"must be odd and >= 1 (a same-padded conv keeps the 32/16/8/4 sizes), got "
            f"{self.dis_kernel}",
        )
        require(
            len(self.dropout) == 4,
            prefix + "dropout",
            f"needs 4 rates (one per tied D layer input and the top features), got {len(self.dropout)}",
        )
        require(
            not self.mirror_private_init or self.channels_a == self.channels_b,
            prefix + "mirror_private_init",
            f"copies one domain's private layers into the other's, so both domains need the "
            f"same channels, got {self.channels_a} and {self.channels_b} (set it to false)",
        )
        for i, rate in enumerate(self.dropout):
            require(0 <= rate < 1, f"{prefix}dropout[{i}]", f"must be in [0, 1), got {rate}")


@dataclass(frozen=True)
class DaLossWeights(TypedConfig):
    """Loss weights; a weight of 0 switches its term off and skips its computation."""

    gan: float = 1.0  # adversarial, on translations (and reconstructions, see below)
    kl: float = 0.1  # KL of q(z|x), reconstruction stream
    recon: float = 1.0  # L1 reconstruction
    cycle_kl: float = 0.0  # cycle-consistency KL terms (off for digits)
    cycle_recon: float = 0.0  # L1 cycle reconstruction (off for digits)
    feature_matching: float = 0.2  # mean squared diff of D_a / D_b top features, D step
    classification: float = 10.0  # cross entropy of the class head on labelled source images
    # Beyond the 2017 code (0 there): cross entropy of the class head on the source images'
    # translations into the target domain, read through the target's first D layer, with the
    # source labels (pixel-level adaptation). D step only; the translations are detached.
    translated_classification: float = 0.0
    # The 2017 DA code also shows D the reconstructions as fakes (mean of both fake losses).
    gan_on_reconstruction: bool = True

    def validate(self, prefix: str = "") -> None:
        for key, value in self.to_dict().items():
            if isinstance(value, float):
                require(value >= 0.0, prefix + key, f"loss weights must be >= 0, got {value}")
        require(
            self.translated_classification == 0 or self.gan > 0,
            prefix + "translated_classification",
            "classifies the translations that the adversarial term makes; it needs gan > 0",
        )

    @property
    def uses_cycle(self) -> bool:
        return self.cycle_kl > 0 or self.cycle_recon > 0

    @property
    def updates_discriminators(self) -> bool:
        """True when any term trains D (the class head and tied layers are part of D)."""
        return self.gan > 0 or self.classification > 0 or self.feature_matching > 0


@dataclass(frozen=True)
class DaOptimizerConfig(OptimizerConfig):
    """Adam for E/G and for D: the 2017 DA code's lr 2e-4 and weight decay 5e-4."""

    lr: float = 2e-4
    weight_decay: float = 5e-4


@dataclass(frozen=True)
class DaConfig(TypedConfig):
    """Everything `unit_core` needs to build and train one domain-adaptation model."""

    model: DaModelConfig = field(default_factory=DaModelConfig)
    loss: DaLossWeights = field(default_factory=DaLossWeights)
    optimizer: DaOptimizerConfig = field(default_factory=DaOptimizerConfig)
    seed: int = 0
    # Which domain carries labels: MNIST -> USPS has source "a"; USPS -> MNIST has source "b".
    source_domain: Literal["a", "b"] = "a"

    @property
    def target_domain(self) -> str:
        return "b" if self.source_domain == "a" else "a"

    def channels(self, domain: str) -> int:
        """Image channels of domain 'a' or 'b'."""
        if domain not in ("a", "b"):
            raise ValueError(f"domain must be 'a' or 'b', got {domain!r}")
        return self.model.channels_a if domain == "a" else self.model.channels_b
