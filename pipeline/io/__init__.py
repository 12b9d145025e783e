"""The ground floor every stage stands on: local/S3 storage, the error types, atomic writes,
params files and the on-disk formats (checkpoints, translator weights). Imports nothing above
it in `pipeline` (docs/architecture.md)."""
