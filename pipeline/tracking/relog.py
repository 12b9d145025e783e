"""Re-log what a run could not deliver to MLflow (a `*.mlflow-missing-<run_id>.json` file).

    python -m pipeline.tracking.relog outputs/translation.mlflow-missing-<run_id>.json
    python -m pipeline.tracking.relog FILE --tracking-uri http://127.0.0.1:5000

The tracking URI defaults to $MLFLOW_TRACKING_URI, then the one in the file (written redacted:
give it again where it carried credentials). Metric points keep their step and timestamp, so
a point the server already has is skipped by the store, never doubled; tags are overwritten
with the same values. Images are logged again (MLflow cannot tell an image it already has).
On success the file is renamed to `<file>.relogged` so it is not sent twice; exit 1 otherwise.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from mlflow.entities import Metric, RunStatus, RunTag
from mlflow.tracking import MlflowClient
from PIL import Image

from pipeline.tracking.missing_records import read_missing_records
from pipeline.tracking.record_buffer import BATCH_LIMIT

log = logging.getLogger("pipeline.tracking")


def relog(path: Path, tracking_uri: str) -> dict[str, int]:
    """Log every record of the file at `path` to its run at `tracking_uri`; the counts logged."""
    content = read_missing_records(path)
    run_id = content["run_id"]
    client = MlflowClient(tracking_uri)
    client.get_run(run_id)  # an unknown run fails here, before anything is logged
    metrics = [Metric(**entry) for entry in content["metrics"]]
    for i in range(0, len(metrics), BATCH_LIMIT):
        client.log_batch(run_id, metrics=metrics[i : i + BATCH_LIMIT])
    tags = [RunTag(k, v) for k, v in content["tags"].items()]
    for i in range(0, len(tags), BATCH_LIMIT):
        client.log_batch(run_id, tags=tags[i : i + BATCH_LIMIT])
    for entry in content["images"]:
        with Image.open(path.parent / entry["file"]) as image:
            client.log_image(
                run_id, image.copy(), key=entry["key"], step=entry["step"],
                timestamp=entry["timestamp"], synchronous=True,
            )  # fmt: skip
    if content.get("status"):
        client.set_terminated(run_id, RunStatus.to_string(RunStatus.from_string(content["status"])))
    return {"metrics": len(metrics), "tags": len(tags), "images": len(content["images"])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.tracking.relog", description=__doc__.split("\n")[0]
    )
    parser.add_argument("file", type=Path)
    parser.add_argument("--tracking-uri", default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    uri = args.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI")
    try:
        uri = uri or read_missing_records(args.file)["tracking_uri"]
        counts = relog(args.file, uri)
    except Exception as err:  # noqa: BLE001 — one line for the person who ran it
        log.error("%s: could not re-log (%s: %s); the file is kept", args.file,
                  type(err).__name__, err)  # fmt: skip
        return 1
    args.file.rename(args.file.with_name(args.file.name + ".relogged"))
    log.info("re-logged %s to %s; file renamed to *.relogged", counts, uri)
    return 0


if __name__ == "__main__":
    sys.exit(main())
