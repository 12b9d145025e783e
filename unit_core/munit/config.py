"""Typed configuration of a MUNIT model (Huang et al. 2018), selected by ``model.family: munit``.

Defaults are the paper's: content encoder with 2 downsamples and 4 residual blocks, an 8-dim
style code from 4 strided convs, a 3-layer MLP of width 256 producing the decoder's AdaIN
parameters, 3-scale LSGAN patch discriminators of 4 layers, loss weights gan 1, image 10,
style 1, content 1, cycle 0, and Adam lr 1e-4, betas (0.5, 0.999), weight decay 1e-4 (the
same defaults as UNIT's `OptimizerConfig`, which is reused). Build with `MunitConfig.from_dict`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from unit_core.optimizer import OptimizerConfig
from unit_core.typed_config import TypedConfig, require


def _in_range(value: int, low: int, high: int, key: str) -> None:
    require(low <= value <= high, key, f"must be in {low}..{high}, got {value}")


@dataclass(frozen=True)
class MunitModelConfig(TypedConfig):
    """Network shapes; has the keys `DiscriminatorPair` reads (`discriminator.DiscriminatorShape`)."""

    family: Literal["munit"] = "munit"  # model family; `unit` is unit_core/unit/config.py
    image_size: int = 64  # square H = W of the inputs, in pixels
    channels_a: int = 3  # image channels of domain A (1 grey, 3 RGB)
    channels_b: int = 3
    base_channels: int = 64  # width of the first conv of both encoders; doubles when downsampling
    n_downsample: int = 2  # stride-2 convs of the content encoder (= upsamplings of the decoder)
    n_res_blocks: int = 4  # residual blocks of the content encoder and AdaIN blocks of the decoder
    style_dim: int = 8  # length of the style code
    style_downsample: int = 4  # stride-2 convs of the style encoder before its global pooling
    mlp_dim: int = 256  # hidden width of the MLP mapping a style code to AdaIN parameters
    mlp_layers: int = 3  # linear layers of that MLP
    norm: Literal["instance", "batch", "none"] = "instance"  # content encoder normalisation
    dis_layers: int = 4  # conv layers of each patch discriminator
    dis_scales: int = 3  # multi-scale discriminators, each on a 2x smaller image
    dis_base_channels: int = 64
    gan_loss: Literal["log", "lsgan"] = "lsgan"

    def validate(self, prefix: str = "") -> None:
        require(self.image_size >= 8, prefix + "image_size", f"must be >= 8, got {self.image_size}")
        for key in ("channels_a", "channels_b"):
            value = getattr(self, key)
            require(value in (1, 3), prefix + key, f"must be 1 or 3, got {value}")
        for key in ("base_channels", "style_dim", "mlp_dim", "dis_base_channels"):
            value = getattr(self, key)
            require(value >= 1, prefix + key, f"must be >= 1, got {value}")
        _in_range(self.n_downsample, 1, 5, prefix + "n_downsample")
        _in_range(self.n_res_blocks, 1, 8, prefix + "n_res_blocks")
        _in_range(self.style_downsample, 1, 6, prefix + "style_downsample")
        _in_range(self.mlp_layers, 2, 8, prefix + "mlp_layers")
        _in_range(self.dis_layers, 3, 6, prefix + "dis_layers")
        _in_range(self.dis_scales, 1, 3, prefix + "dis_scales")
        # The residual blocks reflect-pad by 1, which needs a content map of at least 2x2.
        require(
            self.image_size % 2**self.n_downsample == 0 and self.content_size >= 2,
            prefix + "image_size",
            f"{self.image_size} must be divisible by 2**n_downsample = {2**self.n_downsample} "
            "leaving a content map of at least 2x2",
        )
        require(
            self.image_size % 2**self.style_downsample == 0,
            prefix + "style_downsample",
            f"image_size {self.image_size} is not divisible by "
            f"2**style_downsample = {2**self.style_downsample}",
        )
        coarsest = self.image_size // 2 ** (self.dis_scales - 1)
        require(
            coarsest >= 8,
            prefix + "dis_scales",
            f"{self.dis_scales} scales shrink {self.image_size}px images to {coarsest}px (< 8px)",
        )

    @property
    def content_channels(self) -> int:
        return self.base_channels * 2**self.n_downsample

    @property
    def content_size(self) -> int:
        return self.image_size // 2**self.n_downsample


@dataclass(frozen=True)
class MunitLossWeights(TypedConfig):
    """The paper's λ's. A weight of 0 switches its term off and skips its computation."""

    gan: float = 1.0  # adversarial, on the translations
    image: float = 10.0  # λx: L1 within-domain image reconstruction
    style: float = 1.0  # λs: L1 between a random style and the style re-encoded from its image
    content: float = 1.0  # λc: L1 between a content code and the one re-encoded after translation
    cycle: float = 0.0  # explicit cycle x -> a2b -> back (the paper's optional λcc; 10 when used)

    def validate(self, prefix: str = "") -> None:
        for key, value in self.to_dict().items():
            require(value >= 0.0, prefix + key, f"loss weights must be >= 0, got {value}")


@dataclass(frozen=True)
class MunitConfig(TypedConfig):
    """Everything `unit_core` needs to build and train one MUNIT model."""

    model: MunitModelConfig = field(default_factory=MunitModelConfig)
    loss: MunitLossWeights = field(default_factory=MunitLossWeights)
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    seed: int = 0
