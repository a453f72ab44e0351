"""Grounding verifier `box_iou`: continuous IoU between predicted and gold boxes (VLM-R1 / Visual-RFT).

Boxes are `[x1, y1, x2, y2]` (or with parentheses), one or several anywhere in the answer — so
`{"bbox_2d": [10, 20, 110, 220]}` works too. Gold is JSON text: one box or a list of boxes.

    reward = mean over gold boxes of (best IoU with any predicted box) · min(1, n_gold / n_pred)

The count factor stops box spamming. A predicted box with x2 ≤ x1 or y2 ≤ y1 is kept (it counts in
n_pred) but overlaps nothing. Options: max_boxes (100): more predicted boxes than this is a
parse_error (the count factor would make the reward ~0 anyway, and it bounds the work).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Mapping

from ..types import Score
from .base import VERIFIERS, answer_or_score

_NUM = r"\s*([-+]?\d+(?:\.\d+)?)\s*"
_BOX = re.compile(rf"[\[(]{_NUM},{_NUM},{_NUM},{_NUM}[\])]", re.ASCII)
Box = tuple[float, float, float, float]


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two (x1, y1, x2, y2) boxes; 0 for degenerate boxes."""
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    area_a = (a[2] - a[0]) * (a[3] - a[1])
    area_b = (b[2] - b[0]) * (b[3] - b[1])
    union = area_a + area_b - inter
    return inter / union if union > 0 else 0.0


def parse_boxes(text: str, limit: int) -> list[Box] | None:
    """All boxes in `text`, or None when there are none or more than `limit`."""
    boxes = []
    for m in _BOX.finditer(text):
        box = tuple(float(v) for v in m.groups())
        boxes.append(box if all(math.isfinite(v) for v in box) else (0.0, 0.0, 0.0, 0.0))
        if len(boxes) > limit:
            return None
    return boxes or None


def parse_gold_boxes(gold: str) -> list[Box] | None:
    """Gold as JSON: [x1, y1, x2, y2] or [[x1, y1, x2, y2], …]; None when malformed."""
    try:
        data = json.loads(gold)
    except (ValueError, TypeError):
        return None
    if isinstance(data, list) and len(data) == 4 and all(isinstance(v, (int, float)) for v in data):
        data = [data]
    if not isinstance(data, list) or not data:
        return None
    out = []
    for box in data:
        if not (isinstance(box, list) and len(box) == 4 and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in box)):
            return None
        x1, y1, x2, y2 = (float(v) for v in box)
        if x2 <= x1 or y2 <= y1:
            return None
        out.append((x1, y1, x2, y2))
    return out


@VERIFIERS.register("box_iou")
def verify_box_iou(completion: str, gold: str, options: Mapping[str, Any]) -> Score:
    ans, zero = answer_or_score(completion, options, gold)
    if zero:
        return zero
    golds = parse_gold_boxes(gold)
    if golds is None:
        return Score(0.0, ans, "bad_gold")
    preds = parse_boxes(ans, int(options.get("max_boxes", 100)))
    if preds is None:
        return Score(0.0, ans, "parse_error")
    mean_iou = sum(max(iou(p, g) for p in preds) for g in golds) / len(golds)
    factor = min(1.0, len(golds) / len(preds))
    return Score(mean_iou * factor, ans, None, {"iou": mean_iou, "n_pred": float(len(preds))})
