"""Stage `prepare`: turn one dataset's raw sources into Parquet shards + manifest.json.

    python -m pipeline.prepare --dataset digits [--params params.yaml] [--output DIR_OR_S3_URI]
    dvc repro prepare@digits            # the same, as the DVC stage (see dvc.yaml)

Exit status 2 with a one-line message naming the file or params key on bad input, and on an
output that holds anything but this dataset's previous output or overlaps its sources (nothing
is deleted that prepare did not write; see docs/data.md, "Output safety").
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from pipeline.data.config import dataset_config
from pipeline.data.write_dataset import prepare_dataset
from pipeline.io.credentials import refuse_credentials
from pipeline.io.os_faults import names_storage_faults
from pipeline.io.params_file import load_run_params, stage_prog
from pipeline.io.storage import check_reachable

log = logging.getLogger("pipeline.prepare")


@names_storage_faults(log)
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=stage_prog("pipeline.prepare"), description="Prepare one dataset's shards (DVC stage)."
    )
    parser.add_argument("--dataset", required=True, help="a key of prepare.datasets")
    parser.add_argument("--params", type=Path, default=Path("params.yaml"))
    parser.add_argument("--output", default=None, help="override the dataset's output path/URI")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument("--preset", action="append", default=[], metavar="FILE",
                        help="partial params file merged over --params (repeatable)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a params value (repeatable)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        params = load_run_params(args.params, args.preset, args.set)
        refuse_credentials({"--output": args.output})
        dataset = dataset_config(params, args.dataset).config
        for uri in (args.output or dataset.output, dataset.shards_uri):
            check_reachable(uri or "")  # an S3 bucket that is not there fails before decoding
        manifest = prepare_dataset(params, args.dataset, args.output,
                                   progress=not args.no_progress)
    except ValueError as err:  # DataError and ConfigError: both name the file or key
        log.error("%s", err)
        return 2
    total = sum(n for splits in manifest.counts.values() for n in splits.values())
    print(f"{args.dataset}: {total} images in {len(manifest.shards)} shard(s) → {manifest.root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
