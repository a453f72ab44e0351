"""`connectivity`: how many separate groups of connected dots a drawing has, or how many dots share the red dot's
group.

Each group is grown from a seed dot by attaching new dots near existing ones (a random tree, plus extra lines that
close cycles at higher levels); lines never cross or come close to anything of another group, so a group is
exactly one connected blob of ink. The number of groups is drawn first. Difficulty adds dots and groups, lengthens
the lines (groups interleave) and adds the red-dot question. Legibility: dot area, line width and the gaps
between groups in model pixels; an independent pixel count of ink blobs at the model's input size must equal the
number of groups.
"""

from __future__ import annotations

import math
import random

from .. import visibility as vis
from ..core import Puzzle, Rendered, register
from ..draw import Canvas
from . import _graphs as gr
from ._cells import state_json

KNOBS = {
    1: {"groups": [1, 3], "dots": [4, 6], "reach": [0.14, 0.22], "cycles": 0, "questions": ["groups"]},
    2: {"groups": [1, 4], "dots": [6, 8], "reach": [0.14, 0.24], "cycles": 0, "questions": ["groups"]},
    3: {"groups": [2, 4], "dots": [7, 10], "reach": [0.14, 0.26], "cycles": 1, "questions": ["groups", "size"]},
    4: {"groups": [2, 5], "dots": [9, 12], "reach": [0.14, 0.3], "cycles": 1, "questions": ["groups", "size"]},
    5: {"groups": [2, 6], "dots": [10, 14], "reach": [0.14, 0.34], "cycles": 2, "questions": ["groups", "size"]},
}
DOT_R, LINE_W = 0.032, 0.012
APART = 0.055        # free space between things of different groups (canvas fraction)
NEAR = 0.1           # extra room between a dot and anything else of its own group (beyond the dot sizes)
INK, RED = (40, 40, 40), (220, 38, 38)


class _Layout:
    """Dots, lines and group labels grown under the spacing rules."""

    def __init__(self):
        self.pts: list[tuple[float, float]] = []
        self.group: list[int] = []
        self.edges: list[tuple[int, int]] = []

    def clear_of(self, p, q, g: int, skip: tuple[int, ...]) -> bool:
        """Segment pq (q may equal p: a lone dot) keeps its distance from every dot and line not in `skip`."""
        for i, r in enumerate(self.pts):
            if i in skip:
                continue
            need = 2 * DOT_R + NEAR if self.group[i] == g else 2 * DOT_R + APART
            if gr.seg_point_dist(r, p, q) < need:
                return False
        for a, b in self.edges:
            if a in skip or b in skip:
                if gr.segments_cross(p, q, self.pts[a], self.pts[b]):
                    return False
                continue
            need = DOT_R + APART if self.group[a] != g else DOT_R + LINE_W
            if gr.seg_seg_dist(p, q, self.pts[a], self.pts[b]) < need:
                return False
        return True

    def add_dot(self, rng: random.Random, g: int, reach) -> bool:
        own = [i for i, x in enumerate(self.group) if x == g]
        for _ in range(40):
            if not own:
                p = (rng.uniform(0.08, 0.92), rng.uniform(0.08, 0.92))
                if self.clear_of(p, p, g, ()):
                    self.pts.append(p)
                    self.group.append(g)
                    return True
                continue
            a = rng.choice(own)
            ang, d = rng.uniform(0, 2 * math.pi), rng.uniform(*reach)
            p = (self.pts[a][0] + d * math.cos(ang), self.pts[a][1] + d * math.sin(ang))
            if 0.06 <= p[0] <= 0.94 and 0.06 <= p[1] <= 0.94 and self.clear_of(self.pts[a], p, g, (a,)):
                self.pts.append(p)
                self.group.append(g)
                self.edges.append((a, len(self.pts) - 1))
                return True
        return False

    def add_cycle(self, rng: random.Random, g: int, reach) -> None:
        own = [i for i, x in enumerate(self.group) if x == g]
        pairs = [(a, b) for a in own for b in own if a < b and (a, b) not in self.edges
                 and math.dist(self.pts[a], self.pts[b]) <= reach[1]]
        rng.shuffle(pairs)
        for a, b in pairs:
            if self.clear_of(self.pts[a], self.pts[b], g, (a, b)):
                self.edges.append((a, b))
                return


@register
class Connectivity:
    name, kind, knobs = "connectivity", "puzzles", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        groups = rng.randint(*k["groups"])
        dots = max(groups, rng.randint(*k["dots"]))
        sizes = [1] * groups
        for _ in range(dots - groups):
            sizes[rng.randrange(groups)] += 1
        lay = _Layout()
        for g in range(groups):   # seed every group first so later groups are not squeezed out
            if not lay.add_dot(rng, g, k["reach"]):
                return None
        for g, size in enumerate(sizes):
            for _ in range(size - 1):
                if not lay.add_dot(rng, g, k["reach"]):
                    return None
            for _ in range(k["cycles"]):
                lay.add_cycle(rng, g, k["reach"])
        comps = gr.components(len(lay.pts), lay.edges)
        if len(comps) != groups:
            return None
        qtype = rng.choice(k["questions"])
        red = None
        sizes_desc = ", ".join(str(len(c)) for c in comps)
        if qtype == "groups":
            answer = groups
            question = "How many separate groups of connected dots are there? Dots joined by lines form one group."
            reasoning = f"Group sizes: {sizes_desc} dots. That is {groups} {'group' if groups == 1 else 'groups'}."
        else:
            red = rng.randrange(len(lay.pts))
            comp = next(c for c in comps if red in c)
            answer = len(comp)
            question = ("How many dots are in the same connected group as the red dot, counting the red dot? "
                        "Dots joined by lines form one group.")
            reasoning = (f"Following the lines from the red dot reaches {answer - 1} other "
                         f"{'dot' if answer == 2 else 'dots'}. 1 + {answer - 1} = {answer}.")
        state = {"dots": sorted([round(x, 2), round(y, 2), i == red] for i, (x, y) in enumerate(lay.pts)),
                 "lines": sorted(sorted([[round(v, 2) for v in lay.pts[a]], [round(v, 2) for v in lay.pts[b]]])
                                 for a, b in lay.edges)}
        return Puzzle(state=state, question=question, answer=str(answer), answer_type="integer", verifier="integer",
                      reasoning=reasoning, scene=(lay, red, groups),
                      distractors=[str(answer + d) for d in (-2, -1, 1, 2, 3) if answer + d > 0],
                      meta={"question_type": qtype, "n_objects": len(lay.pts), "n_groups": groups,
                            "state_json": state_json(state)})

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        lay, red, groups = pz.scene
        side = view.model_side
        if math.pi * (DOT_R * side) ** 2 < vis.MIN_OBJECT_AREA:
            return Rendered(None, "object_area")
        if LINE_W * side < vis.MIN_STROKE or (APART - LINE_W) * side < vis.MIN_GAP:
            return Rendered(None, "line_gap")
        c = Canvas(view.size)
        for a, b in lay.edges:
            c.line([lay.pts[a], lay.pts[b]], fill=INK, width=LINE_W)
        for i, (x, y) in enumerate(lay.pts):
            c.ellipse(x - DOT_R, y - DOT_R, x + DOT_R, y + DOT_R, fill=RED if i == red else INK)
        image = c.image()
        if vis.count_components(vis.ink_mask(view.to_model(image))) != groups:
            return Rendered(None, "pixel_count")
        return Rendered(image)
