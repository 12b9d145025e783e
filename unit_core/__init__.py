"""UNIT (Liu, Breuel & Kautz, NIPS 2017) in pure PyTorch: configs, networks, losses, one step, metrics.

Nothing here knows about Ray, MLflow, DVC, S3 or files; `pipeline/` builds on it.
"""
