"""Tests of pipeline/train: the run resolved on the driver, the loop, the outputs."""
