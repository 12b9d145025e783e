"""Decode an image file's bytes (PNG, JPEG, BMP, WebP, …) into an (H, W, C) uint8 array.

Why strict: a truncated download or a stray non-image file must fail loudly with its name, not
turn into a grey square. Palette and CMYK images are converted to RGB(A); 16-bit grey (``I;16``,
e.g. a 16-bit PNG) is scaled to 8 bits by dropping the low byte (v >> 8, ≈ v / 257, so 65535 →
255), as Pillow itself does for 16-bit colour. 32-bit integer and float images are refused:
their value range is not known, and squeezing them to uint8 needs a policy we do not guess.
An image over Pillow's decompression-bomb limit (``Image.MAX_IMAGE_PIXELS``) is a bad file too.
Messages never carry object reprs (``<_io.BytesIO object at 0x…>``), so a manifest that lists
skipped files is the same on every run.
"""

from __future__ import annotations

import io
import re
import warnings

import numpy as np
from PIL import Image, UnidentifiedImageError

from pipeline.io.errors import DataError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")
_MODE_TO = {"1": "L", "L": "L", "LA": "LA", "P": None, "RGB": "RGB", "RGBA": "RGBA",
            "CMYK": "RGB", "YCbCr": "RGB"}
_SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N")
_OBJECT_REPR = re.compile(r"<[\w.]+ object at 0x[0-9a-fA-F]+>")


def decode_image(raw: bytes, origin: str) -> np.ndarray:
    """Bytes of one image file → (H, W, C) uint8 with C in {1, 2, 3, 4} (2 = grey + alpha)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as img:
                img.load()  # forces a full decode: truncated files fail here
                pixels = _to_uint8(img, origin)
    except DataError:
        raise
    except UnidentifiedImageError as err:
        raise DataError(origin, "not a readable image (Pillow cannot identify its format)") from err
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise DataError(origin, f"image too large to decode safely ({err})") from err
    except (OSError, SyntaxError, ValueError, Warning) as err:
        detail = _OBJECT_REPR.sub("the data", str(err))
        raise DataError(origin, f"not a readable image or truncated ({detail})") from err
    return pixels[..., None] if pixels.ndim == 2 else pixels


def _to_uint8(img: Image.Image, origin: str) -> np.ndarray:
    """A loaded Pillow image → (H, W) or (H, W, C) uint8 by the module's mode rules."""
    mode = img.mode
    if mode in _SIXTEEN_BIT_MODES:
        return (np.asarray(img).astype(np.uint16) >> 8).astype(np.uint8)
    if mode not in _MODE_TO:
        raise DataError(origin, f"unsupported image mode {mode} (32-bit or float?)")
    target = _MODE_TO[mode] or ("RGBA" if "transparency" in img.info else "RGB")
    if target != mode:
        img = img.convert(target)
    return np.asarray(img, dtype=np.uint8)
