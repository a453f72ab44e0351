"""`video`: questions about a short clip — a folder of frames, a list of frame paths, or a video file.

The clip column (option `video_key`; None = the first of `frames`, `video`, `images` present) holds:
- a folder path: its image files in natural order are the frames (`frame2.png` before `frame10.png`);
- a list of frame paths (or bytes / PIL images): the frames in that order (this is how `mmreason build video`
  writes its rows: `images: ["images/<id>-1.png", ...]`, one clip per row);
- a video file path (`.mp4`, `.webm`, `.avi`, …, animated `.gif`/`.webp`): probed at load time, decoded when the
  sample is encoded, by PyAV or decord when one is installed (Pillow reads GIF/WebP); without one, the row is a
  DataError naming the missing package.
Relative paths start at the data file's directory. `num_frames` samples that many frames uniformly over the clip
(first and last included; None = every frame; a shorter clip is a bad row). `fps` is the rate of the given frames
(a row's numeric `fps` column wins; a video file's own rate is used for it), scaled by the sampling, and reaches
the model as the temporal spacing of the video tokens.

Question / answer columns as in `vqa` (`question_key`, `answer_key`; defaults question|problem and answer; gold
answers in `<answer>` or `\\boxed{}` are unwrapped); a `<video>` marker in the question places the clip, else it
goes first. Verifier: the `verifier` option, else the row's `verifier`, else `math` for numeric golds and `exact`
otherwise. The builder's `difficulty`, `reasoning` (cold-start trace) and `meta` (+ family, kind, state hash) are
kept. Bad input — missing folder, no frames, an unreadable frame, frames of different sizes, a clip shorter than
`num_frames`, a missing or undecodable video file — is a DataError naming file, row and field.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from mmreason.errors import ConfigError, DataError
from mmreason.types import DEFAULT_VIDEO_FPS, Message, Sample, TextPart, VideoPart

from .base import ADAPTERS, BaseAdapter, check_verifier_option
from .io import resolve_image
from .puzzles import BuilderFields
from .text import unwrap_answer
from .vqa import auto_verifier
from .video_io import VideoFile, is_video_file, list_frames, open_video, uniform_indices

VIDEO_MARKER = "<video>"
CLIP_KEYS = ("frames", "video", "images")


@ADAPTERS.register("video")
class VideoAdapter(BuilderFields, BaseAdapter):
    name = "video"
    verifier = "exact"

    def __init__(self, video_key: str | None = None, question_key: str | None = None, answer_key: str | None = None,
                 num_frames: int | None = None, fps: float = DEFAULT_VIDEO_FPS, verifier: str | None = None,
                 verifier_options: dict | None = None, check_images: bool = True):
        """`video_key`: the clip column (None = frames|video|images); `num_frames`: frames sampled uniformly per clip
        (None = all); `fps`: frame rate of the given frames (before sampling)."""
        super().__init__(check_images=check_images, verifier_options=verifier_options)
        if num_frames is not None and (not isinstance(num_frames, int) or isinstance(num_frames, bool)
                                       or num_frames < 1):
            raise ConfigError(f"adapter 'video': option num_frames must be a positive integer, got {num_frames!r}")
        if not isinstance(fps, (int, float)) or isinstance(fps, bool) or fps <= 0:
            raise ConfigError(f"adapter 'video': option fps must be a positive number, got {fps!r}")
        self.video_key, self.question_key, self.answer_key = video_key, question_key, answer_key
        self.num_frames, self.fps = num_frames, float(fps)
        self.verifier_override = check_verifier_option(self.name, verifier)

    def load(self, path, split=None, limit=None):
        rows = super().load(path, split=None, limit=limit)
        if split is None:
            return rows
        return ((i, row) for i, row in rows if not isinstance(row, dict) or row.get("split") in (None, split))

    # --- the clip --------------------------------------------------------------------------------------------
    def clip_field(self, row) -> str:
        if self.video_key:
            return self.video_key
        return next((k for k in CLIP_KEYS if isinstance(row, dict) and row.get(k) is not None), CLIP_KEYS[0])

    def doc_to_video(self, row) -> tuple[list | VideoFile, float]:
        """(the clip: frame references or a lazily decoded VideoFile, its frame rate after sampling)."""
        key = self.clip_field(row)
        value = self.field(row, key, (str, list, tuple))
        fps = self._row_fps(row)
        if isinstance(value, (list, tuple)):
            return self._sampled(list(value), key, fps)
        if not value.strip():
            raise self.bad("missing video", "empty path", key)
        path = Path(value).expanduser()
        path = path if path.is_absolute() else self.base_dir / path
        if path.is_dir() or not is_video_file(path):
            return self._sampled(list_frames(path, file=self.file, row=self.row_index, field=key), key, fps)
        clip = open_video(str(path), self.num_frames, file=self.file, row=self.row_index, field=key)
        self._check_length(clip.total, key)
        return clip, clip.fps

    def _row_fps(self, row) -> float:
        value = row.get("fps") if isinstance(row, dict) else None
        if value is None:
            return self.fps
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise self.bad("wrong type", f"fps must be a positive number, got {value!r}", "fps")
        return float(value)

    def _check_length(self, total: int, key: str) -> None:
        if self.num_frames is not None and total < self.num_frames:
            raise self.bad("too few frames", f"the clip has {total} frames, num_frames={self.num_frames}", key)

    def _sampled(self, values: list, key: str, fps: float) -> tuple[list, float]:
        if not values:
            raise self.bad("no frames", "an empty list of frames", key)
        self._check_length(len(values), key)
        picked = uniform_indices(len(values), self.num_frames)
        frames = [resolve_image(values[i], self.base_dir, file=self.file, row=self.row_index, field=f"{key}[{i}]",
                                check=self.check_images) for i in picked]
        if self.check_images:
            self._check_sizes(frames, picked, key)
        return frames, fps * len(picked) / len(values)

    def _check_sizes(self, frames: list, picked: list[int], key: str) -> None:
        sizes = []
        for f in frames:
            if isinstance(f, Image.Image):
                sizes.append(f.size)
            else:
                with Image.open(f) as im:  # header only
                    sizes.append(im.size)
        if len(set(sizes)) > 1:
            k = next(j for j, s in enumerate(sizes) if s != sizes[0])
            raise self.bad("mismatched frame sizes", f"frame {picked[k]} is {sizes[k][0]}x{sizes[k][1]}, frame "
                           f"{picked[0]} is {sizes[0][0]}x{sizes[0][1]}", f"{key}[{picked[k]}]")

    # --- question, answer and the rest -----------------------------------------------------------------------
    def _key(self, row, explicit, candidates) -> str:
        return explicit or next((k for k in candidates if row.get(k) is not None), candidates[0])

    def doc_to_text(self, row) -> str:
        return self.text_field(row, self._key(row, self.question_key, ("question", "problem")), "question")

    def doc_to_answer(self, row) -> str:
        key = self._key(row, self.answer_key, ("answer",))
        answer = unwrap_answer(self.text_field(row, key, "answer"))
        if not answer:
            raise self.bad("empty answer", field=key)
        return answer

    def doc_to_verifier(self, row) -> str:
        if self.verifier_override:
            return self.verifier_override
        if isinstance(row.get("verifier"), str) and row["verifier"]:
            return row["verifier"]
        return auto_verifier(self.doc_to_answer(row))

    def doc_to_meta(self, row) -> dict:
        return self.builder_meta(row)

    def doc_to_messages(self, row, n_images: int) -> list[Message]:
        text = self.doc_to_text(row)
        if VIDEO_MARKER not in text:
            return [Message("user", (VideoPart(), TextPart(text)))]
        before, _, after = text.partition(VIDEO_MARKER)
        if VIDEO_MARKER in after:
            raise self.bad("too many <video> markers", "one clip per row", self._key(row, self.question_key,
                                                                                    ("question", "problem")))
        parts = [TextPart(t) for t in (before.rstrip("\n"),) if t.strip()] + [VideoPart()]
        parts += [TextPart(t) for t in (after.lstrip("\n"),) if t.strip()]
        return [Message("user", tuple(parts))]

    def to_sample(self, row, index) -> Sample:
        if isinstance(row, DataError):
            raise row
        self.row_index = index
        if not isinstance(row, dict):
            raise self.bad("row is not a mapping", type(row).__name__)
        clip, fps = self.doc_to_video(row)
        meta = self.doc_to_meta(row)
        if self.verifier_options:
            meta["options"] = {**self.verifier_options, **(meta.get("options") or {})}
        return Sample(id=self.doc_to_id(row, index), messages=self.doc_to_messages(row, 0), videos=[clip],
                      video_fps=[fps], answer=self.doc_to_answer(row), verifier=self.doc_to_verifier(row),
                      difficulty=self.doc_to_difficulty(row), reasoning=self.doc_to_reasoning(row), meta=meta)


__all__ = ["VideoAdapter", "VIDEO_MARKER"]
