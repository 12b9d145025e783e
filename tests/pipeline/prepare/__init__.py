"""Tests of pipeline/prepare."""
