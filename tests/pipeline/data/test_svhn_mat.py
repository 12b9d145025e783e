"""SVHN .mat reader (own MAT v5 parser): layout, 10 → 0 labels, bad files."""

import numpy as np
import pytest

from pipeline.data.svhn_mat import read_svhn_mat
from pipeline.io.errors import DataError
from tests.pipeline.data.fixture_files import write_svhn_mat


def test_reads_x_and_y_with_ten_meaning_zero(tmp_path):
    path = tmp_path / "train_32x32.mat"
    x, y = write_svhn_mat(path, n=6)
    src = read_svhn_mat(str(path))
    assert src.pixels.shape == (6, 32, 32, 3)
    np.testing.assert_array_equal(src.pixels[4], x[..., 4])
    expected = y[:, 0].astype(int) % 10
    np.testing.assert_array_equal(src.labels, expected)


def test_matches_a_file_written_by_scipy(tmp_path):
    scipy_io = pytest.importorskip("scipy.io")  # optional cross-check with an independent writer
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (32, 32, 3, 5), dtype=np.uint8)
    y = np.array([[10], [1], [2], [9], [10]], dtype=np.uint8)
    path = tmp_path / "test_32x32.mat"
    scipy_io.savemat(path, {"X": x, "y": y}, do_compression=True)
    src = read_svhn_mat(str(path))
    np.testing.assert_array_equal(src.pixels, x.transpose(3, 0, 1, 2))
    assert src.labels.tolist() == [0, 1, 2, 9, 0]


def test_not_a_mat_file(tmp_path):
    path = tmp_path / "junk_32x32.mat"
    path.write_bytes(b"hello" * 40)
    with pytest.raises(DataError, match=r"junk_32x32.mat: not a MATLAB v5 .mat file"):
        read_svhn_mat(str(path))


def test_truncated_mat_file(tmp_path):
    path = tmp_path / "cut_32x32.mat"
    write_svhn_mat(path, n=4)
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(DataError, match=r"cut_32x32.mat: (truncated|corrupt)"):
        read_svhn_mat(str(path))
