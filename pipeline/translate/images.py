"""Image files in and out of `unit-pipeline translate`: listing, decoding to the model's input, PNGs out.

Channel rule (decided from the decoded Pillow mode, never from the file name):
- grey (1 channel): modes `1`, `L`, `LA`, `I`, `I;16…`, `F`, and palette (`P`/`PA`) images whose
  palette entries in use are all grey;
- colour (3 channels): `RGB`, `RGBA`, `CMYK`, `YCbCr`, `LAB`, `HSV`, and colour palettes.
An image whose count differs from the source domain's is a bad file (an RGB photo for a grey
model is refused, not silently greyed). Alpha is dropped, not composited; an animated GIF gives
its first frame. An image keeps its own W x H (`--size native`, the default; `native_size`
pads and crops it for the networks), or with `--size train` is resized (bilinear) to the
model's S x S without keeping its aspect.

Size limit: an image over `MAX_INPUT_PIXELS` (4096 x 4096 = 16.8 MP) is a bad file, found from
its header before any pixel is decoded. Why: a full decode costs W x H x 4 bytes or more
(13000 x 13000: 0.7 GB per image, more while converting) whatever the file's size on disk — a
few KB of PNG can claim that much — and at native size the networks' activations grow with
W x H too (tens of floats per pixel).
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from pipeline.io import storage
from pipeline.io.errors import DataError

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")
_GREY_MODES = ("1", "L", "LA", "I", "F")
_COLOUR_MODES = ("RGB", "RGBA", "RGBX", "CMYK", "YCbCr", "LAB", "HSV")
MAX_INPUT_PIXELS = 4096 * 4096


class BadImage(ValueError):
    """One input file that cannot be translated; the message says why (the caller names it)."""


@dataclass(frozen=True)
class InputListing:
    """The image files directly under an input location, and the other files skipped."""

    images: list[str]  # names (not URIs), sorted
    ignored: list[str]


def list_images(location: str) -> InputListing:
    """Names of the entries named like images directly under a folder or S3 prefix; DataError
    if none. A folder ``x.png`` or a broken link is listed: reading it makes it a named bad file."""
    if not storage.is_s3(location) and not Path(location).is_dir():
        raise DataError(location, "input folder does not exist")
    try:
        names = storage.list_entries(location)
    except DataError:
        raise
    except Exception as err:  # botocore raises many types; the message names the input
        raise DataError(location, f"cannot list input ({type(err).__name__}: {err})") from err
    images = [n for n in names if n.lower().endswith(IMAGE_SUFFIXES)]
    ignored = [n for n in names if not n.lower().endswith(IMAGE_SUFFIXES)]
    if not images:
        raise DataError(location, f"no image files ({', '.join(IMAGE_SUFFIXES)}) found")
    return InputListing(images, ignored)


def output_name(name: str, suffix: str = "") -> str:
    """`photo.JPG` -> `photo.png`; with suffix `_style2` -> `photo_style2.png`."""
    return f"{PurePosixPath(name).stem}{suffix}.png"


def channels_of(image: Image.Image) -> int:
    """1 for a grey image, 3 for a colour one (see the module docstring); BadImage otherwise."""
    mode = image.mode
    if mode in _GREY_MODES or mode.startswith("I;"):
        return 1
    if mode in _COLOUR_MODES:
        return 3
    if mode in ("P", "PA"):
        rgb = np.asarray(image.convert("RGB"))
        grey = (rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all()
        return 1 if grey else 3
    raise BadImage(f"unsupported image mode {mode!r}")


def decode_image(data: bytes, channels: int, size: int | None) -> tuple[torch.Tensor, bool]:
    """(uint8 (channels, H, W), whether it was resized) from encoded image bytes.

    size: S to resize to S x S (H = W = S), or None to keep the image's own H x W.
    BadImage for a corrupt, truncated or non-image file, one over `MAX_INPUT_PIXELS` (checked
    on the header, before decoding), or a wrong channel count.
    """
    try:
        image = Image.open(io.BytesIO(data))  # reads the header only
        _check_pixel_count(*image.size)
        image.load()
    except BadImage:
        raise
    except Image.DecompressionBombError as err:  # Pillow's own limit, met in the header
        raise BadImage(f"image too large to translate ({err})") from err
    except UnidentifiedImageError as err:
        raise BadImage("not an image file (Pillow cannot identify its format)") from err
    except Exception as err:  # Pillow raises OSError, SyntaxError, ValueError, bomb errors…
        raise BadImage(f"not a readable image ({type(err).__name__}: {err})") from err
    found = channels_of(image)
    if found != channels:
        kind = {1: "grey", 3: "colour"}
        raise BadImage(
            f"{kind[found]} image ({image.mode}, {found} channel(s)) but the model's source "
            f"domain takes {kind[channels]} images ({channels} channel(s))"
        )
    image = image.convert("L" if channels == 1 else "RGB")
    resized = False
    if size is not None and image.size != (size, size):
        image = image.resize((size, size), Image.Resampling.BILINEAR)
        resized = True
    width, height = image.size
    pixels = np.asarray(image, dtype=np.uint8).reshape(height, width, channels)
    return torch.from_numpy(pixels.transpose(2, 0, 1).copy()), resized


def _check_pixel_count(width: int, height: int) -> None:
    if width * height > MAX_INPUT_PIXELS:
        raise BadImage(
            f"image too large to translate ({width}x{height} = {width * height / 1e6:.1f} MP; "
            f"the limit is {MAX_INPUT_PIXELS / 1e6:.1f} MP, 4096x4096): downscale it first"
        )


def encode_png(image: torch.Tensor) -> bytes:
    """PNG bytes of a uint8 (C, H, W) image, C = 1 (grey) or 3 (RGB)."""
    pixels = image.permute(1, 2, 0).numpy()
    buffer = io.BytesIO()
    # uint8 (H, W) is saved as mode L, (H, W, 3) as RGB.
    Image.fromarray(pixels[..., 0] if pixels.shape[2] == 1 else pixels).save(buffer, "PNG")
    return buffer.getvalue()
