"""pix2pix side-by-side pairs: halves become domains a/b with a shared pair id."""

import numpy as np
import pytest

from pipeline.data.pix2pix_pairs import read_pix2pix_pairs
from pipeline.io.errors import DataError
from tests.pipeline.data.fixture_files import write_images


def test_splits_halves_and_keeps_pair_ids(tmp_path):
    write_images(tmp_path / "train", 3, size=(24, 12))
    pairs = read_pix2pix_pairs(str(tmp_path / "train"))
    a, b = pairs[2]
    assert a.pixels.shape == b.pixels.shape == (12, 12, 3)
    assert a.pair_id == b.pair_id == 2
    swapped_a, swapped_b = read_pix2pix_pairs(str(tmp_path / "train"), a_side="right")[2]
    np.testing.assert_array_equal(swapped_a.pixels, b.pixels)
    np.testing.assert_array_equal(swapped_b.pixels, a.pixels)


def test_odd_width_is_an_error_naming_the_file(tmp_path):
    write_images(tmp_path / "val", 1, size=(25, 12))
    pairs = read_pix2pix_pairs(str(tmp_path / "val"))
    with pytest.raises(DataError, match=r"img_000.png: width 25 is odd"):
        pairs[0]
