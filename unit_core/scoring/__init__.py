"""Scores of a digit translator by what translations are used for (labels only ever score)."""
