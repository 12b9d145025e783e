"""Dataset readers, preprocessing, Parquet shard writing/reading and the manifest."""
