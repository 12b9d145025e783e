"""Tests of pipeline/tasks."""
