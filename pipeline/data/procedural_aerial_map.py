"""A procedural paired aerial ↔ map set: the embedded, offline stand-in for the pix2pix *maps* set.

Each example draws one random city-block layout (classes below) and renders it twice:
- the **map** (domain `b`): flat colours per class, as web maps are, so pixel accuracy (a pixel
  is right when every channel is within 16 of the truth) is meaningful;
- the **aerial** (domain `a`): textured, noisy ground, shaded roofs with cast shadows, tree
  canopies (which hide parts of roads and land yet are absent from the map), rippled water and
  a random sun direction, brightness and colour cast per tile.
So the mapping is learnable but not a colour lookup. Everything is drawn in units of the tile
size (layouts look alike at 64 and 256 pixels) and is a pure function of (seed, split, index).
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from pipeline.data.records import SourceImage
from pipeline.data.sources import PairedSource

BACKGROUND, ROAD, WATER, PARK, BUILDING = range(5)
# Map palette (RGB): every pair differs by more than 16 in some channel.
MAP_PALETTE = np.array(
    [[238, 234, 226], [255, 255, 255], [156, 192, 249], [178, 222, 163], [214, 200, 186]],
    dtype=np.uint8,
)
SPLIT_CODES = {"train": 0, "val": 1, "test": 2}
ROOF_COLOURS = np.array(
    [[0.55, 0.30, 0.25], [0.60, 0.60, 0.62], [0.80, 0.78, 0.74], [0.33, 0.34, 0.40]]
)


def draw_layout(rng: np.random.Generator, size: int) -> tuple[np.ndarray, list]:
    """Random layout → ((size, size) uint8 class map, building boxes [(x0, y0, x1, y1)])."""
    u = size / 64.0  # one layout unit in pixels
    img = Image.new("L", (size, size), BACKGROUND)
    draw = ImageDraw.Draw(img)
    for _ in range(rng.integers(0, 3)):
        x, y = rng.uniform(0, size, 2)
        w, h = rng.uniform(10, 26, 2) * u
        draw.rectangle([x, y, x + w, y + h], fill=PARK)
    if rng.random() < 0.6:
        if rng.random() < 0.5:  # a winding river from the left edge to the right edge
            ys = rng.uniform(0.2, 0.8) * size + np.cumsum(rng.normal(0, 4 * u, 6))
            pts = [(float(x), float(y)) for x, y in zip(np.linspace(-4, size + 4, 6), ys, strict=True)]
            draw.line(pts, fill=WATER, width=max(2, int(rng.uniform(5, 11) * u)), joint="curve")
        else:
            x, y = rng.uniform(0, size, 2)
            rx, ry = rng.uniform(6, 16, 2) * u
            draw.ellipse([x - rx, y - ry, x + rx, y + ry], fill=WATER)
    for axis in (0, 1):
        for pos in rng.uniform(0.1, 0.9, rng.integers(1, 3)) * size:
            width = max(1, int(rng.uniform(2, 4.5) * u))
            line = [(0, pos), (size, pos)] if axis == 0 else [(pos, 0), (pos, size)]
            draw.line(line, fill=ROAD, width=width)
    if rng.random() < 0.3:
        draw.line([(0, rng.uniform(0, size)), (size, rng.uniform(0, size))], fill=ROAD,
                  width=max(1, int(3 * u)))
    layout = np.array(img)
    boxes = []
    for _ in range(int(rng.integers(15, 45))):
        w, h = (rng.uniform(3, 9, 2) * u).astype(int) + 1
        x0, y0 = rng.integers(0, size - 1, 2)
        x1, y1 = min(size, x0 + w), min(size, y0 + h)
        margin = layout[max(0, y0 - 1) : y1 + 1, max(0, x0 - 1) : x1 + 1]
        if (margin == BACKGROUND).all():
            layout[y0:y1, x0:x1] = BUILDING
            boxes.append((x0, y0, x1, y1))
    return layout, boxes


def smooth_noise(rng: np.random.Generator, size: int, cells: int) -> np.ndarray:
    """(size, size) float32 noise in about [-1, 1] varying over `cells` cells per side."""
    coarse = rng.uniform(0, 255, (cells, cells)).astype(np.uint8)
    up = Image.fromarray(coarse).resize((size, size), Image.Resampling.BICUBIC)
    return np.asarray(up, dtype=np.float32) / 127.5 - 1.0


def render_aerial(rng: np.random.Generator, layout: np.ndarray, boxes: list) -> np.ndarray:
    """Class map (S, S) → aerial photo (S, S, 3) uint8."""
    size = layout.shape[0]
    u = size / 64.0
    sun = rng.uniform(0, 2 * np.pi)
    sun_dir = np.array([np.cos(sun), np.sin(sun)])
    base = np.array([[0.46, 0.45, 0.33], [0.36, 0.36, 0.38], [0.12, 0.26, 0.33],
                     [0.28, 0.46, 0.20], [0.5, 0.5, 0.5]])
    base = base + rng.normal(0, 0.03, base.shape)
    img = base[layout].astype(np.float32)
    img *= 1.0 + 0.10 * smooth_noise(rng, size, 6)[..., None]
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / u
    ripple = 0.04 * np.sin(0.9 * (xx * sun_dir[0] + yy * sun_dir[1]) + rng.uniform(0, 6))
    img[layout == WATER] *= 1.0 + ripple[layout == WATER][:, None]
    shade = np.ones((size, size), np.float32)
    dx, dy = np.rint(-sun_dir * 1.5 * u).astype(int)
    for x0, y0, x1, y1 in boxes:
        roof = ROOF_COLOURS[rng.integers(len(ROOF_COLOURS))] + rng.normal(0, 0.03, 3)
        img[y0:y1, x0:x1] = roof
        # Gable roof: the half facing the sun is lighter.
        if (x1 - x0) >= (y1 - y0):
            half = (slice(y0, (y0 + y1) // 2), slice(x0, x1))
            lit = 1.12 if sun_dir[1] < 0 else 0.88
        else:
            half = (slice(y0, y1), slice(x0, (x0 + x1) // 2))
            lit = 1.12 if sun_dir[0] < 0 else 0.88
        img[half] *= lit
        sy, sx = slice(max(0, y0 + dy), max(0, y1 + dy)), slice(max(0, x0 + dx), max(0, x1 + dx))
        shade[sy, sx] = np.minimum(shade[sy, sx], 0.55)
    shade[layout == BUILDING] = 1.0
    _draw_trees(rng, img, shade, layout, sun_dir, u)
    img *= shade[..., None]
    img += rng.normal(0, 0.035, img.shape).astype(np.float32)
    tint = 1.0 + rng.uniform(-0.08, 0.08) * np.array([1.0, 0.0, -1.0])
    img *= rng.uniform(0.75, 1.2) * tint
    out = Image.fromarray(np.clip(img * 255, 0, 255).astype(np.uint8))
    return np.asarray(out.filter(ImageFilter.GaussianBlur(0.4 * u)))


def _draw_trees(rng, img, shade, layout, sun_dir, u) -> None:
    """Paint shaded round canopies (and their shadows) on ground and park pixels, in place."""
    size = layout.shape[0]
    ground = np.argwhere((layout == BACKGROUND) | (layout == PARK))
    if len(ground) == 0:
        return
    parks = np.argwhere(layout == PARK)
    picks = [ground[rng.integers(len(ground), size=int(rng.integers(5, 25)))]]
    if len(parks):
        picks.append(parks[rng.integers(len(parks), size=int(len(parks) / (12 * u * u)) + 1)])
    green = np.array([0.13, 0.29, 0.10]) * rng.uniform(0.8, 1.2)
    for cy, cx in np.concatenate(picks):
        r = rng.uniform(1.2, 3.0) * u
        y0, y1 = int(max(0, cy - r - 2 * u)), int(min(size, cy + r + 2 * u + 1))
        x0, x1 = int(max(0, cx - r - 2 * u)), int(min(size, cx + r + 2 * u + 1))
        yy, xx = np.mgrid[y0:y1, x0:x1]
        oy, ox = (yy - cy) / r, (xx - cx) / r
        canopy = oy**2 + ox**2 <= 1.0
        sy, sx = oy + sun_dir[1] * 0.8, ox + sun_dir[0] * 0.8
        shadow = (sy**2 + sx**2 <= 1.0) & ~canopy
        shade[y0:y1, x0:x1][shadow] = np.minimum(shade[y0:y1, x0:x1][shadow], 0.6)
        light = 1.0 + 0.35 * (-(ox * sun_dir[0] + oy * sun_dir[1]))
        img[y0:y1, x0:x1][canopy] = green * light[canopy][:, None]


def render_pair(seed: int, split: str, index: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Example `index` of `split` → (aerial (S, S, 3) uint8, map (S, S, 3) uint8)."""
    rng = np.random.default_rng([seed, SPLIT_CODES[split], index])
    layout, boxes = draw_layout(rng, size)
    return render_aerial(rng, layout, boxes), MAP_PALETTE[layout]


def generate_aerial_map(seed: int, split: str, count: int, size: int) -> PairedSource:
    """A paired source of `count` (aerial, map) examples; pair id = index within the split."""

    def load_pair(i: int) -> tuple[SourceImage, SourceImage]:
        aerial, road_map = render_pair(seed, split, i, size)
        ref = f"procedural:seed={seed}:{split}:{i}"
        return SourceImage(aerial, None, i, ref + "#aerial"), SourceImage(road_map, None, i, ref + "#map")

    return PairedSource(count, load_pair)
