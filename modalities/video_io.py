"""Frames of a clip: a folder of frame images, a list of frame paths, or a video file decoded on demand.

Frame folders are read in natural order (`frame2.png` before `frame10.png`); only image files count. A video file
is probed when the row is loaded (frame count and rate) and decoded only when its sample is encoded
(`VideoFile.load_frames`), so a large mixture never holds decoded pixels. Decoders are optional: PyAV (`av`),
then decord; animated GIF / WebP are read by Pillow, which is always there. Without a decoder a video file is a
`BadRow` naming the file, row and field and the packages that would read it.

`uniform_indices(total, n)` is the frame sampling every source uses: n indices spread evenly over the clip, first
and last frame included.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageSequence

from .io import BadRow

FRAME_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".gif", ".tif", ".tiff")
VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v", ".mpg", ".mpeg", ".gif", ".webp")
PIL_ANIMATED = (".gif", ".webp")
DECODER_HINT = "install PyAV (pip install av) or decord to read video files"


def _natural_key(name: str):
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", name)]


def list_frames(folder: Path, *, file=None, row=None, field="frames") -> list[str]:
    """The image files of a frame folder in natural order; BadRow when the folder is missing or holds none."""
    if not folder.exists():
        raise BadRow("frames folder not found", str(folder), file=file, row=row, field=field)
    names = sorted((p.name for p in folder.iterdir() if p.is_file() and p.suffix.lower() in FRAME_SUFFIXES),
                   key=_natural_key)
    if not names:
        raise BadRow("no frames", f"{folder} holds no image files ({', '.join(FRAME_SUFFIXES)})", file=file,
                     row=row, field=field)
    return [str(folder / n) for n in names]


def uniform_indices(total: int, n: int | None) -> list[int]:
    """n frame indices spread evenly over `total` frames (first and last included); all frames when n is None."""
    if n is None or n >= total:
        return list(range(total))
    if n == 1:
        return [0]
    return [round(k * (total - 1) / (n - 1)) for k in range(n)]


def is_video_file(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


@dataclass
class VideoFile:
    """A clip decoded lazily from a video file: `indices` of its `total` frames, sampled at `fps` frames/s."""
    path: str
    total: int
    fps: float
    indices: list[int]
    backend: str
    where: dict = field(default_factory=dict, repr=False)  # file/row/field named in decoding errors

    def __len__(self) -> int:
        return len(self.indices)

    def __repr__(self) -> str:
        return f"<video {self.path}: frames {self.indices} of {self.total} ({self.backend})>"

    def load_frames(self) -> list[Image.Image]:
        try:
            frames = DECODERS[self.backend][1](self.path, self.indices)
        except Exception as e:  # decoders raise many types for corrupt streams
            raise BadRow("unreadable video", f"{self.path}: {type(e).__name__}: {e}", **self.where) from None
        if len(frames) != len(self.indices):
            raise BadRow("unreadable video", f"{self.path}: decoded {len(frames)} of {len(self.indices)} frames",
                         **self.where)
        return frames


# --- decoders: (probe(path) -> (frame count, fps), decode(path, indices) -> PIL frames) -------------------------
def _pil_probe(path: str) -> tuple[int, float]:
    with Image.open(path) as im:
        n = getattr(im, "n_frames", 1)
        ms = im.info.get("duration") or 100
    return n, 1000.0 / ms


def _pil_decode(path: str, indices: list[int]) -> list[Image.Image]:
    want = set(indices)
    with Image.open(path) as im:
        got = {i: f.convert("RGB") for i, f in enumerate(ImageSequence.Iterator(im)) if i in want}
    return [got[i] for i in indices if i in got]


def _av_probe(path: str) -> tuple[int, float]:
    import av

    with av.open(path) as c:
        s = c.streams.video[0]
        fps = float(s.average_rate or s.guessed_rate or 0) or 1.0
        n = s.frames or sum(1 for _ in c.decode(video=0))
    return n, fps


def _av_decode(path: str, indices: list[int]) -> list[Image.Image]:
    import av

    want, got = set(indices), {}
    with av.open(path) as c:
        for i, frame in enumerate(c.decode(video=0)):
            if i in want:
                got[i] = frame.to_image().convert("RGB")
            if i >= max(indices):
                break
    return [got[i] for i in indices if i in got]


def _decord_probe(path: str) -> tuple[int, float]:
    import decord

    vr = decord.VideoReader(path)
    return len(vr), float(vr.get_avg_fps()) or 1.0


def _decord_decode(path: str, indices: list[int]) -> list[Image.Image]:
    import decord

    arr = decord.VideoReader(path).get_batch(indices).asnumpy()
    return [Image.fromarray(a).convert("RGB") for a in arr]


DECODERS = {"pillow": (_pil_probe, _pil_decode), "av": (_av_probe, _av_decode),
            "decord": (_decord_probe, _decord_decode)}


def available_backend(path: str) -> str | None:
    """The decoder for `path`: Pillow for animated GIF/WebP, else the first importable of PyAV and decord."""
    if Path(path).suffix.lower() in PIL_ANIMATED:
        return "pillow"
    for name in ("av", "decord"):
        try:
            __import__(name)
            return name
        except ImportError:
            continue
    return None


def open_video(path: str, num_frames: int | None, *, file=None, row=None, field="video") -> VideoFile:
    """Probe a video file (it must exist and be readable by an installed decoder) and plan its frame sample."""
    where = {"file": file, "row": row, "field": field}
    if not os.path.isfile(path):
        raise BadRow("video file not found", path, **where)
    backend = available_backend(path)
    if backend is None:
        raise BadRow("no video decoder", f"{path}: {DECODER_HINT}", **where)
    try:
        total, fps = DECODERS[backend][0](path)
    except Exception as e:
        raise BadRow("unreadable video", f"{path}: {type(e).__name__}: {e}", **where) from None
    if total < 1:
        raise BadRow("no frames", f"{path} holds no video frames", **where)
    indices = uniform_indices(total, num_frames)
    return VideoFile(path, total, fps * len(indices) / total, indices, backend, where)
