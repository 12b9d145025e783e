"""UNIT (Liu, Breuel & Kautz, NIPS 2017) and its relatives in pure PyTorch.

A package per method: `unit/` (image translation), `munit/` (MUNIT, multimodal), `da/` (domain
adaptation on digits); at the root, what they share: typed configs, building blocks, the
discriminators, losses, the two-domain GAN trainer, metrics and the `model.family` registry.
Nothing here knows about Ray, MLflow, DVC, S3 or files; `pipeline/` builds on it.
"""
