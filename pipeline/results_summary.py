"""The two numbers per experiment a user wants after `make repro`: method vs its baseline.

`dvc metrics show` prints every metric of every file (two dozen columns that wrap); this prints
one line per experiment found under `evaluate.output_root`: the headline metric, its trivial
baseline and the difference, and, for adaptation, the `oracle_*` figure labelled as such.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

# metrics file's marker key -> (label, method key, baseline key, baseline label)
HEADLINES = {
    "test_pixel_accuracy": (
        "translation a->b, test pixel accuracy",
        "test_pixel_accuracy",
        "test_constant_colour_baseline",
        "constant colour",
    ),
    "test_class_mean_iou": (
        "translation a->b, test class mean IoU",
        "test_class_mean_iou",
        "test_class_mean_iou_best_constant_colour_baseline",
        "best constant colour",
    ),
    "target_accuracy": (
        "adaptation, target test accuracy",
        "target_accuracy",
        "baseline_target_accuracy",
        "source-only",
    ),
}
# The digit translator: one line per score and direction (a = MNIST, b = USPS).
for _direction, _name in (("a2b", "M->U"), ("b2a", "U->M")):
    HEADLINES |= {
        f"{_direction}_pixel_adaptation_accuracy": (
            f"digits {_name}, pixel-level adaptation",
            f"{_direction}_pixel_adaptation_accuracy",
            f"{_direction}_source_only_accuracy",
            "source-only",
        ),
        f"{_direction}_content_kept_accuracy": (
            f"digits {_name}, content kept",
            f"{_direction}_content_kept_accuracy",
            f"{_direction}_content_identity_accuracy",
            "identity",
        ),
        f"{_direction}_looks_like_target_rate": (
            f"digits {_name}, looks like the target",
            f"{_direction}_looks_like_target_rate",
            f"{_direction}_looks_identity_rate",
            "identity",
        ),
    }


def summary_lines(root: Path, names: list[str] | None = None) -> list[str]:
    """One line per `<root>/<output>/metrics.json` with a known headline metric (all outputs,
    or those in `names`)."""
    lines = []
    for path in sorted(root.glob("*/metrics.json")):
        if names and path.parent.name not in names:
            continue
        metrics = json.loads(path.read_text())
        for marker, (label, method, baseline, baseline_label) in HEADLINES.items():
            if marker not in metrics:
                continue
            gain = metrics[method] - metrics[baseline]
            line = (
                f"{path.parent.name:<18} {label}: {metrics[method]:.3f} vs {baseline_label} "
                f"{metrics[baseline]:.3f} ({gain:+.3f})"
            )
            if marker == "test_pixel_accuracy" and "test_best_constant_colour_baseline" in metrics:
                best = metrics["test_best_constant_colour_baseline"]
                line += f"; best constant colour {best:.3f} ({metrics[method] - best:+.3f})"
            if "oracle_target_accuracy" in metrics:
                line += f"; oracle (best on test, paper-style) {metrics['oracle_target_accuracy']:.3f}"
            lines.append(line)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Method vs baseline for each evaluated run.")
    parser.add_argument("--root", type=Path, default=Path("evaluation"))
    parser.add_argument("names", nargs="*", help="evaluated outputs to show (default: all)")
    args = parser.parse_args(argv)
    lines = summary_lines(args.root, args.names)
    if not lines:
        print(f"no evaluated runs under {args.root}/ (run `dvc repro` first)", file=sys.stderr)
        return 1
    print("\n".join(lines))
    print("(all metrics: dvc metrics show)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
