"""Micro-benchmark of one training step of each model family (`python -m pipeline.bench`, `unit-bench`).

- `__main__`: the CLI: steps/s, FLOP/s against this machine's conv, top ops;
- `steps`: seeded steps of each family on random inputs (also `pipeline.gpu_check`'s);
- `efficiency`: FLOPs of a step, the reference conv, the op profile;
- `contended`: `--contended`, a step beside a busy process, old vs new thread policy.
"""
