"""The files of a training run's output folder (`<train.output>/`), read by evaluate and tools.

The folder holds the task's model file (named by the task: `translator.pt`, `adaptation.pt`),
`RUN_FILE` (run name, MLflow run id and model URI, checkpoint location, final step) and
`HISTORY_FILE` (the logged loss and validation curves, a DVC plot). `pipeline.train.outputs`
writes it all-or-nothing.
"""

RUN_FILE = "train_run.json"
HISTORY_FILE = "train_history.json"
