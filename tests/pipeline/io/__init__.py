"""Tests of pipeline/io, the ground floor."""
