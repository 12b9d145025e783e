"""Stage `evaluate`: score a trained run by its task (`__main__`: the CLI and the scoring)."""
