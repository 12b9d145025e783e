import pytest
import torch

from tests.unit_core.tiny import tiny_config
from unit_core.discriminator import DiscriminatorPair


@pytest.mark.parametrize("layers", [3, 4, 5, 6])
@pytest.mark.parametrize("size, scales", [(32, 1), (32, 3), (64, 2)])
def test_patch_logits_per_scale(layers, size, scales):
    cfg = tiny_config(image_size=size, dis_layers=layers, dis_scales=scales, channels_a=1)
    pair = DiscriminatorPair(cfg.model)
    logits_a, logits_b = pair(torch.zeros(2, 1, size, size), torch.zeros(2, 3, size, size))
    assert len(logits_a) == len(logits_b) == scales
    for k, logit in enumerate(logits_a):
        scale_size = size // 2**k
        patches = max(scale_size // 2 ** (layers - 1), min(scale_size, 4))
        assert logit.shape == (2, 1, patches, patches)
    convs = [m for m in pair.dis_a.scales[0].modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == layers


def test_uses_leaky_relu():
    pair = DiscriminatorPair(tiny_config().model)
    assert any(isinstance(m, torch.nn.LeakyReLU) for m in pair.modules())
