"""USPS ESL text reader: value mapping, labels, and malformed lines named with file and line."""

import gzip

import numpy as np
import pytest

from pipeline.data.usps_text import parse_usps_text, read_usps_text
from pipeline.io.errors import DataError
from tests.pipeline.data.fixture_files import write_usps


def test_reads_images_and_labels(tmp_path):
    src = read_usps_text(str(write_usps(tmp_path / "zip.train.gz", n=7)))
    assert len(src) == 7
    assert src.pixels.shape == (7, 16, 16, 1) and src.pixels.dtype == np.uint8
    assert set(src.labels.tolist()) <= set(range(10))


def test_minus_one_is_dark_background_plus_one_is_ink():
    line = "3.0000 " + " ".join(["-1"] * 255 + ["1"])
    src = parse_usps_text(line.encode(), "t.txt")
    assert src.pixels[0, 0, 0, 0] == 0 and src.pixels[0, 15, 15, 0] == 255
    assert src[0].label == 3


def test_label_outside_0_9(tmp_path):
    path = write_usps(tmp_path / "zip.bad.gz", n=5, bad_label=12)
    with pytest.raises(DataError, match=r"zip.bad.gz: label 12 at row 4 is outside 0..9"):
        read_usps_text(str(path))


def test_wrong_value_count_names_line(tmp_path):
    path = tmp_path / "zip.short.gz"
    path.write_bytes(gzip.compress(b"1 " + b"0 " * 256 + b"\n2 0 0\n"))
    with pytest.raises(DataError, match=r"zip.short.gz: line 2: 3 values, expected 257"):
        read_usps_text(str(path))
