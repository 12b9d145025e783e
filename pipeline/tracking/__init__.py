"""MLflow tracking for `unit-pipeline train`: config, reachability probe, run handle, model, registry.

Driver (before `TorchTrainer.fit`, so a dead server fails in seconds)::

    cfg = TrackingConfig.from_dict(params.get("tracking"))
    uri = cfg.resolved_uri()                 # absolute; $MLFLOW_TRACKING_URI wins
    check_tracking_reachable(uri)
    tags = training_tags(manifest_sha256, storage_path, ray_run_name=name, section="train")
    # git commit, source (entry point) and dvc.stage ($DVC_STAGE under `dvc repro`) here

Rank 0 only, inside the train loop (pass `run_id` from the checkpoint to continue a run)::

    run = TrainingRun.start(cfg, name, params=params, tags=tags, run_id=None, tracking_uri=uri)
    run.log_metrics(losses, step)                         # every cfg.log_every steps
    run.log_image_grid("translations", rows, step)        # every cfg.images_every steps
    model_uri = run.log_translator(trainer.translator, trainer.cfg)
    # (adaptation: run.log_classifier(adaptation_pt); load_classifier(model_uri) reads it back)
    run.end("FINISHED")                                   # or use `with TrainingRun.start(...)`

`pipeline evaluate`, on the same run: the scores go to the run *and* its LoggedModel (tied to
the training dataset), and the registry version names the run and the dataset::

    run.log_evaluation(metrics, step, model_uri)
    run.register(model_uri, metrics["val_pixel_accuracy"])
"""

from pipeline.tracking.classifier_model import load_classifier, log_classifier_model
from pipeline.tracking.config import TrackingConfig, resolve_tracking_uri
from pipeline.tracking.errors import TrackingError
from pipeline.tracking.image_grid import compose_image_grid
from pipeline.tracking.params import flatten_params
from pipeline.tracking.reachability import check_tracking_reachable
from pipeline.tracking.redaction import redact
from pipeline.tracking.registry import Registration, register_model
from pipeline.tracking.run_tags import git_commit, training_tags
from pipeline.tracking.training_run import TrainingRun
from pipeline.tracking.translator_model import load_translator, log_translator_model

__all__ = [
    "Registration",
    "TrackingConfig",
    "TrackingError",
    "TrainingRun",
    "check_tracking_reachable",
    "compose_image_grid",
    "flatten_params",
    "git_commit",
    "load_classifier",
    "load_translator",
    "log_classifier_model",
    "log_translator_model",
    "redact",
    "register_model",
    "resolve_tracking_uri",
    "training_tags",
]
