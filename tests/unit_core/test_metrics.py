import pytest
import torch

from unit_core.inputs import to_model_range, to_uint8
from unit_core.metrics import (
    classification_accuracy,
    mean_pairwise_distance,
    pixel_accuracy,
    pixel_hits,
)


def test_pixel_accuracy_counts_pixels_whose_every_channel_is_within_threshold():
    target = torch.zeros(1, 3, 1, 4, dtype=torch.uint8)
    pred = torch.tensor([[[[0, 16, 17, 0]], [[0, 0, 0, 16]], [[0, 16, 0, 17]]]], dtype=torch.uint8)
    # pixel 0 exact, pixel 1 all channels at 16 (correct), pixel 2 off by 17 in R, pixel 3 by 17 in B
    assert pixel_accuracy(pred, target) == 0.5
    assert pixel_accuracy(pred, target, threshold=17) == 1.0
    assert pixel_accuracy(pred, target, threshold=0) == 0.25


def test_pixel_hits_marks_each_pixel_without_the_channel_axis():
    target = torch.zeros(2, 3, 1, 2, dtype=torch.uint8)
    pred = target.clone()
    pred[0, 1, 0, 1] = 17  # image 0, pixel 1: G off by 17
    pred[1, 2, 0, 0] = 16  # image 1, pixel 0: B off by 16, still right
    assert pixel_hits(pred, target).tolist() == [[[True, False]], [[True, True]]]
    assert pixel_hits(pred[0], target[0]).shape == (1, 2)


def test_pixel_accuracy_handles_underflow_and_single_images():
    target = torch.full((3, 2, 2), 250, dtype=torch.uint8)
    pred = torch.full((3, 2, 2), 5, dtype=torch.uint8)
    assert pixel_accuracy(pred, target) == 0.0
    assert pixel_accuracy(target, target) == 1.0


def test_pixel_accuracy_rejects_floats_and_shape_mismatch():
    with pytest.raises(ValueError, match="integer colours"):
        pixel_accuracy(torch.zeros(1, 3, 2, 2), torch.zeros(1, 3, 2, 2))
    with pytest.raises(ValueError, match="shapes differ"):
        pixel_accuracy(
            torch.zeros(1, 3, 2, 2, dtype=torch.uint8), torch.zeros(1, 3, 2, 3, dtype=torch.uint8)
        )


def test_classification_accuracy_from_logits_or_labels():
    labels = torch.tensor([0, 1, 2, 1])
    logits = torch.tensor([[5.0, 0, 0], [0, 5, 0], [5, 0, 0], [0, 5, 0]])
    assert classification_accuracy(logits, labels) == 0.75
    assert classification_accuracy(torch.tensor([0, 1, 2, 0]), labels) == 0.75
    with pytest.raises(ValueError):
        classification_accuracy(torch.tensor([0, 1]), labels)


def test_uint8_round_trip_through_model_range():
    images = torch.arange(256, dtype=torch.uint8).reshape(1, 1, 16, 16)
    assert torch.equal(to_uint8(to_model_range(images)), images)


def test_mean_pairwise_distance_of_identical_samples_is_zero():
    sample = torch.randint(0, 256, (1, 2, 3, 4, 4), dtype=torch.uint8)
    assert mean_pairwise_distance(sample.expand(3, -1, -1, -1, -1)) == 0.0


def test_mean_pairwise_distance_averages_pairs_and_inputs():
    # K = 3 samples of B = 2 one-pixel grey inputs
    values = [[[0], [255]], [[51], [255]], [[255], [0]]]
    samples = torch.tensor(values, dtype=torch.uint8).reshape(3, 2, 1, 1, 1)
    # pairs (0,1), (0,2), (1,2): input 0 differs by 51, 255, 204; input 1 by 0, 255, 255
    expected = (51 + 255 + 204 + 0 + 255 + 255) / 6 / 255
    assert mean_pairwise_distance(samples) == pytest.approx(expected)


@pytest.mark.parametrize(
    "samples, message",
    [
        (torch.zeros(1, 2, 3, 4, 4, dtype=torch.uint8), "K >= 2"),
        (torch.zeros(2, 3, 4, 4, dtype=torch.uint8), "shape"),
        (torch.zeros(2, 2, 3, 4, 4), "uint8"),
    ],
)
def test_mean_pairwise_distance_rejects_bad_inputs(samples, message):
    with pytest.raises(ValueError, match=message):
        mean_pairwise_distance(samples)


def test_nearest_colour_class_and_mean_iou_punish_a_constant_colour():
    from unit_core.metrics import mean_iou, nearest_colour_class

    palette = torch.tensor([[200, 200, 200], [255, 255, 255], [0, 0, 255]], dtype=torch.uint8)
    truth_classes = torch.zeros(1, 4, 4, dtype=torch.long)
    truth_classes[0, :, 3] = 1
    truth_classes[0, 0, 0] = 2
    image = palette[truth_classes].permute(0, 3, 1, 2)  # (1, 3, 4, 4)
    noisy = (image.to(torch.int16) + 5).clamp(0, 255).to(torch.uint8)
    assert torch.equal(nearest_colour_class(noisy, palette), truth_classes)
    assert mean_iou(truth_classes, truth_classes, 3) == 1.0
    constant = torch.zeros_like(truth_classes)  # the modal class everywhere: 11 of 16 pixels
    assert mean_iou(constant, truth_classes, 3) == pytest.approx((11 / 16) / 3)
    with pytest.raises(ValueError, match="shapes differ"):
        mean_iou(constant[:, :2], truth_classes, 3)
