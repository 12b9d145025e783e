"""`python -m pipeline.translate` on tiny seeded UNIT models: local, checkpoint, registry, S3."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from PIL import Image, ImageFile

from pipeline.io import storage
from pipeline.io.checkpoints import STATE_FILE, save_checkpoint
from pipeline.io.translator_weights import load_translator_weights
from pipeline.tasks.adaptation import AdaptationTask
from pipeline.tracking import TrackingConfig, TrainingRun, register_model
from pipeline.translate.images import BadImage, channels_of, decode_image
from tests.fixtures.empty_tracking_db import empty_tracking_db
from tests.pipeline.translate.fixtures import (
    huge_header_png,
    png_bytes,
    random_pixels,
    read_png,
    reference,
    run_cli,
    save_model,
    unit_trainer,  # noqa: F401 (fixture)
    write_images,
)
from tests.unit_core.da.tiny import tiny_da_config
from tests.unit_core.tiny import tiny_config

STYLE_ERROR = "is a UNIT model: it has no style code"


@pytest.fixture(scope="module")
def unit_model(unit_trainer, tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    return save_model(unit_trainer, tmp_path_factory.mktemp("model") / "translator.pt")


def outputs_of(folder: Path) -> dict[str, tuple[str, np.ndarray]]:
    return {p.name: read_png(p.read_bytes()) for p in sorted(folder.iterdir())}


def test_outputs_are_named_sized_and_equal_translate(unit_model: Path, tmp_path: Path, capsys):
    """`--size train`: every output S x S, the 24x24 JPEG resized (native size: test_native_size)."""
    images = write_images(tmp_path / "in", channels=1, count=3)
    big = random_pixels(np.random.default_rng(9), 1, size=24)
    Image.fromarray(big).save(tmp_path / "in" / "Big.JPEG", quality=95)
    (tmp_path / "in" / "notes.txt").write_text("not an image")
    code, summary = run_cli(capsys, "--model", str(unit_model), "--input", str(tmp_path / "in"),
                            "--output", str(tmp_path / "out"), "--size", "train")  # fmt: skip
    assert code == 0 and summary is not None
    assert summary["translated"] == 4 and summary["outputs_written"] == 4
    assert summary["resized"] == 1 and summary["bad_files"] == [] and summary["family"] == "unit"
    outputs = outputs_of(tmp_path / "out")
    assert sorted(outputs) == ["Big.png", "img0.png", "img1.png", "img2.png"]
    assert all(mode == "RGB" and pixels.shape == (3, 16, 16) for mode, pixels in outputs.values())
    # Exactly `translate` of the same pixels (the JPEG as Pillow decodes and resizes it).
    with Image.open(tmp_path / "in" / "Big.JPEG") as jpeg:
        big_seen = np.asarray(jpeg.convert("L").resize((16, 16), Image.Resampling.BILINEAR))
    translator, _ = load_translator_weights(unit_model)
    expected = reference(translator, [big_seen, *images.values()], "a2b")
    actual = np.stack([outputs[n][1] for n in ["Big.png", "img0.png", "img1.png", "img2.png"]])
    np.testing.assert_array_equal(actual, expected)


def test_b2a_in_several_batches_gives_grey_outputs(unit_model: Path, tmp_path: Path, capsys):
    images = write_images(tmp_path / "in", channels=3, count=5, seed=1)
    code, summary = run_cli(capsys, "--model", str(unit_model), "--input", str(tmp_path / "in"),
                            "--output", str(tmp_path / "out"), "--direction", "b2a",
                            "--batch-size", "2")  # fmt: skip
    assert code == 0 and summary["translated"] == 5
    outputs = outputs_of(tmp_path / "out")
    translator, _ = load_translator_weights(unit_model)
    names = sorted(images)
    for start in range(0, 5, 2):  # the CLI's batches: compare batch by batch
        batch = names[start : start + 2]
        expected = reference(translator, [images[n] for n in batch], "b2a")
        for name, pixels in zip(batch, expected, strict=True):
            mode, actual = outputs[name]
            assert mode == "L"
            np.testing.assert_array_equal(actual, pixels)


def test_bad_files_are_skipped_listed_and_exit_1(unit_model: Path, tmp_path: Path, capsys, caplog):
    folder = tmp_path / "in"
    write_images(folder, channels=1, count=4)
    good_png = (folder / "img0.png").read_bytes()
    (folder / "a_corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    (folder / "b_truncated.png").write_bytes(good_png[: len(good_png) // 2])
    (folder / "c_colour.png").write_bytes(png_bytes(random_pixels(np.random.default_rng(2), 3)))
    (folder / "img0.jpg").write_bytes(b"clashes with img0.png")
    code, summary = run_cli(capsys, "--model", str(unit_model), "--input", str(folder),
                            "--output", str(tmp_path / "out"), "--batch-size", "3")  # fmt: skip
    assert code == 1
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [f"img{i}.png" for i in range(4)]
    bad = {b["file"]: b["problem"] for b in summary["bad_files"]}
    assert sorted(bad) == ["a_corrupt.png", "b_truncated.png", "c_colour.png", "img0.jpg"]
    assert "not a readable image" in bad["b_truncated.png"]
    assert "colour image" in bad["c_colour.png"] and "takes grey images" in bad["c_colour.png"]
    assert "already taken by img0.png" in bad["img0.jpg"]
    assert summary["translated"] == 4 and summary["inputs"] == 8
    assert "c_colour.png" in caplog.text and "4 bad input file(s)" in caplog.text


def test_huge_image_is_a_bad_file_found_before_decoding(
    unit_model: Path, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 13000x13000 PNG of a few KB: listed by name, never decoded, the others translated."""
    folder = tmp_path / "in"
    write_images(folder, channels=1, count=2)
    (folder / "huge.png").write_bytes(huge_header_png(13000, 13000))
    assert (folder / "huge.png").stat().st_size < 100_000
    decoded: list[tuple[int, int]] = []
    original_load = ImageFile.ImageFile.load

    def recording_load(image: ImageFile.ImageFile):
        decoded.append(image.size)
        return original_load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", recording_load)
    code, summary = run_cli(capsys, "--model", str(unit_model), "--input", str(folder),
                            "--output", str(tmp_path / "out"))  # fmt: skip
    assert code == 1 and summary["translated"] == 2
    (bad,) = summary["bad_files"]
    assert bad["file"] == "huge.png" and "13000x13000" in bad["problem"]
    assert "too large" in bad["problem"] and "4096x4096" in bad["problem"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["img0.png", "img1.png"]
    assert (13000, 13000) not in decoded and len(decoded) >= 2  # the small ones were decoded


def test_folder_and_broken_link_named_like_images_are_bad_files(unit_model: Path, tmp_path: Path,
                                                                capsys) -> None:
    folder = tmp_path / "in"
    write_images(folder, channels=1, count=2)
    (folder / "x.png").mkdir()
    (folder / "gone.png").symlink_to(tmp_path / "missing.png")
    code, summary = run_cli(capsys, "--model", str(unit_model), "--input", str(folder),
                            "--output", str(tmp_path / "out"))  # fmt: skip
    assert code == 1 and summary["translated"] == 2 and summary["inputs"] == 4
    bad = {b["file"]: b["problem"] for b in summary["bad_files"]}
    assert bad == {"gone.png": "broken symbolic link (its target does not exist)",
                   "x.png": "is a folder, not a file"}


def _da_model(folder: Path) -> Path:
    AdaptationTask(tiny_da_config()).export(folder)
    return next(folder.iterdir())


def _da_checkpoint(folder: Path) -> Path:
    save_checkpoint(folder, AdaptationTask(tiny_da_config()).state_dict(), {"step": 1})
    return folder


def _corrupt_file(folder: Path) -> Path:
    (folder / "translator.pt").write_bytes(b"PK\x03\x04 not really a zip")
    return folder / "translator.pt"


def _unknown_family(folder: Path) -> Path:
    config = tiny_config().to_dict()
    config["model"]["family"] = "stargan"
    torch.save({"format": 1, "unit_config": config, "translator": {}}, folder / "other.pt")
    return folder / "other.pt"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_da_model, "domain-adaptation model"),
        (_da_checkpoint, "domain-adaptation checkpoint"),
        (lambda d: d / "missing.pt", "no such model file"),
        (_corrupt_file, "not a readable"),
        (_unknown_family, "model.family"),
        (lambda d: d, "not a checkpoint"),  # an empty folder
    ],
    ids=["da-model", "da-checkpoint", "missing", "corrupt", "unknown-family", "empty-folder"],
)
def test_bad_model_exits_2_and_writes_nothing(make, message, tmp_path, capsys, caplog) -> None:
    (tmp_path / "model").mkdir()
    model = make(tmp_path / "model")
    write_images(tmp_path / "in", channels=1, count=2)
    code, summary = run_cli(capsys, "--model", str(model), "--input", str(tmp_path / "in"),
                            "--output", str(tmp_path / "out"))  # fmt: skip
    assert code == 2 and summary is None
    assert not (tmp_path / "out").exists()
    assert message in caplog.text and str(model) in caplog.text


@pytest.mark.parametrize("flag", [["--styles", "3"], ["--style-from", "example.png"]])
def test_style_flags_on_unit_are_a_clear_error(flag, unit_model, tmp_path, capsys, caplog):
    code, _ = run_cli(capsys, "--model", str(unit_model), "--input", str(tmp_path / "missing"),
                      "--output", str(tmp_path / "out"), *flag)  # fmt: skip
    assert code == 2 and STYLE_ERROR in caplog.text and flag[0] in caplog.text
    assert not (tmp_path / "out").exists()


def test_empty_input_and_in_place_output_exit_2(unit_model, tmp_path, capsys, caplog):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "readme.md").write_text("no images here")
    args = ["--model", str(unit_model), "--input", str(tmp_path / "in")]
    assert run_cli(capsys, *args, "--output", str(tmp_path / "out"))[0] == 2
    assert "no image files" in caplog.text and str(tmp_path / "in") in caplog.text
    assert run_cli(capsys, *args, "--output", str(tmp_path / "in") + "/")[0] == 2
    assert "must differ from --input" in caplog.text


def test_checkpoint_folder_and_state_file_give_the_weights_file_outputs(
    unit_trainer,  # noqa: F811
    unit_model: Path,
    tmp_path: Path,
    capsys,
) -> None:
    write_images(tmp_path / "in", channels=1, count=3)
    checkpoint = tmp_path / "checkpoint_000002"
    checkpoint.mkdir()
    save_checkpoint(checkpoint, unit_trainer.state_dict(), {"step": 2})
    results = {}
    for model in (unit_model, checkpoint, checkpoint / STATE_FILE):
        out = tmp_path / f"out-{len(results)}"
        code, _ = run_cli(capsys, "--model", str(model), "--input", str(tmp_path / "in"),
                          "--output", str(out))  # fmt: skip
        assert code == 0
        results[str(model)] = {p.name: p.read_bytes() for p in out.iterdir()}
    first, *others = results.values()
    assert len(first) == 3 and all(other == first for other in others)


def test_registry_champion_by_flag_and_by_params(unit_trainer, tmp_path, capsys) -> None:  # noqa: F811
    uri = empty_tracking_db(tmp_path / "mlflow.db")
    cfg = TrackingConfig(tracking_uri=uri, experiment="translate", registered_model="tr-test")
    with TrainingRun.start(cfg, "translate-run", tracking_uri=uri) as run:
        logged = run.log_translator(unit_trainer.translator, unit_trainer.cfg)
    register_model(logged, "tr-test", "pixel_accuracy", 0.5, tracking_uri=uri)
    images = write_images(tmp_path / "in", channels=1, count=2)
    model = ["--model", "models:/tr-test@champion", "--input", str(tmp_path / "in")]
    code, summary = run_cli(capsys, *model, "--output", str(tmp_path / "a"), "--tracking-uri", uri)
    assert code == 0 and summary["translated"] == 2
    expected = reference(unit_trainer.translator, list(images.values()), "a2b")
    np.testing.assert_array_equal(np.stack([p for _, p in outputs_of(tmp_path / "a").values()]),
                                  expected)  # fmt: skip
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump({"tracking": {"tracking_uri": uri}}))
    code, _ = run_cli(capsys, *model, "--output", str(tmp_path / "b"), "--params", str(params))
    assert code == 0
    assert outputs_of(tmp_path / "b").keys() == outputs_of(tmp_path / "a").keys()
    code, _ = run_cli(capsys, "--model", "models:/tr-test@nope", *model[2:],
                      "--output", str(tmp_path / "c"), "--tracking-uri", uri)  # fmt: skip
    assert code == 2 and not (tmp_path / "c").exists()


def test_s3_input_and_output(unit_model: Path, s3_bucket: str, capsys) -> None:
    rng = np.random.default_rng(4)
    images = {f"s3img{i}.png": random_pixels(rng, 1) for i in range(3)}
    for name, pixels in images.items():
        storage.write_bytes_atomic(f"{s3_bucket}/in/{name}", png_bytes(pixels))
    storage.write_bytes_atomic(f"{s3_bucket}/in/manifest.json", b"{}")
    storage.write_bytes_atomic(f"{s3_bucket}/in/sub/deeper.png", png_bytes(images["s3img0.png"]))
    code, summary = run_cli(capsys, "--model", str(unit_model), "--input", f"{s3_bucket}/in/",
                            "--output", f"{s3_bucket}/out")  # fmt: skip
    assert code == 0 and summary["translated"] == 3
    assert storage.list_names(f"{s3_bucket}/out") == sorted(images)
    translator, _ = load_translator_weights(unit_model)
    expected = reference(translator, list(images.values()), "a2b")
    for name, pixels in zip(sorted(images), expected, strict=True):
        mode, actual = read_png(storage.read_bytes(f"{s3_bucket}/out/{name}"))
        assert mode == "RGB"
        np.testing.assert_array_equal(actual, pixels)


def test_unreachable_s3_input_exits_2(unit_model, s3_bucket, tmp_path, capsys, caplog) -> None:
    missing = s3_bucket + "-missing"
    code, _ = run_cli(capsys, "--model", str(unit_model), "--input", f"{missing}/in",
                      "--output", str(tmp_path / "out"))  # fmt: skip
    assert code == 2 and "does not exist" in caplog.text and missing in caplog.text
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("mode", "channels"),
    [("1", 1), ("L", 1), ("LA", 1), ("I;16", 1), ("RGB", 3), ("RGBA", 3), ("CMYK", 3)],
)
def test_channel_rule_by_mode(mode: str, channels: int) -> None:
    assert channels_of(Image.new(mode, (4, 4))) == channels


def test_palette_images_count_by_their_colours() -> None:
    grey = Image.fromarray(np.arange(16, dtype=np.uint8).reshape(4, 4)).convert("P")
    colour = Image.new("RGB", (4, 4), (200, 10, 10)).convert("P")
    assert channels_of(grey) == 1 and channels_of(colour) == 3
    with pytest.raises(BadImage, match="colour image"):
        decode_image(png_bytes(np.full((4, 4, 3), [0, 0, 255], np.uint8)), 1, 4)
