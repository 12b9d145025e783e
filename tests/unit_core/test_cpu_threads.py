"""unit_core.cpu_threads: threads follow the CPUs given (Ray share, else affinity)."""

from __future__ import annotations

import pytest
import torch

from unit_core.cpu_threads import apply_cpu_threads, cpus_given, prepare_thread_env


def test_ray_share_wins_over_affinity_and_rounds_down() -> None:
    assert cpus_given(1.0, affinity={0, 1, 2, 3}) == 1
    assert cpus_given(2.7, affinity={0}) == 2
    assert cpus_given(0.5, affinity={0, 1}) == 1  # a fractional share still runs one thread


def test_without_a_ray_share_the_affinity_counts() -> None:
    assert cpus_given(None, affinity={3, 5}) == 2
    assert cpus_given(None, affinity=set()) == 1


def test_a_non_positive_share_is_an_error() -> None:
    with pytest.raises(ValueError, match="cpus_per_worker"):
        cpus_given(0.0)


def test_env_gets_thread_counts_and_keeps_a_users_wait_policy() -> None:
    env: dict[str, str] = {"OMP_WAIT_POLICY": "ACTIVE"}
    prepare_thread_env(3, env)
    assert env == {"OMP_WAIT_POLICY": "ACTIVE", "OMP_NUM_THREADS": "3", "MKL_NUM_THREADS": "3"}
    fresh: dict[str, str] = {}
    prepare_thread_env(None, fresh)
    assert fresh == {"OMP_WAIT_POLICY": "PASSIVE"}


def test_apply_sets_torch_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    before = torch.get_num_threads()
    for name in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    try:
        assert apply_cpu_threads(1.0) == 1 and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
