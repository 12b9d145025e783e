"""`unit-pipeline STAGE [ARGS...]`: one command for the stages, each the same as its module.

    unit-pipeline prepare --dataset aerial_maps      # = python -m pipeline.prepare --dataset …
    unit-pipeline train --set train.steps=50         # = python -m pipeline.train …
    unit-pipeline evaluate | tune | translate … --help

The arguments after STAGE go to that stage's own `main` unchanged (same flags, same exit codes).
"""

from __future__ import annotations

import importlib
import sys

# stage -> the module whose `main(argv)` `python -m` runs
COMMANDS = {
    "prepare": "pipeline.prepare.__main__",
    "train": "pipeline.train.__main__",
    "evaluate": "pipeline.evaluate.__main__",
    "tune": "pipeline.tune.__main__",
    "translate": "pipeline.translate.__main__",
}
USAGE = f"usage: unit-pipeline {{{','.join(COMMANDS)}}} [ARGS...]   (unit-pipeline STAGE --help)"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        print(USAGE, file=sys.stderr)
        return 2
    if argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0
    stage, rest = argv[0], argv[1:]
    if stage not in COMMANDS:
        print(f"{USAGE}\nunit-pipeline: unknown stage {stage!r}", file=sys.stderr)
        return 2
    sys.argv[0] = f"unit-pipeline {stage}"  # argparse's prog: usage lines show the real command
    return importlib.import_module(COMMANDS[stage]).main(rest)


if __name__ == "__main__":
    sys.exit(main())
