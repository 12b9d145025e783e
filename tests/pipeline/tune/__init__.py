"""Tests of pipeline/tune."""
