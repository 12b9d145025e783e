"""Make the embedded MNIST ↔ USPS default under data/raw/digits from the verified originals.

Run once by a maintainer (the product never reads the originals at run time):

    python data/make_embedded_subsets.py --mnist ../shared/data/mnist --usps ../shared/data/usps

Writes, in the originals' own formats so the readers are exercised:
- mnist/train-2000-{images-idx3,labels-idx1}-ubyte.gz — 2,000 training images (IDX, gzip);
- mnist/t10k-*-ubyte.gz — the 10,000-image test set, copied byte for byte;
- usps/zip.train-1800.gz — 1,800 training lines of the ESL text file, verbatim;
- usps/zip.test.gz — the 2,007-image test set, copied byte for byte.
The subsets are `pipeline.data.subset.fixed_seed_subset` with seed 0 (domain a = MNIST,
b = USPS, split train), i.e. exactly what `limit: 2000` / `limit: 1800` select from the full
files. Gzip headers carry no name and mtime 0, so the output is byte-identical on every run.
"""

from __future__ import annotations

import argparse
import gzip
import shutil
from pathlib import Path

from pipeline.data.mnist_idx import IMAGES_MAGIC, LABELS_MAGIC, parse_idx
from pipeline.data.subset import fixed_seed_subset


def gzip_bytes(data: bytes) -> bytes:
    """Deterministic gzip (no file name, mtime 0, level 9)."""
    return gzip.compress(data, compresslevel=9, mtime=0)


def idx_bytes(array, magic: int) -> bytes:
    """uint8 array → IDX bytes (big-endian magic, then one int32 per dimension)."""
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.tobytes()


def make_mnist(src: Path, dst: Path, count: int, seed: int) -> None:
    images = parse_idx((src / "train-images-idx3-ubyte.gz").read_bytes(), "mnist", IMAGES_MAGIC)
    labels = parse_idx((src / "train-labels-idx1-ubyte.gz").read_bytes(), "mnist", LABELS_MAGIC)
    keep = fixed_seed_subset(len(images), count, seed, "a", "train")
    dst.mkdir(parents=True, exist_ok=True)
    (dst / f"train-{count}-images-idx3-ubyte.gz").write_bytes(
        gzip_bytes(idx_bytes(images[keep], IMAGES_MAGIC)))
    (dst / f"train-{count}-labels-idx1-ubyte.gz").write_bytes(
        gzip_bytes(idx_bytes(labels[keep], LABELS_MAGIC)))
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copyfile(src / name, dst / name)


def make_usps(src: Path, dst: Path, count: int, seed: int) -> None:
    lines = gzip.decompress((src / "zip.train.gz").read_bytes()).splitlines(keepends=True)
    lines = [line for line in lines if line.strip()]
    keep = fixed_seed_subset(len(lines), count, seed, "b", "train")
    dst.mkdir(parents=True, exist_ok=True)
    (dst / f"zip.train-{count}.gz").write_bytes(gzip_bytes(b"".join(lines[i] for i in keep)))
    shutil.copyfile(src / "zip.test.gz", dst / "zip.test.gz")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mnist", type=Path, required=True, help="folder with the MNIST .gz files")
    parser.add_argument("--usps", type=Path, required=True, help="folder with zip.train.gz/zip.test.gz")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "raw" / "digits")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mnist-count", type=int, default=2000)
    parser.add_argument("--usps-count", type=int, default=1800)
    args = parser.parse_args()
    make_mnist(args.mnist, args.out / "mnist", args.mnist_count, args.seed)
    make_usps(args.usps, args.out / "usps", args.usps_count, args.seed)
    for path in sorted(args.out.rglob("*.gz")):
        print(f"{path.stat().st_size:>10,}  {path}")


if __name__ == "__main__":
    main()
