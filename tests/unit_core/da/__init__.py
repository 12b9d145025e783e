"""Tests of unit_core/da."""
