"""`graph_path`: the fewest edges on a path between two lettered nodes of a drawn graph.

Nodes are lettered circles scattered over the canvas; edges are straight lines between nearby nodes that never
pass close to a third node: a random spanning tree (so the graph is connected) plus extra edges that open cycles.
Difficulty adds nodes, extra edges (more routes to compare), lets edges cross (from level 4) and raises the
minimum hop count. The answer is a breadth-first search; the trace names one shortest route. Legibility: letter
cap height, line width, the gaps between nodes and between an edge and the nodes it passes, in model pixels.
"""

from __future__ import annotations

import math
import random

from .. import visibility as vis
from ..core import Puzzle, Rendered, register
from ..draw import Canvas
from ..fonts import cap_height
from . import _graphs as gr
from ._cells import state_json

KNOBS = {
    1: {"nodes": [4, 5], "extra_edges": 0, "crossings": False, "min_hops": 1},
    2: {"nodes": [5, 6], "extra_edges": 1, "crossings": False, "min_hops": 1},
    3: {"nodes": [6, 7], "extra_edges": 2, "crossings": False, "min_hops": 2},
    4: {"nodes": [7, 8], "extra_edges": 3, "crossings": True, "min_hops": 2},
    5: {"nodes": [8, 10], "extra_edges": 4, "crossings": True, "min_hops": 2},
}
LETTERS = "ABCDEFGHJKMNPRSTUVWXYZ"
NODE_R, FONT_H, EDGE_W = 0.06, 0.09, 0.012
CLEAR = 0.03        # free space between an edge and any node it does not end at (canvas fraction)
MAX_LEN = 0.5       # longest edge
MIN_ANGLE = 25.0    # smallest angle between two edges at a node (degrees)
FONT = "DejaVuSans-Bold"


def _angle_ok(pts, edges, a: int, b: int) -> bool:
    """Edge ab leaves a and b at least MIN_ANGLE away from every edge already there."""
    for x, y in ((a, b), (b, a)):
        for e in edges:
            if x in e:
                z = e[0] if e[1] == x else e[1]
                u = math.atan2(pts[y][1] - pts[x][1], pts[y][0] - pts[x][0])
                v = math.atan2(pts[z][1] - pts[x][1], pts[z][0] - pts[x][0])
                diff = abs((math.degrees(u - v) + 180) % 360 - 180)
                if diff < MIN_ANGLE:
                    return False
    return True


def build_edges(rng: random.Random, pts, extra: int, crossings: bool) -> list[tuple[int, int]] | None:
    """A spanning tree over short, clear candidate edges plus `extra` more; None when not connected."""
    n = len(pts)
    cand = [(i, j) for i in range(n) for j in range(i + 1, n) if math.dist(pts[i], pts[j]) <= MAX_LEN
            and all(gr.seg_point_dist(pts[k], pts[i], pts[j]) >= NODE_R + CLEAR for k in range(n) if k not in (i, j))]
    cand.sort(key=lambda e: math.dist(pts[e[0]], pts[e[1]]) * rng.uniform(0.6, 1.4))
    parent = list(range(n))

    def find(x):
        while parent[x] != x:
            x = parent[x]
        return x

    def fits(e, edges):
        if not _angle_ok(pts, edges, *e):
            return False
        return crossings or not any(gr.segments_cross(pts[e[0]], pts[e[1]], pts[f[0]], pts[f[1]]) for f in edges)

    edges: list[tuple[int, int]] = []
    for e in cand:
        if find(e[0]) != find(e[1]) and fits(e, edges):
            parent[find(e[0])] = find(e[1])
            edges.append(e)
    if len(edges) != n - 1:
        return None
    rest = [e for e in cand if e not in edges]
    rng.shuffle(rest)
    for e in rest:
        if extra and fits(e, edges):
            edges.append(e)
            extra -= 1
    return None if extra else sorted(edges)


@register
class GraphPath:
    name, kind, knobs = "graph_path", "puzzles", KNOBS

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        n = rng.randint(*k["nodes"])
        pts = gr.scatter(rng, n, min_sep=0.2)
        edges = build_edges(rng, pts, k["extra_edges"], k["crossings"]) if pts else None
        if edges is None:
            return None
        dist = {(a, b): gr.distances(n, edges, a)[b] for a in range(n) for b in range(n) if a != b}
        hops = sorted({d for d in dist.values() if d >= k["min_hops"]})
        if not hops:
            return None
        want = rng.choice(hops)
        a, b = rng.choice([p for p, d in sorted(dist.items()) if d == want])
        names = rng.sample(LETTERS, n)
        route = gr.shortest_route(n, edges, a, b)
        question = (f"What is the fewest number of edges on a path from node {names[a]} to node {names[b]}? "
                    f"Edges are the straight lines between circles"
                    f"{'; lines that cross do not meet.' if k['crossings'] else '.'}")
        word = "edge" if want == 1 else "edges"
        reasoning = f"A shortest route: {'-'.join(names[i] for i in route)}. That is {want} {word}."
        qpts = [[round(x, 3), round(y, 3)] for x, y in pts]
        state = {"nodes": {names[i]: qpts[i] for i in range(n)},
                 "edges": sorted(sorted([names[x], names[y]]) for x, y in edges)}
        return Puzzle(state=state, question=question, answer=str(want), answer_type="integer", verifier="integer",
                      reasoning=reasoning, scene=(pts, edges, names),
                      distractors=[str(want + d) for d in (-2, -1, 1, 2, 3) if want + d > 0],
                      meta={"question_type": "hops", "n_nodes": n, "n_edges": len(edges),
                            "state_json": state_json(state)})

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        pts, edges, names = pz.scene
        side = view.model_side
        if FONT_H * cap_height(FONT) * side < vis.MIN_TEXT_HEIGHT:
            return Rendered(None, "text_height")
        if EDGE_W * side < vis.MIN_STROKE:
            return Rendered(None, "edge_width")
        if CLEAR * side < vis.MIN_GAP or (0.2 - 2 * NODE_R) * side < vis.MIN_GAP:
            return Rendered(None, "node_gap")
        c = Canvas(view.size)
        ink = (50, 50, 50)
        for a, b in edges:
            c.line([pts[a], pts[b]], fill=ink, width=EDGE_W)
        for (x, y), name in zip(pts, names):
            c.ellipse(x - NODE_R, y - NODE_R, x + NODE_R, y + NODE_R, fill=(255, 244, 214), outline=ink, width=0.01)
            c.text(x, y, name, FONT, FONT_H, (20, 20, 20))
        return Rendered(c.image())

