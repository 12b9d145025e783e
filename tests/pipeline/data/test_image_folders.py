"""Unpaired image folders: sorted listing, strict decoding, clear errors naming the file."""

import numpy as np
import pytest
from PIL import Image

from pipeline.data.image_decode import decode_image
from pipeline.data.image_folders import read_image_folder
from pipeline.io.errors import DataError
from tests.pipeline.data.fixture_files import write_bomb_png, write_images


def test_reads_sorted_images_of_any_size_and_ignores_other_files(tmp_path):
    write_images(tmp_path / "trainA", 3, size=(20, 14))
    (tmp_path / "trainA" / "README.txt").write_text("not an image")
    src = read_image_folder(str(tmp_path / "trainA"))
    assert len(src) == 3
    item = src[1]
    assert item.pixels.shape == (14, 20, 3) and item.label is None
    assert item.source == "trainA/img_001.png"


def test_jpeg_and_grey(tmp_path):
    write_images(tmp_path / "g", 2, mode="L", suffix=".jpg")
    assert read_image_folder(str(tmp_path / "g"))[0].pixels.shape == (14, 20, 1)


def test_empty_domain_folder(tmp_path):
    (tmp_path / "trainB").mkdir()
    with pytest.raises(DataError, match=r"trainB: no image files found"):
        read_image_folder(str(tmp_path / "trainB"))


def test_truncated_image_names_file(tmp_path):
    paths = write_images(tmp_path / "trainA", 2, size=(64, 64))
    paths[1].write_bytes(paths[1].read_bytes()[:200])
    src = read_image_folder(str(tmp_path / "trainA"))
    with pytest.raises(DataError, match=r"img_001.png: not a readable image or truncated"):
        src[1]


def test_non_image_file_with_image_suffix(tmp_path):
    folder = tmp_path / "testA"
    folder.mkdir()
    (folder / "notes.png").write_text("this is text, not a PNG")
    with pytest.raises(DataError, match=r"notes.png: not a readable image"):
        read_image_folder(str(folder))[0]


def test_sixteen_bit_grey_is_scaled_to_eight_bits(tmp_path):
    path = tmp_path / "deep.png"
    Image.fromarray(np.array([[0, 257, 40000, 65535]], np.uint16)).save(path)  # mode I;16
    pixels = decode_image(path.read_bytes(), str(path))
    assert pixels.dtype == np.uint8 and pixels[..., 0].tolist() == [[0, 1, 156, 255]]  # v >> 8


def test_float_image_is_refused(tmp_path):
    path = tmp_path / "float.tif"
    Image.fromarray(np.full((4, 4), 0.5, np.float32)).save(path)  # mode F: no known range
    with pytest.raises(DataError, match=r"float.tif: unsupported image mode F"):
        decode_image(path.read_bytes(), str(path))


def test_decompression_bomb_names_the_file(tmp_path):
    path = write_bomb_png(tmp_path / "bomb.png")
    assert path.stat().st_size < 100
    with pytest.raises(DataError, match=r"bomb.png: image too large to decode safely"):
        decode_image(path.read_bytes(), str(path))


def test_unidentifiable_file_message_holds_no_object_repr(tmp_path):
    with pytest.raises(DataError) as caught:
        decode_image(b"plain text", "notes.png")
    assert " at 0x" not in str(caught.value) and "<" not in str(caught.value)


def test_folder_and_broken_link_named_like_images_are_listed_and_fail_by_name(tmp_path, caplog):
    folder = tmp_path / "trainA"
    write_images(folder, 1)
    (folder / "x.png").mkdir()
    (folder / "gone.png").symlink_to(tmp_path / "missing.png")
    (folder / "sub").mkdir()
    src = read_image_folder(str(folder))
    assert len(src) == 3  # gone.png, img_000.png, x.png
    with pytest.raises(DataError, match=r"gone.png: broken symbolic link"):
        src[0]
    with pytest.raises(DataError, match=r"x.png: is a folder, not a file"):
        src[2]
    assert "sub" in caplog.text  # a folder not named like an image is ignored, but logged
