"""Tests of pipeline/translate."""
