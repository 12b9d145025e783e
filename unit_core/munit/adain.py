"""Adaptive instance normalisation (AdaIN): how a MUNIT style code reaches the decoder.

AdaIN(z, γ, β) = γ (z - μ(z)) / σ(z) + β, with μ, σ per sample and channel (instance norm
without affine) and γ, β per sample and channel, produced by an MLP from the style code. The
layers here own no γ, β: the decoder hands each layer its slice of the MLP's output.
"""

from __future__ import annotations

from torch import Tensor, nn


class AdaptiveInstanceNorm(nn.Module):
    """(B, C, H, W) and params (B, 2C) = [γ | β] -> (B, C, H, W)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.channels = channels
        self.norm = nn.InstanceNorm2d(channels, affine=False)

    @property
    def n_params(self) -> int:
        return 2 * self.channels

    def forward(self, x: Tensor, params: Tensor) -> Tensor:
        scale, bias = params[:, : self.channels], params[:, self.channels :]
        return self.norm(x) * scale[:, :, None, None] + bias[:, :, None, None]


def count_adain_params(module: nn.Module) -> int:
    """Total γ, β values per sample that the AdaIN layers inside `module` consume."""
    return sum(m.n_params for m in module.modules() if isinstance(m, AdaptiveInstanceNorm))


class AdainResidualBlock(nn.Module):
    """MUNIT's decoder residual block: 3x3 conv -> AdaIN -> ReLU -> 3x3 conv -> AdaIN, plus skip."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3))
        self.norm1 = AdaptiveInstanceNorm(channels)
        self.conv2 = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3))
        self.norm2 = AdaptiveInstanceNorm(channels)

    def forward(self, x: Tensor, params: Tensor) -> Tensor:
        """`params` (B, count_adain_params(self)): norm1's γ, β then norm2's."""
        first = self.norm1.n_params
        h = self.norm1(self.conv1(x), params[:, :first]).relu()
        return x + self.norm2(self.conv2(h), params[:, first:])


class AdainResidualStack(nn.Module):
    """`n_blocks` AdaIN residual blocks; splits one (B, P) parameter tensor among them in order."""

    def __init__(self, n_blocks: int, channels: int) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(AdainResidualBlock(channels) for _ in range(n_blocks))
        # Fixed by the architecture: counted once here, not on every forward.
        self.block_params = [count_adain_params(block) for block in self.blocks]

    def forward(self, x: Tensor, params: Tensor) -> Tensor:
        expected = sum(self.block_params)
        if params.shape[1] != expected:
            raise ValueError(f"expected {expected} AdaIN parameters, got {params.shape[1]}")
        for block, block_params in zip(
            self.blocks, params.split(self.block_params, dim=1), strict=True
        ):
            x = block(x, block_params)
        return x
