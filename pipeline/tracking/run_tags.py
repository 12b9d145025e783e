"""The tags that tie an MLflow run to its code, its data and its checkpoints.

Compute these in the Ray *driver*: it runs in the git checkout, whereas `ray job submit
--working-dir` ships the code to workers without `.git`.
"""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

log = logging.getLogger(__name__)

GIT_COMMIT_TAG = "mlflow.source.git.commit"  # MLflow's own key: the UI links it
SHARD_MANIFEST_TAG = "unit.shard_manifest_sha256"
RAY_STORAGE_TAG = "unit.ray_storage_path"
RAY_RUN_NAME_TAG = "unit.ray_run_name"


def git_commit(repo_dir: str | Path | None = None) -> str | None:
    """`git rev-parse HEAD` in `repo_dir` (default cwd), or None outside a checkout / without git."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=repo_dir,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as err:
        log.debug("no git commit: %s", err)
        return None
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and commit else None


def training_tags(
    shard_manifest_sha256: str,
    ray_storage_path: str,
    ray_run_name: str | None = None,
    repo_dir: str | Path | None = None,
) -> dict[str, str]:
    """Tags for `TrainingRun.start`; the git commit is left out when it cannot be read."""
    tags = {SHARD_MANIFEST_TAG: shard_manifest_sha256, RAY_STORAGE_TAG: str(ray_storage_path)}
    if ray_run_name:
        tags[RAY_RUN_NAME_TAG] = ray_run_name
    commit = git_commit(repo_dir)
    if commit:
        tags[GIT_COMMIT_TAG] = commit
    return tags
