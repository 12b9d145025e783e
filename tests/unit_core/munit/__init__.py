"""Tests of unit_core/munit."""
