"""A Ray Train job that needs more workers than the fake cluster has up (run as a subprocess).

Why a real TorchTrainer and not bare tasks: it is the pipeline's own path (a placement group of
`num_workers` bundles, a gloo process group, `ray.train.report` on every rank), so the test shows
that the autoscaler reacts to exactly the demand `pipeline.train` creates.
Usage: python autoscaling_job.py RAY_ADDRESS NUM_WORKERS STORAGE_DIR; prints one JSON line with
the worker nodes alive before the fit, how many joined, and each rank's node id.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def train_loop(config: dict) -> None:
    from pathlib import Path

    import ray
    import ray.train
    import torch
    import torch.distributed as dist

    # One all-reduce proves every rank joined the same process group; each rank leaves a note
    # (fake nodes share this machine's disk) naming the node it ran on.
    value = torch.tensor([1.0])
    dist.all_reduce(value)
    rank = ray.train.get_context().get_world_rank()
    note = {"world_size_seen": value.item(), "node_id": ray.get_runtime_context().get_node_id()}
    Path(config["notes_dir"], f"rank-{rank}.json").write_text(json.dumps(note))
    ray.train.report({"world_size_seen": value.item()})


def alive_worker_nodes() -> int:
    """Alive nodes other than the head (fake nodes are the only ones with CPUs here)."""
    import ray

    return sum(1 for n in ray.nodes() if n["Alive"] and n["Resources"].get("CPU", 0) > 0)


def main() -> None:
    address, num_workers, storage = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    import ray
    from ray.train import RunConfig, ScalingConfig
    from ray.train.torch import TorchTrainer

    ray.init(address=address, log_to_driver=False)
    before = alive_worker_nodes()
    notes_dir = Path(storage, "notes")
    notes_dir.mkdir(parents=True, exist_ok=True)
    trainer = TorchTrainer(
        train_loop,
        train_loop_config={"notes_dir": str(notes_dir)},
        scaling_config=ScalingConfig(num_workers=num_workers, resources_per_worker={"CPU": 1}),
        run_config=RunConfig(name="fake-autoscaling", storage_path=storage),
    )
    trainer.fit()
    ranks = [json.loads(p.read_text()) for p in sorted(notes_dir.glob("rank-*.json"))]
    ever_joined = sum(1 for n in ray.nodes() if n["Resources"].get("CPU", 0) > 0)
    print(
        "RESULT " + json.dumps({"before": before, "ever_joined": ever_joined, "ranks": ranks}),
        flush=True,
    )


if __name__ == "__main__":
    main()
