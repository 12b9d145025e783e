"""Model configs take image size and channels from the dataset's manifest."""

from __future__ import annotations

from typing import Any

from unit_core.typed_config import ConfigError


def with_data_shape(
    section: dict[str, Any] | None, image: dict[str, int], prefix: str
) -> dict[str, Any]:
    """A copy of a model params section with `model.image_size/channels_*` from the manifest.

    The manifest is the one source of truth for the data's shape; a value in params that
    disagrees with it is an error rather than a silent resize.
    """
    section = dict(section or {})
    model = dict(section.get("model") or {})
    from_data = {
        "image_size": image["height"],
        "channels_a": image["channels"],
        "channels_b": image["channels"],
    }
    for key, value in from_data.items():
        if key in model and model[key] != value:
            raise ConfigError(
                f"{prefix}model.{key}", f"is {model[key]} but the dataset has {value}"
            )
        model[key] = value
    section["model"] = model
    return section
