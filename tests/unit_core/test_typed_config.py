"""unit_core.typed_config: the one strict `from_dict` / `to_dict` every config class inherits."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import ClassVar, Literal

import pytest

from unit_core.typed_config import ConfigError, TypedConfig, require


@dataclass(frozen=True)
class Inner(TypedConfig):
    rate: float = 0.5
    kind: Literal["a", "b"] = "a"

    def validate(self, prefix: str = "") -> None:
        require(0 <= self.rate < 1, prefix + "rate", f"must be in [0, 1), got {self.rate}")


@dataclass(frozen=True)
class Section(TypedConfig):
    default_prefix: ClassVar[str] = "section."

    steps: int = 3
    sizes: tuple[int, ...] = (1, 2)
    inner: Inner = field(default_factory=Inner)


def test_default_prefix_is_a_class_constant_not_a_key():
    assert [f.name for f in dataclasses.fields(Section)] == ["steps", "sizes", "inner"]
    assert "default_prefix" not in Section().to_dict()


def test_round_trips_nested_sections_through_a_plain_dict():
    cfg = Section.from_dict({"steps": 5, "sizes": [4], "inner": {"rate": "1e-1", "kind": "b"}})
    assert cfg == Section(steps=5, sizes=(4,), inner=Inner(rate=0.1, kind="b"))
    assert cfg.to_dict() == {"steps": 5, "sizes": (4,), "inner": {"rate": 0.1, "kind": "b"}}
    assert Section.from_dict(cfg.to_dict()) == cfg
    assert Section.from_dict(None) == Section()


@pytest.mark.parametrize(
    "data, prefix, key",
    [
        ({"stpes": 1}, None, "section.stpes"),  # unknown key, under the default prefix
        ({"stpes": 1}, "run.", "run.stpes"),  # an explicit prefix wins
        ({"steps": True}, None, "section.steps"),  # a bool is not an int
        ({"sizes": 3}, None, "section.sizes"),
        ({"inner": {"kind": "c"}}, None, "section.inner.kind"),
        ({"inner": {"rate": 1.0}}, None, "section.inner.rate"),  # the class's validate hook
        ({"inner": []}, None, "section.inner"),
    ],
)
def test_errors_name_the_dotted_key(data, prefix, key):
    with pytest.raises(ConfigError) as err:
        Section.from_dict(data, prefix)
    assert err.value.key == key


def test_a_nested_section_builds_alone_under_its_own_prefix():
    assert Inner.from_dict({"rate": 0}) == Inner(rate=0.0)
    with pytest.raises(ConfigError, match="'x.rate'"):
        Inner.from_dict({"rate": 2}, "x.")
