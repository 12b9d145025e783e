"""Stage `tune`: Ray Tune sweeps over train runs, and the paper's ablation.

- `__main__`: the CLI (`python -m pipeline.tune`, `unit-pipeline tune`);
- `config`: the typed `tune:` section; `space`: the search space and ablation cells;
- `sweep`: the sweep (plan, Ray, Tuner, restore), `trial`: one trial (a `pipeline.train` run);
- `outcomes`, `tracking`, `outputs`, `ablation_report`: results, MLflow parent run, files.
"""
