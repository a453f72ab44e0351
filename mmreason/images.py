"""Image checks and conversion shared by the data readers (`modalities.io`) and `Sample.load_images`.

- `size_problem`: an image is refused when its header claims more than `MAX_PIXELS` pixels (Pillow's
  decompression-bomb limit, `PIL.Image.MAX_IMAGE_PIXELS`, ~89.5 M) or a side ratio above `MAX_ASPECT_RATIO`
  (200: Qwen2-VL-style processors refuse such images when the prompt is encoded). Both are read from the
  header, before any pixel is decoded.
- `check_decodes`: the load-time check that the file's data is complete: PNG by `verify()` (every chunk's CRC),
  JPEG decoded at 1/8 scale (every entropy-coded byte is still read, so a truncated file fails; ~1/64 of the
  work), anything else (GIF, WebP, BMP, TIFF, ...) decoded in full. No pixels are kept.
- `to_rgb`: what every image becomes before the processor sees it. RGB is kept; images with transparency (RGBA,
  LA, PA, a palette or grey image with a transparent colour) are composited onto white; 16-bit and 32-bit
  integer greyscale (`I;16`, `I`) is scaled to 8 bits by its full range (value / 257, clipped), not clipped at 255;
  CMYK, YCbCr, L, 1, P, F go through Pillow's own conversion. An animated image (GIF, WebP, APNG) is its first
  frame (the `video` adapter reads every frame).
"""

from __future__ import annotations

import warnings

import numpy as np
from PIL import Image

MAX_PIXELS = Image.MAX_IMAGE_PIXELS or 89_478_485
MAX_ASPECT_RATIO = 200
_INT_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I")


def open_image(src) -> Image.Image:
    """`Image.open` without Pillow's DecompressionBombWarning: the caller checks `size_problem` and refuses."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        return Image.open(src)


def size_problem(width: int, height: int) -> tuple[str, str] | None:
    """(reason, detail) when an image of this size is refused, else None."""
    if width * height > MAX_PIXELS:
        return "image too large", f"{width}x{height} = {width * height:,} pixels > {MAX_PIXELS:,}"
    if min(width, height) < 1:
        return "unreadable image", f"size {width}x{height}"
    ratio = max(width, height) / min(width, height)
    if ratio > MAX_ASPECT_RATIO:
        return "extreme aspect ratio", f"{width}x{height} (ratio {ratio:.0f} > {MAX_ASPECT_RATIO})"
    return None


def check_decodes(im: Image.Image) -> None:
    """Raise (Pillow's own exception) when an opened image's data is incomplete or corrupt; see the module doc."""
    if im.format == "PNG":
        im.verify()
        return
    if im.format == "JPEG":
        im.draft(im.mode, (1, 1))  # the smallest DCT scale (1/8)
    im.load()


def has_alpha(im: Image.Image) -> bool:
    return im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info


def to_rgb(im: Image.Image) -> Image.Image:
    """An opened image as an 8-bit RGB image (see the module doc for each mode)."""
    if im.mode == "RGB":
        return im
    if im.mode in _INT_MODES:
        arr = np.asarray(im, dtype=np.int64)
        return Image.fromarray((np.clip(arr, 0, 65535) // 257).astype(np.uint8)).convert("RGB")
    if has_alpha(im):
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return im.convert("RGB")
