import pytest
import torch

from pipeline.tasks.translation_eval import best_constant_colour
from unit_core.metrics import pixel_accuracy

BACKGROUND, ROAD, WATER = (238, 234, 226), (255, 255, 255), (156, 192, 249)


def _score(colour: torch.Tensor, colours: torch.Tensor, counts: torch.Tensor) -> float:
    pixels = torch.repeat_interleave(colours, counts, dim=0).T.reshape(1, 3, 1, -1)
    return pixel_accuracy(colour.view(1, 3, 1, 1).expand_as(pixels).contiguous(), pixels, 16)


def test_best_constant_colour_covers_two_close_colours_the_modal_one_misses():
    colours = torch.tensor([BACKGROUND, ROAD, WATER], dtype=torch.uint8)
    counts = torch.tensor([70, 20, 10])
    best = best_constant_colour(colours, counts, 16)
    assert _score(best, colours, counts) == pytest.approx(0.9)  # background and roads, not water
    assert _score(colours[0], colours, counts) == pytest.approx(0.7)  # the modal colour alone


def test_best_constant_colour_is_the_modal_one_when_colours_are_far_apart():
    colours = torch.tensor([(0, 0, 0), (255, 255, 255)], dtype=torch.uint8)
    best = best_constant_colour(colours, torch.tensor([3, 7]), 16)
    assert _score(best, colours, torch.tensor([3, 7])) == pytest.approx(0.7)


@pytest.mark.parametrize("channels", [1, 3])
def test_distinct_colours_match_the_row_unique(channels):
    from pipeline.tasks.translation_eval import distinct_colours

    images = torch.randint(0, 256, (5, channels, 7, 9), generator=torch.Generator().manual_seed(0),
                           dtype=torch.uint8)  # fmt: skip
    images[:, :, :3] = 200  # a repeated colour, so counts differ
    colours, counts = distinct_colours(images)
    pixels = images.permute(0, 2, 3, 1).reshape(-1, channels)
    expected_colours, expected_counts = pixels.unique(dim=0, return_counts=True)
    assert torch.equal(colours, expected_colours) and torch.equal(counts, expected_counts)
    assert colours.dtype == torch.uint8 and int(counts.sum()) == 5 * 7 * 9


def test_colour_baselines_read_the_train_maps_once_and_score_each_split(monkeypatch):
    import pipeline.tasks.translation_eval as translation_eval

    train = torch.tensor([BACKGROUND] * 7 + [ROAD] * 2 + [WATER], dtype=torch.uint8)
    reads = []

    def load_split(manifest, domain, split):
        reads.append((domain, split))
        return type("Split", (), {"images": train.T.reshape(1, 3, 1, 10)})()

    monkeypatch.setattr(translation_eval, "load_split", load_split)
    val = torch.tensor([BACKGROUND, ROAD], dtype=torch.uint8).T.reshape(1, 3, 1, 2)
    test = torch.tensor([WATER, BACKGROUND, BACKGROUND, ROAD], dtype=torch.uint8).T.reshape(1, 3, 1, 4)
    scores = translation_eval.colour_baselines(None, {"val": val, "test": test}, "b")
    assert reads == [("b", "train")]
    assert scores == pytest.approx(
        {
            "val_constant_colour_baseline": 0.5,  # the modal train colour: background
            "val_best_constant_colour_baseline": 1.0,  # a grey within 16 of background and roads
            "test_constant_colour_baseline": 0.5,
            "test_best_constant_colour_baseline": 0.75,
        }
    )


def test_class_scores_the_light_grey_that_passes_pixel_accuracy_does_not_pass_mean_iou():
    """One light grey is within 16 of background and roads (pixel accuracy 0.9 below); the
    class-aware score gives it the background's IoU over three classes."""
    from pipeline.tasks.translation_eval import class_scores

    palette = torch.tensor([BACKGROUND, ROAD, WATER], dtype=torch.uint8)
    classes = torch.zeros(1, 10, 10, dtype=torch.long)
    classes[0, :2] = 1  # 20 road pixels
    classes[0, 2] = 2  # 10 water pixels
    target = palette[classes].permute(0, 3, 1, 2).contiguous()
    grey = torch.tensor([247, 245, 240], dtype=torch.uint8).view(1, 3, 1, 1).expand_as(target)
    assert pixel_accuracy(grey.contiguous(), target, 16) == pytest.approx(0.9)
    scores = class_scores(grey.contiguous(), target, palette, "test")
    assert scores["test_class_mean_iou"] <= 0.7 / 3 + 1e-6
    assert scores["test_class_mean_iou_best_constant_colour_baseline"] == pytest.approx(0.7 / 3)
    assert class_scores(target, target, palette, "test")["test_class_mean_iou"] == 1.0
