"""Shared pieces of the drawn-graph families (graph_path, connectivity): plane geometry of points and segments,
breadth-first distances and connected components.
"""

from __future__ import annotations

import math
import random
from collections import deque

Point = tuple[float, float]


def seg_point_dist(p: Point, a: Point, b: Point) -> float:
    """Distance from point p to segment ab."""
    ax, ay = a
    dx, dy = b[0] - ax, b[1] - ay
    L2 = dx * dx + dy * dy
    t = 0.0 if L2 == 0 else max(0.0, min(1.0, ((p[0] - ax) * dx + (p[1] - ay) * dy) / L2))
    return math.hypot(p[0] - ax - t * dx, p[1] - ay - t * dy)


def _orient(a: Point, b: Point, c: Point) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def segments_cross(a: Point, b: Point, c: Point, d: Point) -> bool:
    """Proper crossing of segments ab and cd (shared end points do not count)."""
    if len({a, b, c, d}) < 4:
        return False
    return (_orient(a, b, c) * _orient(a, b, d) < 0) and (_orient(c, d, a) * _orient(c, d, b) < 0)


def seg_seg_dist(a: Point, b: Point, c: Point, d: Point) -> float:
    """Distance between segments ab and cd (0 when they cross)."""
    if segments_cross(a, b, c, d):
        return 0.0
    return min(seg_point_dist(a, c, d), seg_point_dist(b, c, d), seg_point_dist(c, a, b), seg_point_dist(d, a, b))


def scatter(rng: random.Random, n: int, min_sep: float, lo: float = 0.1, hi: float = 0.9,
            tries: int = 400) -> list[Point] | None:
    """n random points in [lo, hi]² at least `min_sep` apart; None when they do not fit."""
    pts: list[Point] = []
    for _ in range(tries):
        p = (rng.uniform(lo, hi), rng.uniform(lo, hi))
        if all(math.dist(p, q) >= min_sep for q in pts):
            pts.append(p)
            if len(pts) == n:
                return pts
    return None


def distances(n: int, edges, source: int) -> list[int | None]:
    """Hop counts from `source` over undirected edges (None: unreachable)."""
    adj: dict[int, list[int]] = {i: [] for i in range(n)}
    for a, b in edges:
        adj[a].append(b)
        adj[b].append(a)
    dist: list[int | None] = [None] * n
    dist[source] = 0
    queue = deque([source])
    while queue:
        cur = queue.popleft()
        for nxt in sorted(adj[cur]):
            if dist[nxt] is None:
                dist[nxt] = dist[cur] + 1
                queue.append(nxt)
    return dist


def shortest_route(n: int, edges, a: int, b: int) -> list[int]:
    """Nodes of one shortest route from a to b (the lowest-numbered predecessor at each step)."""
    back = distances(n, edges, b)
    route = [a]
    adj = {i: sorted({y for x, y in edges if x == i} | {x for x, y in edges if y == i}) for i in range(n)}
    while route[-1] != b:
        route.append(next(m for m in adj[route[-1]] if back[m] == back[route[-1]] - 1))
    return route


def components(n: int, edges) -> list[list[int]]:
    """Connected components (sorted lists of nodes), largest first then by smallest node."""
    seen: set[int] = set()
    out = []
    for s in range(n):
        if s in seen:
            continue
        comp = [i for i, d in enumerate(distances(n, edges, s)) if d is not None]
        seen |= set(comp)
        out.append(comp)
    return sorted(out, key=lambda c: (-len(c), c[0]))
