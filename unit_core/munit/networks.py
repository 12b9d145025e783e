"""MUNIT's per-domain networks: content encoder, style encoder, and the style-driven generator.

Tensors: images (B, C, S, S) in [-1, 1]; content codes (B, K, S / 2**d, S / 2**d) with
K = base_channels * 2**d, d = n_downsample; style codes (B, style_dim).
"""

from __future__ import annotations

from torch import Tensor, nn

from unit_core.blocks import conv_block, downsampling_encoder
from unit_core.munit.adain import AdainResidualStack, count_adain_params
from unit_core.munit.config import MunitModelConfig


def content_encoder(in_ch: int, cfg: MunitModelConfig) -> nn.Sequential:
    """As UNIT's encoder: 7x7 conv, `n_downsample` stride-2 4x4 convs, residual blocks.

    Instance norm removes the per-image feature statistics, which is where MUNIT puts style.
    """
    return downsampling_encoder(
        in_ch, cfg.base_channels, cfg.n_downsample, cfg.n_res_blocks, cfg.norm
    )


class StyleEncoder(nn.Module):
    """(B, C, S, S) -> (B, style_dim): strided convs, global average pool, 1x1 conv.

    No normalisation: instance norm would erase the very statistics the style code captures.
    Channels double over the first two downsamples only, as in the paper's code.
    """

    def __init__(self, in_ch: int, cfg: MunitModelConfig) -> None:
        super().__init__()
        layers: list[nn.Module] = [conv_block(in_ch, cfg.base_channels, 7, 1, "none")]
        ch = cfg.base_channels
        for k in range(cfg.style_downsample):
            out_ch = ch * 2 if k < 2 else ch
            layers.append(conv_block(ch, out_ch, 4, 2, "none"))
            ch = out_ch
        layers += [nn.AdaptiveAvgPool2d(1), nn.Conv2d(ch, cfg.style_dim, 1)]
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x).flatten(1)


def _upsample_step(in_ch: int, out_ch: int) -> nn.Sequential:
    """Nearest x2, 5x5 conv, LayerNorm over (C, H, W) with a per-channel affine, ReLU.

    MUNIT's decoder uses layer norm here: instance norm would undo the AdaIN statistics set
    upstream. GroupNorm with one group is exactly that layer norm.
    """
    return nn.Sequential(
        nn.Upsample(scale_factor=2, mode="nearest"),
        nn.ReflectionPad2d(2),
        nn.Conv2d(in_ch, out_ch, 5),
        nn.GroupNorm(1, out_ch),
        nn.ReLU(inplace=True),
    )


class AdainDecoder(nn.Module):
    """(content (B, K, s, s), AdaIN params (B, P)) -> image (B, out_ch, S, S) in [-1, 1]."""

    def __init__(self, out_ch: int, cfg: MunitModelConfig) -> None:
        super().__init__()
        ch = cfg.content_channels
        self.res_blocks = AdainResidualStack(cfg.n_res_blocks, ch)
        layers: list[nn.Module] = []
        for _ in range(cfg.n_downsample):
            layers.append(_upsample_step(ch, ch // 2))
            ch //= 2
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ch, out_ch, 7), nn.Tanh()]
        self.to_image = nn.Sequential(*layers)

    def forward(self, content: Tensor, adain_params: Tensor) -> Tensor:
        return self.to_image(self.res_blocks(content, adain_params))


def style_mlp(style_dim: int, hidden: int, n_layers: int, n_out: int) -> nn.Sequential:
    """style_dim -> hidden (ReLU) x (n_layers - 1) -> n_out, no activation on the output."""
    layers: list[nn.Module] = []
    width = style_dim
    for _ in range(n_layers - 1):
        layers += [nn.Linear(width, hidden), nn.ReLU(inplace=True)]
        width = hidden
    layers.append(nn.Linear(width, n_out))
    return nn.Sequential(*layers)


class MunitGenerator(nn.Module):
    """G: (content (B, K, s, s), style (B, style_dim)) -> image; the MLP feeds the decoder's AdaIN."""

    def __init__(self, out_ch: int, cfg: MunitModelConfig) -> None:
        super().__init__()
        self.decoder = AdainDecoder(out_ch, cfg)
        n_adain = count_adain_params(self.decoder)
        self.mlp = style_mlp(cfg.style_dim, cfg.mlp_dim, cfg.mlp_layers, n_adain)

    def forward(self, content: Tensor, style: Tensor) -> Tensor:
        return self.decoder(content, self.mlp(style))
