"""Building blocks shared by the encoders, generators and discriminators."""

from __future__ import annotations

from torch import Tensor, nn


def norm_layer(kind: str, channels: int) -> nn.Module:
    """Normalisation by name: the 2017 code uses instance norm in its residual blocks."""
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=False)
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"unknown norm {kind!r} (expected instance, batch or none)")


def conv_block(in_ch: int, out_ch: int, kernel: int, stride: int, norm: str) -> nn.Sequential:
    """Reflect-padded conv -> norm -> ReLU; stride 2 halves H and W."""
    pad = (kernel - 1) // 2 if stride == 1 else (kernel - stride) // 2
    return nn.Sequential(
        nn.ReflectionPad2d(pad),
        nn.Conv2d(in_ch, out_ch, kernel, stride, bias=norm != "batch"),
        norm_layer(norm, out_ch),
        nn.ReLU(inplace=True),
    )


def upsample_block(in_ch: int, out_ch: int, norm: str) -> nn.Sequential:
    """Transposed conv (the paper's generator back-end) doubling H and W -> norm -> ReLU."""
    return nn.Sequential(
        nn.ConvTranspose2d(in_ch, out_ch, kernel_size=4, stride=2, padding=1, bias=norm != "batch"),
        norm_layer(norm, out_ch),
        nn.ReLU(inplace=True),
    )


class ResidualBlock(nn.Module):
    """Two 3x3 convs with a skip connection; keeps shape (B, C, H, W)."""

    def __init__(self, channels: int, norm: str) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3, bias=norm != "batch"),
            norm_layer(norm, channels),
            nn.ReLU(inplace=True),
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3, bias=norm != "batch"),
            norm_layer(norm, channels),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


def residual_stack(n_blocks: int, channels: int, norm: str) -> nn.Module:
    """`n_blocks` residual blocks in sequence; an `nn.Identity` (no parameters) when 0."""
    if n_blocks == 0:
        return nn.Identity()
    return nn.Sequential(*(ResidualBlock(channels, norm) for _ in range(n_blocks)))


def downsampling_encoder(
    in_ch: int, base_channels: int, n_downsample: int, n_res_blocks: int, norm: str
) -> nn.Sequential:
    """7x7 conv, `n_downsample` stride-2 4x4 convs doubling the width, then residual blocks.

    UNIT's per-domain encoder front-end and MUNIT's content encoder are this same stack:
    (B, in_ch, S, S) -> (B, base_channels * 2**n_downsample, S / 2**n_downsample, ...).
    """
    layers: list[nn.Module] = [conv_block(in_ch, base_channels, 7, 1, norm)]
    ch = base_channels
    for _ in range(n_downsample):
        layers.append(conv_block(ch, ch * 2, 4, 2, norm))
        ch *= 2
    layers.append(residual_stack(n_res_blocks, ch, norm))
    return nn.Sequential(*layers)
