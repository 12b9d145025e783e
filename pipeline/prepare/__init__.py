"""Stage `prepare`: raw data into Parquet shards + manifest.json (`__main__`: the CLI).

The readers, the shard format and the reading API live in `pipeline/data/`, which `train`,
the tasks and `evaluate` also read through.
"""
