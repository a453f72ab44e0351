"""Rollout recording: what the policy wrote at chosen RL steps, for `mmreason report`'s rollout browser.

Every `train.record_rollouts_every` steps (and at step 1, so every run has the start), rank 0 writes its first
`train.record_rollouts_max` prompt groups of the step to `RUN_DIR/rollouts/step_<NNNNNN>.jsonl`, one JSON object
per group:

    {step, prompt_id, source, family, difficulty, prompt (the chat-rendered prompt text), images
     (["rollouts/images/<sha256-16>.png"], relative to RUN_DIR), gold, verifier,
     completions: [{text, reward (total, shaping included), accuracy, format, shaping, extracted, error, length,
                    finish_reason}]}

Images are written once each, named by the first 16 hex digits of the SHA-256 of their PNG bytes. Files are
written atomically, so a report built during training never reads half a file.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

from ..atomic import atomic_file
from ..distributed import comm


def step_path(run_dir: str | Path, step: int) -> Path:
    return Path(run_dir) / "rollouts" / f"step_{step:06d}.jsonl"


def save_image(run_dir: Path, image) -> str:
    """Write a PIL image as PNG under RUN_DIR/rollouts/images (once per content); returns its RUN_DIR-relative
    path."""
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    data = buf.getvalue()
    rel = f"rollouts/images/{hashlib.sha256(data).hexdigest()[:16]}.png"
    path = run_dir / rel
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_file(path, "wb") as f:
            f.write(data)
    return rel


def group_records(run_dir: Path, step: int, scored, max_groups: int) -> list[dict]:
    """The JSON records of the first `max_groups` groups of a `ScoredGroups`."""
    out = []
    for p in range(min(max_groups, len(scored))):
        sample, prompt = scored.samples[p], scored.prompts[p]
        comps = []
        for g, (c, b) in enumerate(zip(scored.completions[p], scored.breakdowns[p])):
            comps.append({"text": c.text, "reward": float(scored.rewards[p, g]), "accuracy": float(b.accuracy),
                          "format": float(b.format), "shaping": float(scored.shaping[p, g]),
                          "extracted": b.extracted, "error": b.error, "length": len(c.token_ids),
                          "finish_reason": c.finish_reason})
        out.append({"step": step, "prompt_id": sample.id, "source": sample.source,
                    "family": sample.meta.get("family"), "difficulty": sample.difficulty, "prompt": prompt.text,
                    "images": [save_image(run_dir, im) for im in prompt.images], "gold": sample.answer,
                    "verifier": sample.verifier, "completions": comps})
    return out


class RolloutRecorder:
    """Writes the recorded steps of an RL stage (a no-op on ranks other than 0 and when `every` is 0)."""

    def __init__(self, run_dir: str | Path, every: int, max_groups: int):
        self.run_dir, self.every, self.max_groups = Path(run_dir), int(every), int(max_groups)

    @classmethod
    def from_config(cls, cfg) -> "RolloutRecorder":
        return cls(cfg.run.out_dir, cfg.train.record_rollouts_every, cfg.train.record_rollouts_max)

    def wants(self, step: int) -> bool:
        return self.every > 0 and comm.is_main() and (step == 1 or step % self.every == 0)

    def record(self, step: int, scored) -> Path | None:
        """Write step `step`'s groups when it is a recorded step; returns the file written (or None)."""
        if scored is None or not self.wants(step):
            return None
        records = group_records(self.run_dir, step, scored, self.max_groups)
        path = step_path(self.run_dir, step)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_file(path) as f:
            for r in records:
                f.write(json.dumps(r, sort_keys=True) + "\n")
        return path
