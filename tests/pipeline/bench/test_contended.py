"""pipeline.bench.contended: each child benchmark gets the user's flags and its thread policy."""

from __future__ import annotations

from pipeline.bench.contended import child_args, child_env


def test_contended_children_drop_the_orchestration_flags() -> None:
    args = child_args(["--contended", "--rounds", "3", "--family", "da", "--batch", "16"])
    assert args[:4] == ["--family", "da", "--batch", "16"]
    assert "--contended" not in args and "3" not in args and "--no-efficiency" in args
    assert child_env("torch_default").get("OMP_WAIT_POLICY") is None
    assert child_env("given")["OMP_WAIT_POLICY"] in ("PASSIVE", "ACTIVE", "passive", "active")
