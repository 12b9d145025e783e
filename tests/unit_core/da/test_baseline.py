import io

import pytest
import torch

from tests.unit_core.da.tiny import pattern_digits, tiny_da_config
from unit_core.da.baseline import SourceOnlyClassifier


def test_trains_on_source_labels_and_round_trips():
    cfg = tiny_da_config(optimizer={"lr": 1e-3}, seed=2)
    x, y = pattern_digits(16, 4, seed=3)
    model = SourceOnlyClassifier(cfg)
    losses = [model.train_step(x, y)["source_class"] for _ in range(30)]
    assert max(losses[-3:]) < 0.3 * losses[0], losses
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    expected = model.train_step(x, y)
    restored = SourceOnlyClassifier(tiny_da_config(optimizer={"lr": 1e-3}, seed=9))
    restored.load_state_dict(torch.load(buffer, weights_only=True))  # restores the dropout RNG
    assert restored.train_step(x, y) == expected


def test_reads_target_images_of_another_channel_count():
    cfg = tiny_da_config(channels_a=3, source_domain="a")  # RGB source, grey target
    model = SourceOnlyClassifier(cfg)
    x_b, _ = pattern_digits(3, 4, channels=1)
    assert model.classify(x_b, "b").shape == (3, 4)
    assert model.network.front[0].in_channels == 3


@pytest.mark.parametrize(
    "labels, message", [(None, "needs class labels"), (torch.tensor([0, 9]), "0..3")]
)
def test_bad_labels_raise(labels, message):
    model = SourceOnlyClassifier(tiny_da_config())
    x, _ = pattern_digits(2, 4)
    with pytest.raises(ValueError, match=message):
        model.train_step(x, labels)
