"""A short hash of the code that shapes a training run, for its Ray run name.

Why: Ray resumes a run whose name and storage path already exist. The name hashes the
config; without the code in it, `dvc repro` after a change to the networks or the loop would
"resume" the finished run of the old code at its last step and record the old model as the
new stage output. Hashing the sources means changed code trains afresh while an interrupted
run of the same code still resumes.

The sources are not a hand-kept list: they are every project module the worker's training loop
imports, transitively (`pipeline.io.code_imports`), so a new module the loop starts to use is
hashed without anyone remembering to add it. That includes the loop's MLflow logging code: a
change there also trains afresh (safe, if sometimes more than needed).
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from pipeline.io.code_imports import ROOT, project_imports

# What every Ray Train worker runs: the model code, the training loop and what feeds it.
TRAINING_ENTRY = "pipeline.train.loop"


def shaping_sources() -> list[Path]:
    """The source files hashed into the fingerprint, sorted by module name."""
    return list(project_imports(TRAINING_ENTRY).values())


@functools.cache
def training_code_fingerprint() -> str:
    """sha256 (first 10 hex digits) over the paths and bytes of the shaping source files."""
    digest = hashlib.sha256()
    for path in shaping_sources():
        digest.update(f"{path.relative_to(ROOT).as_posix()}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]
