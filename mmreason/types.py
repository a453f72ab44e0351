"""The shared vocabulary: Sample (what adapters emit), Completion (what engines return), Score (what verifiers return)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Literal, Union

from PIL import Image

from .errors import DataError

Role = Literal["system", "user", "assistant"]
FinishReason = Literal["stop", "length"]


@dataclass(frozen=True)
class TextPart:
    text: str
    type: Literal["text"] = "text"


@dataclass(frozen=True)
class ImagePart:
    """Placeholder for the next image of `Sample.images` (images are consumed in order)."""
    type: Literal["image"] = "image"


@dataclass(frozen=True)
class VideoPart:
    """Placeholder for the next video of `Sample.videos` (videos are consumed in order, like images)."""
    type: Literal["video"] = "video"


Part = Union[TextPart, ImagePart, VideoPart]


@dataclass(frozen=True)
class Message:
    role: Role
    content: tuple[Part, ...]

    def __post_init__(self):
        if self.role not in ("system", "user", "assistant"):
            raise ValueError(f"message role must be system/user/assistant, got {self.role!r}")
        object.__setattr__(self, "content", tuple(self.content))
        for p in self.content:
            if not isinstance(p, (TextPart, ImagePart, VideoPart)):
                raise TypeError(f"message content parts must be TextPart, ImagePart or VideoPart, got "
                                f"{type(p).__name__}")

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.content if isinstance(p, TextPart))

    def num_images(self) -> int:
        return sum(isinstance(p, ImagePart) for p in self.content)

    def num_videos(self) -> int:
        return sum(isinstance(p, VideoPart) for p in self.content)

    def to_chat(self) -> dict:
        """The Hugging Face chat-template form: {"role", "content": [{"type": ...}, ...]}."""
        return {"role": self.role, "content": [{"type": p.type} if not isinstance(p, TextPart)
                                               else {"type": "text", "text": p.text} for p in self.content]}


def user(*parts: str | Part) -> Message:
    """Shorthand: user("question") or user(ImagePart(), "question")."""
    return Message("user", tuple(TextPart(p) if isinstance(p, str) else p for p in parts))


ImageLike = Union[Image.Image, str, os.PathLike]
DEFAULT_VIDEO_FPS = 2.0  # frames per second a clip's frames are taken to be sampled at when nothing says otherwise


@dataclass
class Sample:
    """One prompt with its gold answer, whatever the modality.

    `messages` hold the conversation up to (not including) the answer; each ImagePart refers to the next
    entry of `images` in order, each VideoPart to the next entry of `videos` (a clip: its frames in time order,
    PIL images or paths, already sampled — or an object whose `load_frames()` returns them, for clips decoded
    lazily from a video file; `video_fps[i]` is the rate they were sampled at, empty = 2 frames/s each). Turning a
    Sample into token ids and pixels is the processor's job.
    """
    id: str
    messages: list[Message]
    images: list[ImageLike] = field(default_factory=list)
    answer: str = ""
    verifier: str = "exact"
    difficulty: int | None = None
    source: str = ""
    reasoning: str | None = None  # reference reasoning (for cold-start SFT), when the data has one
    meta: dict[str, Any] = field(default_factory=dict)
    videos: list = field(default_factory=list)  # clips: lists of frames in time order, or objects with load_frames()
    video_fps: list[float] = field(default_factory=list)  # frames/s per clip; empty = DEFAULT_VIDEO_FPS for each

    def __post_init__(self):
        n_parts = sum(m.num_images() for m in self.messages)
        if n_parts != len(self.images):
            raise DataError(f"sample '{self.id}' has {n_parts} image placeholders but {len(self.images)} images",
                            field="images")
        if self.videos or any(m.num_videos() for m in self.messages):
            self._check_videos()

    def _check_videos(self) -> None:
        n_parts = sum(m.num_videos() for m in self.messages)
        if n_parts != len(self.videos):
            raise DataError(f"sample '{self.id}' has {n_parts} video placeholders but {len(self.videos)} videos",
                            field="videos")
        for i, clip in enumerate(self.videos):
            if hasattr(clip, "load_frames"):  # a lazily decoded clip (e.g. frames of a video file)
                continue
            if not isinstance(clip, (list, tuple)) or not clip:
                raise DataError(f"sample '{self.id}': a video is a non-empty list of frames", field=f"videos[{i}]")
        if self.video_fps and (len(self.video_fps) != len(self.videos) or min(self.video_fps) <= 0):
            raise DataError(f"sample '{self.id}': video_fps needs one positive rate per video, got {self.video_fps}",
                            field="video_fps")

    def fps_of(self, i: int) -> float:
        return float(self.video_fps[i]) if self.video_fps else DEFAULT_VIDEO_FPS

    @property
    def question(self) -> str:
        """Text of the last user turn."""
        users = [m for m in self.messages if m.role == "user"]
        return users[-1].text if users else ""

    def load_images(self) -> list[Image.Image]:
        """Images as RGB PIL images; a missing or unreadable file is a DataError naming it."""
        return [_open_rgb(im, self.id, f"images[{i}]") for i, im in enumerate(self.images)]

    def load_videos(self) -> list[list[Image.Image]]:
        """Each clip's frames as RGB PIL images; a missing or unreadable frame, or frames of different sizes within
        one clip, is a DataError naming the frame."""
        out = []
        for i, clip in enumerate(self.videos):
            if hasattr(clip, "load_frames"):
                frames = [_open_rgb(f, self.id, f"videos[{i}][{j}]") for j, f in enumerate(clip.load_frames())]
            else:
                frames = [_open_rgb(f, self.id, f"videos[{i}][{j}]") for j, f in enumerate(clip)]
            sizes = {f.size for f in frames}
            if len(sizes) > 1:
                raise DataError(f"frames of one video differ in size ({sorted(sizes)})", row=self.id,
                                field=f"videos[{i}]")
            out.append(frames)
        return out

    def chat(self) -> list[dict]:
        return [m.to_chat() for m in self.messages]


def _open_rgb(im: ImageLike, row: str, field: str) -> Image.Image:
    """An image reference as an RGB PIL image (`mmreason.images.to_rgb`); a missing, unreadable or oversized file
    is a DataError naming it."""
    from .images import open_image, size_problem, to_rgb

    if isinstance(im, Image.Image):
        return to_rgb(im)
    try:
        with open_image(im) as f:
            problem = size_problem(*f.size)
            if problem:
                raise DataError(f"{problem[0]}: {problem[1]}", file=str(im), row=row, field=field)
            f.load()
            rgb = to_rgb(f)
            return rgb.copy() if rgb is f else rgb
    except DataError:
        raise
    except FileNotFoundError:
        raise DataError("image file not found", file=str(im), row=row, field=field) from None
    except Image.DecompressionBombError as e:
        raise DataError(f"image too large: {e}", file=str(im), row=row, field=field) from None
    except Exception as e:  # PIL raises several types for corrupt files
        raise DataError(f"unreadable image ({type(e).__name__}: {e})", file=str(im), row=row, field=field) from None


@dataclass
class Completion:
    """One sampled response. `logprobs` are the engine's per-token log-probabilities of `token_ids`."""
    token_ids: list[int]
    text: str
    logprobs: list[float] | None = None
    finish_reason: FinishReason = "stop"

    def __len__(self) -> int:
        return len(self.token_ids)


@dataclass
class Score:
    """A verifier's verdict on one completion. `error` holds the counted reason when verification failed."""
    accuracy: float
    extracted: str | None = None
    error: str | None = None
    details: dict[str, float] = field(default_factory=dict)


class Metrics(dict):
    """Step metrics, name → float. Each metric is declared where it is made as averaged over ranks (the default,
    for means and rates) or summed over ranks (counts and totals, `add_sum`); `summed` holds the latter names."""

    def __init__(self, *args, summed=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.summed: set[str] = set(summed)

    def add_sum(self, name: str, value: float) -> None:
        self[name] = float(value)
        self.summed.add(name)

    def merge(self, other: dict) -> "Metrics":
        """Add `other`'s metrics (and its summed declarations) to these; returns self."""
        self.update(other)
        self.summed |= getattr(other, "summed", set())
        return self
