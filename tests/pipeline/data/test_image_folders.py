"""Unpaired image folders: sorted listing, strict decoding, clear errors naming the file."""

import numpy as np
import pytest
from PIL import Image

from pipeline.data.errors import DataError
from pipeline.data.image_decode import decode_image
from pipeline.data.image_folders import read_image_folder
from tests.pipeline.data.fixture_files import write_images


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


def test_sixteen_bit_image_is_refused(tmp_path):
    path = tmp_path / "deep.png"
    Image.fromarray(np.full((4, 4), 40000, np.uint16)).save(path)
    with pytest.raises(DataError, match=r"deep.png: unsupported image mode"):
        decode_image(path.read_bytes(), str(path))
