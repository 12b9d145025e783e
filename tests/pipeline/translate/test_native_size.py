"""`translate` at the input's own size: padding rules, and the CLI's `--size native|train`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from pipeline.io.translator_weights import load_translator_weights
from pipeline.translate.native_size import downsampling_factor, pad_to_multiple, padded_side
from tests.pipeline.translate.fixtures import (
    as_chw,
    random_pixels,
    read_png,
    run_cli,
    save_model,
    unit_trainer,  # noqa: F401 (fixture)
)
from unit_core.inputs import to_model_range, to_uint8


@pytest.fixture(scope="module")
def unit_model(unit_trainer, tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    """Grey A, RGB B, S = 16, n_downsample 2: native sizes pad to multiples of 4, at least 8."""
    assert downsampling_factor(unit_trainer.cfg.model) == 4
    return save_model(unit_trainer, tmp_path_factory.mktemp("model") / "translator.pt")


def write_sized(folder: Path, channels: int, sizes: dict[str, tuple[int, int]]) -> dict:
    """Random PNGs `name` of W x H `sizes[name]`; returns {name: uint8 (H, W[, 3])}."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(len(sizes))
    images = {}
    for name, (width, height) in sizes.items():
        pixels = random_pixels(rng, channels, size=max(width, height))[:height, :width]
        Image.fromarray(np.ascontiguousarray(pixels)).save(folder / name)
        images[name] = pixels
    return images


def padded_reference(translator, pixels: list[np.ndarray], direction: str, mode: str) -> np.ndarray:
    """uint8 (N, C, H, W): the images padded right and bottom by F.pad in `mode` to
    `padded_side` (f = 4), translated as one batch, cropped to H x W: the documented rule."""
    x = to_model_range(torch.stack([as_chw(p) for p in pixels]))
    height, width = x.shape[-2:]
    pad = (0, padded_side(width, 4) - width, 0, padded_side(height, 4) - height)
    with torch.no_grad():
        y = translator.translate(F.pad(x, pad, mode=mode), direction)
    return to_uint8(y[..., :height, :width]).numpy()


def test_padded_side_is_the_next_multiple_and_at_least_two_factors() -> None:
    assert [padded_side(s, 4) for s in (1, 3, 8, 9, 16, 20, 30)] == [8, 8, 8, 12, 16, 20, 32]
    assert padded_side(300, 4) == 300 and padded_side(201, 4) == 204


def test_pad_reflects_a_long_side_and_replicates_a_short_one() -> None:
    x = torch.arange(2 * 9, dtype=torch.float32).reshape(1, 1, 2, 9)  # H 2 -> 8, W 9 -> 12
    padded = pad_to_multiple(x, 4)
    assert padded.shape == (1, 1, 8, 12)
    assert torch.equal(padded[..., :2, :9], x)  # the image itself sits top-left, untouched
    assert torch.equal(padded[0, 0, 0, 9:], x[0, 0, 0, [7, 6, 5]])  # reflect: 3 < 9
    assert torch.equal(padded[0, 0, 2:, :], padded[0, 0, 1:2, :].expand(6, 12))  # replicate: 6 >= 2


def test_grey_30x20_gives_an_rgb_30x20_translation_of_the_padded_image(
    unit_model: Path, tmp_path: Path, capsys
) -> None:
    images = write_sized(tmp_path / "in", 1, {"photo.png": (30, 20)})
    code, summary = run_cli(capsys, "--model", str(unit_model), "--input", str(tmp_path / "in"),
                            "--output", str(tmp_path / "out"))  # fmt: skip
    assert code == 0 and summary["size"] == "native" and summary["resized"] == 0
    mode, actual = read_png((tmp_path / "out" / "photo.png").read_bytes())
    assert mode == "RGB" and actual.shape == (3, 20, 30)  # W 30 is cropped back from 32
    translator, _ = load_translator_weights(unit_model)
    expected = padded_reference(translator, [images["photo.png"]], "a2b", "reflect")
    np.testing.assert_array_equal(actual, expected[0])


def test_rgb_30x20_b2a_gives_a_grey_30x20(unit_model: Path, tmp_path: Path, capsys) -> None:
    images = write_sized(tmp_path / "in", 3, {"photo.jpg": (30, 20)})
    code, summary = run_cli(capsys, "--model", str(unit_model), "--input", str(tmp_path / "in"),
                            "--output", str(tmp_path / "out"), "--direction", "b2a")  # fmt: skip
    assert code == 0 and summary["translated"] == 1
    mode, actual = read_png((tmp_path / "out" / "photo.png").read_bytes())
    assert mode == "L" and actual.shape == (1, 20, 30)
    with Image.open(tmp_path / "in" / "photo.jpg") as jpeg:  # as Pillow decodes the JPEG
        seen = np.asarray(jpeg.convert("RGB"))
    assert seen.shape == images["photo.jpg"].shape
    translator, _ = load_translator_weights(unit_model)
    np.testing.assert_array_equal(actual, padded_reference(translator, [seen], "b2a", "reflect")[0])


def test_size_train_resizes_to_s_by_s(unit_model: Path, tmp_path: Path, capsys) -> None:
    write_sized(tmp_path / "in", 1, {"a.png": (30, 20), "b.png": (16, 16)})
    code, summary = run_cli(capsys, "--model", str(unit_model), "--input", str(tmp_path / "in"),
                            "--output", str(tmp_path / "out"), "--size", "train")  # fmt: skip
    assert code == 0 and summary["size"] == "train"
    assert summary["translated"] == 2 and summary["resized"] == 1  # b.png is already 16x16
    for name in ("a.png", "b.png"):
        assert read_png((tmp_path / "out" / name).read_bytes())[1].shape == (3, 16, 16)


def test_mixed_sizes_in_one_folder_each_come_out_at_their_own_size(
    unit_model: Path, tmp_path: Path, capsys
) -> None:
    sizes = {"wide.png": (30, 20), "wide2.png": (30, 20), "square.png": (16, 16),
             "odd.png": (13, 7), "tiny.png": (3, 3), "line.png": (1, 5)}  # fmt: skip
    images = write_sized(tmp_path / "in", 1, sizes)
    (tmp_path / "in" / "bad.png").write_bytes(b"not a png")
    code, summary = run_cli(capsys, "--model", str(unit_model), "--input", str(tmp_path / "in"),
                            "--output", str(tmp_path / "out"), "--batch-size", "4")  # fmt: skip
    assert code == 1 and summary["inputs"] == 7 and summary["translated"] == 6
    assert summary["outputs_written"] == 6 and summary["resized"] == 0
    assert [b["file"] for b in summary["bad_files"]] == ["bad.png"]
    outputs = {p.name: read_png(p.read_bytes())[1] for p in (tmp_path / "out").iterdir()}
    assert sorted(outputs) == sorted(sizes)
    for name, (width, height) in sizes.items():
        assert outputs[name].shape == (3, height, width), name
    translator, _ = load_translator_weights(unit_model)
    # Same size, same file batch: one forward pass (32x20 = 640 px <= 4 x 16 x 16).
    wide = padded_reference(translator, [images["wide.png"], images["wide2.png"]], "a2b", "reflect")
    np.testing.assert_array_equal(np.stack([outputs["wide.png"], outputs["wide2.png"]]), wide)
    for name, mode in (("odd.png", "reflect"), ("tiny.png", "replicate")):
        expected = padded_reference(translator, [images[name]], "a2b", mode)
        np.testing.assert_array_equal(outputs[name], expected[0])
