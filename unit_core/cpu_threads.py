"""CPU threads of a run: as many as the CPUs it was given, and threads that sleep while they wait.

Two causes of the collapse seen on shared machines (0.05 steps/s instead of 2.5 while another
process held one of two cores):

- more intra-op threads than the CPUs a run was given (Ray's `cpus_per_worker`, or the CPU
  affinity a scheduler or `taskset` set): threads then queue behind each other at every op;
- OpenMP threads that spin at each op's barrier waiting for a thread the OS has descheduled,
  burning the very core that thread needs. `OMP_WAIT_POLICY=PASSIVE` makes them sleep instead.
  OpenMP reads it when the runtime loads, i.e. before `import torch` in that process: entry
  points call `prepare_thread_env` first, and a Ray driver sets it before starting a local Ray
  so its workers inherit it.

    threads = apply_cpu_threads(cpus_per_worker=1.0)   # in a Ray Train worker
    threads = apply_cpu_threads()                      # elsewhere: the process's CPU affinity
"""

from __future__ import annotations

import math
import os
from collections.abc import Collection, MutableMapping

# Sleep, rather than spin, at OpenMP barriers (a value the user set wins).
WAIT_POLICY = ("OMP_WAIT_POLICY", "PASSIVE")


def cpus_given(
    cpus_per_worker: float | None = None, affinity: Collection[int] | None = None
) -> int:
    """Intra-op threads for a run: ⌊cpus_per_worker⌋ when Ray gave a share, else len(affinity).

    Never below 1 (a fractional Ray share such as 0.5 still runs one thread).
    """
    if cpus_per_worker is not None:
        if cpus_per_worker <= 0:
            raise ValueError(f"cpus_per_worker must be > 0, got {cpus_per_worker}")
        return max(1, math.floor(cpus_per_worker))
    if affinity is None:
        affinity = allowed_cpus()
    return max(1, len(affinity))


def allowed_cpus() -> set[int]:
    """The CPUs this process may run on (its affinity); all of them where Linux's call is absent."""
    if hasattr(os, "sched_getaffinity"):
        return set(os.sched_getaffinity(0))
    return set(range(os.cpu_count() or 1))


def prepare_thread_env(
    threads: int | None = None, environ: MutableMapping[str, str] = os.environ
) -> None:
    """Set OpenMP/MKL thread counts (when given) and the passive wait policy in `environ`.

    Takes effect in processes that load torch after this (this one if torch is not imported
    yet, and child processes); `torch.set_num_threads` covers an already-loaded torch.
    """
    environ.setdefault(*WAIT_POLICY)
    if threads is not None:
        for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            environ[name] = str(threads)


def apply_cpu_threads(cpus_per_worker: float | None = None) -> int:
    """Set torch's intra-op threads (and the env of child processes) from the CPUs given."""
    import torch

    threads = cpus_given(cpus_per_worker)
    prepare_thread_env(threads)
    torch.set_num_threads(threads)
    return threads
