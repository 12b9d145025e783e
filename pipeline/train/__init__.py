"""Stage `train`: UNIT, MUNIT or domain adaptation on Ray Train (DDP over 1..N workers).

- `__main__`: the CLI (`python -m pipeline.train`, `unit-pipeline train`);
- `config`: the typed `train:` / `adapt:` section;
- `run`: the run resolved on the driver (`PreparedRun`: params parsed once, every location
  checked, the run named), `fingerprint`: the training code's hash in that name;
- `launch`: its MLflow run and the Ray Train `fit`;
- `loop`: what every Ray Train worker runs;
- `outputs`: what the run leaves for DVC and `evaluate`.

Other stages (tune) import `run` and `launch`, never the CLI.
"""
