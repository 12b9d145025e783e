"""Tests of pipeline/data (one test file per source file)."""
