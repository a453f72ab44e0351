"""Line charts as inline SVG, drawn in Python: no JavaScript library, no network, one string per chart.

A chart has one or more series (name, xs, ys); a None or non-finite y breaks the line. Axes get "nice" ticks
(1, 2, 2.5, 5 × 10^n), every point has a tooltip (its series, x and y), and a series with one point is a dot.
Series colours come from `PALETTE` in order, so the first series of every chart is the same blue.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f",
           "#bcbd22")
WIDTH, HEIGHT = 400, 250
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 30, 66    # plot margins (the legend's two rows sit under the x axis)
MAX_MARKERS = 150                             # points drawn with a tooltip circle per series


@dataclass
class Series:
    name: str
    xs: list[float]
    ys: list[float | None]
    dashed: bool = False


def _finite(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def nice_ticks(lo: float, hi: float, n: int = 5, integer: bool = False) -> list[float]:
    """About n round tick values covering [lo, hi] (`integer`: whole-number spacing, for steps)."""
    if not (_finite(lo) and _finite(hi)):
        return [0.0, 1.0]
    if hi <= lo:
        pad = abs(lo) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    raw = (hi - lo) / max(n - 1, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    if integer:
        step = max(1.0, float(math.ceil(step)))
    first = math.floor(lo / step) * step
    ticks, t = [], first
    while t < hi + step * 0.999:
        ticks.append(round(t, 12))
        t += step
    return ticks


def fmt_tick(v: float, step: float | None = None) -> str:
    """A tick label with as many decimals as the tick spacing `step` needs (so close ticks stay distinct)."""
    if v == 0:
        return "0"
    if abs(v) >= 1e5 or (abs(v) < 1e-3 and (step is None or step < 1e-3)):
        return f"{v:.2e}"
    if step is None:
        return f"{v:.4g}"
    decimals = max(0, -math.floor(math.log10(step)) + (0 if round(step / 10 ** math.floor(math.log10(step)), 6)
                                                         in (1, 2, 5) else 1))
    return f"{v:.{decimals}f}"


def _segments(xs, ys) -> list[list[tuple[float, float]]]:
    segs, cur = [], []
    for x, y in zip(xs, ys):
        if _finite(x) and _finite(y):
            cur.append((float(x), float(y)))
        elif cur:
            segs.append(cur)
            cur = []
    return segs + ([cur] if cur else [])


def _frame(title, x_label, xt, yt, sx, sy) -> list[str]:
    out = [f'<text class="ctitle" x="{LEFT}" y="18">{escape(title)}</text>']
    ystep, xstep = (yt[1] - yt[0] if len(yt) > 1 else None), (xt[1] - xt[0] if len(xt) > 1 else None)
    for t in yt:
        y = sy(t)
        out.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        out.append(f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{fmt_tick(t, ystep)}</text>')
    for t in xt:
        x = sx(t)
        out.append(f'<text class="tick" x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">'
                   f'{fmt_tick(t, xstep)}</text>')
    out.append(f'<rect class="axes" x="{LEFT}" y="{TOP}" width="{WIDTH - LEFT - RIGHT}" '
               f'height="{HEIGHT - TOP - BOTTOM}"/>')
    out.append(f'<text class="tick" x="{WIDTH - RIGHT}" y="{HEIGHT - BOTTOM + 28}" text-anchor="end">'
               f'{escape(x_label)}</text>')
    return out


def _legend(series: list[Series]) -> list[str]:
    out, x, y = [], 8, HEIGHT - 22
    for i, s in enumerate(series):
        color = PALETTE[i % len(PALETTE)]
        label = s.name if len(s.name) <= 28 else s.name[:27] + "…"
        width = 26 + 6.2 * len(label)
        if x + width > WIDTH and x > 8:
            if y > HEIGHT - 22:
                break  # a third row would overflow: the tooltips still name every series
            x, y = 8, HEIGHT - 6
        out.append(f'<line x1="{x}" x2="{x + 16}" y1="{y - 4}" y2="{y - 4}" stroke="{color}" stroke-width="3"/>')
        out.append(f'<text class="legend" x="{x + 20}" y="{y}">{escape(label)}</text>')
        x += width
    return out


def _series_svg(i: int, s: Series, sx, sy) -> list[str]:
    color = PALETTE[i % len(PALETTE)]
    dash = ' stroke-dasharray="5 3"' if s.dashed else ""
    out = []
    points = [p for seg in _segments(s.xs, s.ys) for p in seg]
    for seg in _segments(s.xs, s.ys):
        if len(seg) > 1:
            pts = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in seg)
            out.append(f'<polyline class="series" data-series="{escape(s.name)}" points="{pts}" fill="none" '
                       f'stroke="{color}" stroke-width="2.2"{dash}/>')
    step = max(1, len(points) // MAX_MARKERS)
    for x, y in points[::step]:
        r = 3.2 if len(points) == 1 or s.dashed else 1.6
        out.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="{r}" fill="{color}">'
                   f'<title>{escape(s.name)} @ {fmt_tick(x)}: {y:.4g}</title></circle>')
    return out


def line_chart(title: str, series: list[Series], x_label: str = "step", empty_note: str = "no data") -> str:
    """One chart as an <svg> element (an empty frame with `empty_note` when no series has a finite point)."""
    series = [s for s in series if _segments(s.xs, s.ys)]
    head = (f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">')
    if not series:
        return (head + f'<text class="ctitle" x="{LEFT}" y="18">{escape(title)}</text>'
                f'<text class="note" x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">{escape(empty_note)}'
                '</text></svg>')
    pts = [p for s in series for seg in _segments(s.xs, s.ys) for p in seg]
    xt = nice_ticks(min(p[0] for p in pts), max(p[0] for p in pts), integer=True)
    yt = nice_ticks(min(p[1] for p in pts), max(p[1] for p in pts))
    x0, x1, y0, y1 = xt[0], xt[-1], yt[0], yt[-1]
    sx = lambda x: LEFT + (x - x0) / ((x1 - x0) or 1) * (WIDTH - LEFT - RIGHT)  # noqa: E731
    sy = lambda y: HEIGHT - BOTTOM - (y - y0) / ((y1 - y0) or 1) * (HEIGHT - TOP - BOTTOM)  # noqa: E731
    body = _frame(title, x_label, xt, yt, sx, sy)
    for i, s in enumerate(series):
        body += _series_svg(i, s, sx, sy)
    return head + "".join(body + _legend(series)) + "</svg>"
