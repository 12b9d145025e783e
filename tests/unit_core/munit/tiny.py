"""Tiny seeded MUNIT configs so unit tests run in well under a second each (batches: tiny.py)."""

from __future__ import annotations

from typing import Any

from unit_core.munit.config import MunitConfig


def tiny_munit_config(**model: Any) -> MunitConfig:
    """A 16x16, 4-channel-wide MUNIT; override model keys, or pass loss=/optimizer=/seed=."""
    loss = model.pop("loss", {})
    optimizer = model.pop("optimizer", {})
    seed = model.pop("seed", 0)
    base = {
        "image_size": 16,
        "base_channels": 4,
        "n_res_blocks": 2,
        "style_downsample": 2,
        "mlp_dim": 8,
        "dis_base_channels": 4,
        "dis_layers": 3,
        "dis_scales": 1,
    }
    return MunitConfig.from_dict(
        {"model": {**base, **model}, "loss": loss, "optimizer": optimizer, "seed": seed}
    )
