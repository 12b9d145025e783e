"""Channel conversion and resizing rules."""

import numpy as np
import pytest

from pipeline.data.preprocess import convert_channels, resize_square, to_chw
from pipeline.io.errors import DataError


def test_grey_to_rgb_replicates_and_rgb_to_grey_is_luma():
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4, 1)
    assert (convert_channels(grey, 3, "g") == grey).all()
    red = np.zeros((2, 2, 3), np.uint8)
    red[..., 0] = 255
    assert convert_channels(red, 1, "r")[0, 0, 0] == 76  # 0.299 * 255


def test_transparent_rgba_cannot_become_grey():
    rgba = np.full((2, 2, 4), 200, np.uint8)
    rgba[0, 0, 3] = 0
    with pytest.raises(DataError, match=r"logo.png: has transparent pixels"):
        convert_channels(rgba, 1, "logo.png")
    rgba[..., 3] = 255
    assert convert_channels(rgba, 3, "ok").shape == (2, 2, 3)


def test_center_crop_and_stretch_give_square_chw():
    wide = np.zeros((10, 30, 3), np.uint8)
    wide[:, 10:20] = 255  # the central third is white
    cropped = resize_square(wide, 8, "center_crop")
    assert cropped.shape == (8, 8, 3) and cropped.min() > 200
    stretched = to_chw(wide, 3, 8, "stretch", "w")
    assert stretched.shape == (3, 8, 8) and stretched.min() == 0
