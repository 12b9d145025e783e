"""A short hash of the code that shapes a training run, for its Ray run name.

Why: Ray resumes a run whose name and storage path already exist. The name hashes the
config; without the code in it, `dvc repro` after a change to the networks or the loop would
"resume" the finished run of the old code at its last step and record the old model as the
new stage output. Hashing the sources means changed code trains afresh while an interrupted
run of the same code still resumes.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import unit_core

PIPELINE = Path(__file__).resolve().parent
# The model code, the training loop and what feeds it; not logging or CLI plumbing.
SHAPING_SOURCES = (
    (Path(unit_core.__file__).resolve().parent, "*.py"),
    (PIPELINE / "tasks", "*.py"),
    (PIPELINE, "train_loop.py"),
    (PIPELINE / "data", "shard_reader.py"),
)


@functools.cache
def training_code_fingerprint() -> str:
    """sha256 (first 10 hex digits) over the names and bytes of the shaping source files."""
    digest = hashlib.sha256()
    for folder, pattern in SHAPING_SOURCES:
        for path in sorted(folder.glob(pattern)):
            digest.update(f"{folder.name}/{path.name}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]
