"""The tags that tie an MLflow run to its code, its data, its DVC stage and its checkpoints.

Compute these in the Ray *driver*: it runs in the git checkout (and in DVC's stage
environment), whereas `ray job submit --working-dir` ships the code to workers without `.git`.

The run page's "Source" is MLflow's `mlflow.source.name` / `mlflow.source.type` with the git
commit beside it; a run created through `MlflowClient.create_run` gets none of them unless they
are set here. `dvc.stage` is DVC's own address of the stage when `dvc repro` runs the command
(DVC exports it as `$DVC_STAGE`, e.g. `adapt` or `experiments/dvc.yaml:train@munit`); run by
hand, it is the stage the entry point implements (`train`, `adapt`, `tune trial`).
"""

from __future__ import annotations

import logging
import os
import subprocess
from pathlib import Path

log = logging.getLogger(__name__)

GIT_COMMIT_TAG = "mlflow.source.git.commit"  # MLflow's own key: the UI links it
SOURCE_NAME_TAG = "mlflow.source.name"  # the run page's "Source"
SOURCE_TYPE_TAG = "mlflow.source.type"
DVC_STAGE_TAG = "dvc.stage"
DVC_STAGE_ENV = "DVC_STAGE"  # set by `dvc repro` / `dvc exp run` for every stage command
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


def source_tags(command: str, stage: str) -> dict[str, str]:
    """The run's entry point as MLflow's source and its DVC stage (`$DVC_STAGE` wins).

    command: how the stage is started, e.g. `python -m pipeline.train --section adapt`.
    stage: the stage this entry point implements, used when DVC did not start it.
    """
    return {
        SOURCE_NAME_TAG: command,
        SOURCE_TYPE_TAG: "LOCAL",  # MLflow's SourceType for a script run (not a notebook/job)
        DVC_STAGE_TAG: os.environ.get(DVC_STAGE_ENV) or stage,
    }


def training_tags(
    shard_manifest_sha256: str,
    ray_storage_path: str,
    ray_run_name: str | None = None,
    repo_dir: str | Path | None = None,
    section: str = "train",
) -> dict[str, str]:
    """Tags for `TrainingRun.start` of `python -m pipeline.train --section SECTION`.

    The params section names the DVC stage in ./dvc.yaml (`train`, `adapt`); the git commit is
    left out when it cannot be read.
    """
    tags = {SHARD_MANIFEST_TAG: shard_manifest_sha256, RAY_STORAGE_TAG: str(ray_storage_path)}
    tags.update(source_tags(f"python -m pipeline.train --section {section}", section))
    if ray_run_name:
        tags[RAY_RUN_NAME_TAG] = ray_run_name
    commit = git_commit(repo_dir)
    if commit:
        tags[GIT_COMMIT_TAG] = commit
    return tags
