"""`python -m pipeline.translate` on a tiny seeded MUNIT: `--styles K`, `--style-from`, no flag,
and the same model from the registry."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from pipeline.io.translator_weights import load_translator_weights
from pipeline.tracking import TrackingConfig, TrainingRun, register_model
from tests.fixtures.empty_tracking_db import empty_tracking_db
from tests.pipeline.translate.fixtures import (
    as_chw,
    random_pixels,
    read_png,
    reference,
    run_cli,
    save_model,
    trained,
    write_images,
)
from tests.unit_core.munit.tiny import tiny_munit_config
from unit_core.inputs import to_model_range, to_uint8


@pytest.fixture(scope="module")
def munit_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Grey domain A, RGB domain B, a few training steps so the style MLP matters."""
    trainer = trained(tiny_munit_config(channels_a=1, channels_b=3, seed=5), steps=3)
    return save_model(trainer, tmp_path_factory.mktemp("munit") / "munit.pt")


def _outputs(folder: Path) -> dict[str, np.ndarray]:
    return {p.name: read_png(p.read_bytes())[1] for p in sorted(folder.iterdir())}


def test_styles_k_gives_k_different_outputs_reproducible_by_seed(munit_model, tmp_path, capsys):
    images = write_images(tmp_path / "in", channels=1, count=3)
    args = ["--model", str(munit_model), "--input", str(tmp_path / "in"), "--styles", "3"]
    code, summary = run_cli(capsys, *args, "--seed", "7", "--output", str(tmp_path / "s7"))
    assert code == 0 and summary["family"] == "munit"
    assert summary["translated"] == 3 and summary["outputs_written"] == 9
    outputs = _outputs(tmp_path / "s7")
    assert sorted(outputs) == [f"img{i}_style{k}.png" for i in range(3) for k in range(3)]
    for i in range(3):
        styles = [outputs[f"img{i}_style{k}.png"] for k in range(3)]
        assert all(not np.array_equal(styles[j], styles[k]) for j, k in ((0, 1), (0, 2), (1, 2)))
    # The documented rule: K codes ~ N(0, I) from a CPU generator seeded --seed, shared by inputs.
    translator, cfg = load_translator_weights(munit_model)
    codes = torch.randn(3, cfg.model.style_dim, generator=torch.Generator().manual_seed(7))
    for k in range(3):
        expected = reference(translator, list(images.values()), "a2b", style=codes[k])
        actual = np.stack([outputs[f"img{i}_style{k}.png"] for i in range(3)])
        np.testing.assert_array_equal(actual, expected)
    assert run_cli(capsys, *args, "--seed", "7", "--output", str(tmp_path / "again"))[0] == 0
    again = _outputs(tmp_path / "again")
    assert again.keys() == outputs.keys()
    assert all(np.array_equal(again[n], outputs[n]) for n in outputs)
    assert run_cli(capsys, *args, "--seed", "8", "--output", str(tmp_path / "s8"))[0] == 0
    other = _outputs(tmp_path / "s8")
    assert not any(np.array_equal(other[n], outputs[n]) for n in outputs)


def test_style_from_uses_the_examples_style(munit_model, tmp_path, capsys) -> None:
    images = write_images(tmp_path / "in", channels=1, count=2)
    example = random_pixels(np.random.default_rng(11), 3)  # domain B (the target of a2b): RGB
    Image.fromarray(example).save(tmp_path / "example.png")
    code, summary = run_cli(capsys, "--model", str(munit_model), "--input", str(tmp_path / "in"),
                            "--output", str(tmp_path / "out"),
                            "--style-from", str(tmp_path / "example.png"))  # fmt: skip
    assert code == 0 and summary["outputs_written"] == 2
    translator, _ = load_translator_weights(munit_model)
    style = translator.encode_style(to_model_range(as_chw(example)[None]), "b")
    expected = reference(translator, list(images.values()), "a2b", style=style[0])
    outputs = _outputs(tmp_path / "out")
    np.testing.assert_array_equal(np.stack([outputs["img0.png"], outputs["img1.png"]]), expected)
    without = reference(translator, list(images.values()), "a2b")  # style None: prior mean
    assert not np.array_equal(expected, without)


def test_style_from_needs_a_target_domain_image(munit_model, tmp_path, capsys, caplog) -> None:
    write_images(tmp_path / "in", channels=1, count=1)
    Image.fromarray(random_pixels(np.random.default_rng(1), 1)).save(tmp_path / "grey.png")
    code, _ = run_cli(capsys, "--model", str(munit_model), "--input", str(tmp_path / "in"),
                      "--output", str(tmp_path / "out"),
                      "--style-from", str(tmp_path / "grey.png"))  # fmt: skip
    assert code == 2 and "grey.png" in caplog.text and "takes colour images" in caplog.text
    assert not (tmp_path / "out").exists()


def test_munit_without_style_flags_uses_the_prior_mean(munit_model, tmp_path, capsys) -> None:
    images = write_images(tmp_path / "in", channels=3, count=2, seed=3)
    code, _ = run_cli(capsys, "--model", str(munit_model), "--input", str(tmp_path / "in"),
                      "--output", str(tmp_path / "out"), "--direction", "b2a")  # fmt: skip
    assert code == 0
    translator, _ = load_translator_weights(munit_model)
    expected = reference(translator, list(images.values()), "b2a")
    outputs = _outputs(tmp_path / "out")
    assert sorted(outputs) == ["img0.png", "img1.png"] and outputs["img0.png"].shape == (1, 16, 16)
    np.testing.assert_array_equal(np.stack([outputs["img0.png"], outputs["img1.png"]]), expected)


def test_registry_munit_model_with_styles(munit_model, tmp_path, capsys) -> None:
    uri = empty_tracking_db(tmp_path / "mlflow.db")
    translator, cfg = load_translator_weights(munit_model)
    tracking = TrackingConfig(tracking_uri=uri, experiment="translate-munit")
    with TrainingRun.start(tracking, "munit-run", tracking_uri=uri) as run:
        logged = run.log_translator(translator, cfg)
    register_model(logged, "munit-test", "pixel_accuracy", 0.5, tracking_uri=uri)
    images = write_images(tmp_path / "in", channels=1, count=2)
    code, summary = run_cli(capsys, "--model", "models:/munit-test@champion", "--tracking-uri", uri,
                            "--input", str(tmp_path / "in"), "--output", str(tmp_path / "out"),
                            "--styles", "2")  # fmt: skip
    assert code == 0 and summary["family"] == "munit" and summary["outputs_written"] == 4
    codes = torch.randn(2, cfg.model.style_dim, generator=torch.Generator().manual_seed(0))
    outputs = _outputs(tmp_path / "out")
    expected = reference(translator, list(images.values()), "a2b", style=codes[1])
    np.testing.assert_array_equal(np.stack([outputs["img0_style1.png"], outputs["img1_style1.png"]]),
                                  expected)  # fmt: skip


def test_munit_translates_at_the_inputs_own_size(munit_model, tmp_path, capsys) -> None:
    """The content encoder downsamples by 2**n_downsample = 4: 30x20 pads to 32x20, crops back."""
    pixels = random_pixels(np.random.default_rng(6), 1, size=30)[:20]
    (tmp_path / "in").mkdir()
    Image.fromarray(np.ascontiguousarray(pixels)).save(tmp_path / "in" / "photo.png")
    code, summary = run_cli(capsys, "--model", str(munit_model), "--input", str(tmp_path / "in"),
                            "--output", str(tmp_path / "out"), "--styles", "2")  # fmt: skip
    assert code == 0 and summary["outputs_written"] == 2 and summary["resized"] == 0
    outputs = _outputs(tmp_path / "out")
    translator, cfg = load_translator_weights(munit_model)
    codes = torch.randn(2, cfg.model.style_dim, generator=torch.Generator().manual_seed(0))
    x = torch.nn.functional.pad(to_model_range(as_chw(pixels)[None]), (0, 2, 0, 0), mode="reflect")
    for k in range(2):
        assert outputs[f"photo_style{k}.png"].shape == (3, 20, 30)
        expected = to_uint8(translator.translate(x, "a2b", style=codes[k])[..., :20, :30])
        np.testing.assert_array_equal(outputs[f"photo_style{k}.png"], expected[0].numpy())
