"""Tests of unit_core/unit."""
