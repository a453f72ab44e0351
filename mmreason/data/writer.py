"""Write samples back out as a dataset the `puzzles` adapter reads as is (`data.jsonl` + `images/` +
`manifest.json`): what `mmreason sample` produces — rejection-sampled SFT data, preference pairs, prompts with a
difficulty column — so SFT, DPO and the curriculum read it through the same adapters as any other data.

A row keeps everything the sample needs to be asked again exactly as before: the question text with `<image>`
markers where the images stood, the gold answer, the verifier, the difficulty, the reference reasoning and the
sample's meta (verifier options and family included), plus what the caller adds (`meta.sft_target`,
`meta.chosen`/`meta.rejected`, `meta.pass_rate`, ...). Images are copied (hard-linked when possible) into the
dataset's own `images/`, so a written dataset stands alone. The directory is written atomically.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Iterable

from PIL import Image

from ..atomic import atomic_directory, write_json
from ..errors import DataError
from ..types import ImagePart, Sample, TextPart

IMAGE_MARKER = "<image>"


def question_text(sample: Sample) -> str:
    """The single user turn as text, `<image>` where each image stands (what the adapter turns back into parts)."""
    if len(sample.messages) != 1 or sample.messages[0].role != "user":
        raise DataError(f"sample '{sample.id}' has {len(sample.messages)} messages; written datasets hold "
                        "single-turn prompts (one user message)", field="messages")
    if sample.videos:
        raise DataError(f"sample '{sample.id}' holds videos; written datasets hold images only", field="videos")
    return "".join(IMAGE_MARKER if isinstance(p, ImagePart) else p.text for p in sample.messages[0].content
                   if isinstance(p, (ImagePart, TextPart)))


def _plain(value):
    """`value` as JSON data (tuples become lists; anything else JSON cannot hold becomes its text)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


class ImageStore:
    """Copies each sample's images into `root/images/` once, and gives the relative paths rows refer to."""

    def __init__(self, root: Path):
        self.root, self.done = root, {}
        (root / "images").mkdir(parents=True, exist_ok=True)

    def paths(self, sample: Sample) -> list[str]:
        if sample.id not in self.done:
            stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", sample.id).strip("._") or "image"
            stem = f"{stem}-{len(self.done)}"  # ids that sanitise alike stay apart
            self.done[sample.id] = [self._write(im, f"{stem}_{k}") for k, im in enumerate(sample.images)]
        return self.done[sample.id]

    def _write(self, image, stem: str) -> str:
        if isinstance(image, Image.Image):
            rel = f"images/{stem}.png"
            image.save(self.root / rel)
            return rel
        if isinstance(image, (str, os.PathLike)):
            rel = f"images/{stem}{Path(image).suffix or '.img'}"
            try:
                os.link(image, self.root / rel)
            except OSError:
                shutil.copyfile(image, self.root / rel)
            return rel
        if hasattr(image, "getvalue"):  # encoded bytes kept undecoded (modalities.io.ImageBytes)
            rel = f"images/{stem}.img"
            (self.root / rel).write_bytes(image.getvalue())
            return rel
        raise DataError(f"cannot write an image of type {type(image).__name__}", field="images")


def sample_row(sample: Sample, store: ImageStore, row_id: str | None = None, meta: dict | None = None,
               reasoning: str | None = None) -> dict:
    """The dataset row of `sample` (images copied through `store`), with extra `meta` and an optional new
    reference reasoning."""
    return {"id": row_id or sample.id, "difficulty": sample.difficulty, "images": store.paths(sample),
            "question": question_text(sample), "answer": sample.answer, "verifier": sample.verifier, "options": None,
            "reasoning": reasoning if reasoning is not None else sample.reasoning,
            "meta": _plain({**sample.meta, "from_source": sample.source, **(meta or {})})}


def write_dataset(out: str | os.PathLike, rows: Iterable[tuple[Sample, dict]], manifest: dict) -> Path:
    """Write (sample, extra) rows — extra: `id`, `meta`, `reasoning` overrides — as a dataset directory at `out`,
    atomically. Returns the directory; the manifest records `rows` and what the caller passes."""
    out = Path(out)
    n = 0
    with atomic_directory(out) as tmp:
        store = ImageStore(tmp)
        with open(tmp / "data.jsonl", "w", encoding="utf-8") as f:
            for sample, extra in rows:
                row = sample_row(sample, store, extra.get("id"), extra.get("meta"), extra.get("reasoning"))
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
                n += 1
        write_json(tmp / "manifest.json", {**_plain(manifest), "rows": n, "data_file": "data.jsonl",
                                           "written_by": "mmreason sample"})
    return out
