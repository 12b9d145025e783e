"""The fixed-seed subset rule shared by `prepare` (`limit:`) and data/make_embedded_subsets.py.

Why shared: the embedded 2,000-image MNIST subset is exactly what `limit: 2000` selects from the
full 60k file with the same seed, so a user pointing params at the full originals reproduces it.
"""

from __future__ import annotations

import numpy as np

DOMAIN_CODES = {"a": 0, "b": 1}
SPLIT_CODES = {"train": 0, "val": 1, "test": 2}


def fixed_seed_subset(count: int, limit: int | None, seed: int, domain: str, split: str) -> np.ndarray:
    """Sorted indices of a `limit`-sized random subset of range(count) (all when limit is None
    or >= count). Depends only on (count, limit, seed, domain, split)."""
    if limit is None or limit >= count:
        return np.arange(count)
    rng = np.random.default_rng([seed, DOMAIN_CODES[domain], SPLIT_CODES[split]])
    return np.sort(rng.choice(count, size=limit, replace=False))
