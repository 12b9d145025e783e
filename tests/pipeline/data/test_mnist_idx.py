"""MNIST IDX reader: shapes, gzip detection, and every header problem named with its file."""

import numpy as np
import pytest

from pipeline.data.mnist_idx import read_mnist_idx
from pipeline.io.errors import DataError
from tests.pipeline.data.fixture_files import digits_arrays, write_idx, write_mnist


def test_reads_gzipped_and_plain_idx(tmp_path):
    images, labels = digits_arrays(5, 28)
    img_gz = write_idx(tmp_path / "a-idx3-ubyte.gz", images, 2051)
    lbl_plain = write_idx(tmp_path / "a-idx1-ubyte", labels.astype(np.uint8), 2049, compress=False)
    src = read_mnist_idx(str(img_gz), str(lbl_plain))
    assert len(src) == 5
    assert src.pixels.shape == (5, 28, 28, 1) and src.pixels.dtype == np.uint8
    np.testing.assert_array_equal(src.pixels[..., 0], images)
    assert src[3].label == labels[3] and src[3].source.endswith("#3")


def test_wrong_magic_names_file(tmp_path):
    images, _ = digits_arrays(3, 28)
    bad = write_idx(tmp_path / "x-idx3-ubyte.gz", images, 2049)  # labels magic on images
    with pytest.raises(DataError, match=r"x-idx3-ubyte.gz: wrong IDX magic number 2049"):
        read_mnist_idx(str(bad), None)


def test_header_count_disagrees_with_data(tmp_path):
    images, _ = digits_arrays(4, 28)
    path = write_idx(tmp_path / "short-idx3-ubyte", images, 2051, compress=False)
    path.write_bytes(path.read_bytes()[:-100])  # truncated body
    with pytest.raises(DataError, match=r"short-idx3-ubyte: IDX header says 4 items"):
        read_mnist_idx(str(path), None)


def test_label_count_mismatch(tmp_path):
    images, labels = digits_arrays(4, 28)
    img = write_idx(tmp_path / "i-idx3-ubyte.gz", images, 2051)
    lbl = write_idx(tmp_path / "l-idx1-ubyte.gz", labels[:3].astype(np.uint8), 2049)
    with pytest.raises(DataError, match=r"l-idx1-ubyte.gz: wrong count: 3 labels for 4 images"):
        read_mnist_idx(str(img), str(lbl))


def test_label_outside_0_9(tmp_path):
    img, _ = write_mnist(tmp_path, n=4)
    labels = np.array([1, 2, 11, 3], np.uint8)
    lbl = write_idx(tmp_path / "bad-idx1-ubyte.gz", labels, 2049)
    with pytest.raises(DataError, match=r"bad-idx1-ubyte.gz: label 11 at row 2 is outside 0..9"):
        read_mnist_idx(str(img), str(lbl))


def test_truncated_gzip(tmp_path):
    img, _ = write_mnist(tmp_path, n=4)
    img.write_bytes(img.read_bytes()[:40])
    with pytest.raises(DataError, match=r"corrupt or truncated gzip"):
        read_mnist_idx(str(img), None)


def test_missing_file_names_path(tmp_path):
    with pytest.raises(DataError, match=r"nope-idx3-ubyte.gz: cannot read file"):
        read_mnist_idx(str(tmp_path / "nope-idx3-ubyte.gz"), None)
