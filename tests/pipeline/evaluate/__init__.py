"""Tests of pipeline/evaluate."""
