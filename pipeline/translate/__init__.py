"""`unit-pipeline translate`: a trained model over a folder or S3 prefix of your images.

- `__main__`: the CLI; `model`: the model from a registry URI, a weights file or a checkpoint;
- `images`: listing, decoding and PNG encoding; `styles`: MUNIT style variants;
- `batches`: the bounded read → translate → write loop; `native_size`: pad, translate, crop back.
"""
