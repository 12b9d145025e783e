"""Decode an image file's bytes (PNG, JPEG, BMP, WebP, …) into an (H, W, C) uint8 array.

Why strict: a truncated download or a stray non-image file must fail loudly with its name, not
turn into a grey square. Palette and CMYK images are converted to RGB(A); 16-bit and float
images are refused because squeezing them to uint8 needs a policy we do not guess.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, UnidentifiedImageError

from pipeline.data.errors import DataError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")
_MODE_TO = {"1": "L", "L": "L", "LA": "LA", "P": None, "RGB": "RGB", "RGBA": "RGBA",
            "CMYK": "RGB", "YCbCr": "RGB"}


def decode_image(raw: bytes, origin: str) -> np.ndarray:
    """Bytes of one image file → (H, W, C) uint8 with C in {1, 2, 3, 4} (2 = grey + alpha)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as img:
                img.load()  # forces a full decode: truncated files fail here
                mode = img.mode
                if mode not in _MODE_TO:
                    raise DataError(origin, f"unsupported image mode {mode} (16-bit or float?)")
                target = _MODE_TO[mode] or ("RGBA" if "transparency" in img.info else "RGB")
                if target != mode:
                    img = img.convert(target)
                pixels = np.asarray(img, dtype=np.uint8)
    except DataError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Warning) as err:
        raise DataError(origin, f"not a readable image or truncated ({err})") from err
    return pixels[..., None] if pixels.ndim == 2 else pixels
