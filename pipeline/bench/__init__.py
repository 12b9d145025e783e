"""Tools that measure the pipeline: benchmarks and the GPU check, over the stages.

- `__main__`: one training step of each family (`python -m pipeline.bench`, `unit-bench`,
  `make bench`): steps/s, FLOP/s against this machine's conv, top ops;
- `steps`: seeded steps of each family on random inputs (also `gpu_check`'s);
- `efficiency`: FLOPs of a step, the reference conv, the op profile;
- `contended`: `--contended`, a step beside a busy process, old vs new thread policy;
- `train`: the train stage's throughput and wall-time split for 1..N Ray Train workers
  (`python -m pipeline.bench.train`);
- `data`: shard write and read+decode throughput (`python -m pipeline.bench.data`);
- `gpu_check` (stage sections) and `gpu_check_steps` (step sections): the one-command device
  check (`make gpu-check`, `scripts/gpu_check.sh`).
"""
