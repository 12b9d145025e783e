"""The params section a study loop trains with: params.yaml's section, its seed, `--set` overrides.

Not a study: the section builder that every study loop here shares.

Unlike the stages' `--set` (`pipeline.io.params_file.apply_overrides`), a study may set keys that
params.yaml leaves to the dataclass defaults (e.g. `loss.translated_classification` of `da:`);
the typed config built from the section still rejects unknown keys.
"""

from pathlib import Path
from typing import Any

import yaml

from unit_core.speed_options import ResolvedSpeed, SpeedSettings, resolve_speed

REPO = Path(__file__).resolve().parents[2]


def study_section(name: str, seed: int, overrides: list[str]) -> dict[str, Any]:
    """params.yaml's `name:` section with `seed` and each `dotted.key=yaml-value` applied."""
    section = yaml.safe_load((REPO / "params.yaml").read_text())[name]
    section["seed"] = seed
    for item in overrides:
        dotted, value = item.split("=", 1)
        *parents, last = dotted.split(".")
        node = section
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = yaml.safe_load(value)
    return section


def study_speed(bf16: bool) -> ResolvedSpeed:
    """The CPU speed of a study loop's `--bf16` flag: bf16 + channels_last, else fp32 (explicit,
    not `auto`, so a study's figures do not depend on the CPU's bf16 support), resolved by the
    stages' own `resolve_speed`."""
    settings = SpeedSettings(
        precision="bf16" if bf16 else "fp32",
        memory_format="channels_last" if bf16 else "contiguous",
        compile="false",
    )
    return resolve_speed(settings, "cpu")
