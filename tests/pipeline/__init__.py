"""Tests of the pipeline package (mirrors pipeline/)."""
