"""Tests of pipeline/bench."""
