"""A scratch copy of the project for tests that run real `dvc` commands.

Holds the code, dvc.yaml and a params.yaml whose only dataset is a tiny procedural aerial↔map
set, so `dvc repro prepare@aerial_maps` takes seconds. The other params sections stay:
dvc.yaml's later stages template from them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def scratch_project(work: Path) -> None:
    """Fill `work` (an existing folder) with the project's code, dvc.yaml and tiny params."""
    for name in ("pipeline", "unit_core"):
        shutil.copytree(REPO / name, work / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "dvc.yaml", work / "dvc.yaml")
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    maps = params["prepare"]["datasets"]["aerial_maps"]
    maps["image_size"] = 16
    maps["pairs"]["splits"] = {"train": {"count": 4}, "test": {"count": 2}}
    params["prepare"] = {"datasets": {"aerial_maps": maps}}
    (work / "params.yaml").write_text(yaml.safe_dump(params))
