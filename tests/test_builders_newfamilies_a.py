"""Families of set A (grid_path, graph_path, connectivity, symmetry, rotation, tiling_area, shaded_fraction, venn,
function_value, function_intersection, slope, pie_chart, line_chart): every gold answer re-derived by a second
solver written here, mostly from the pixels of the written PNG (frame found by its dark lines, cells / curves /
sectors / dots sampled by colour), otherwise from the stored state with an independent algorithm (BFS, Fraction
algebra, a question parser) — never through the generator's own solving code. Also: `mmreason build --list` and
the contact-sheet command."""

import json
import math
import os
import re
import subprocess
import sys
from collections import deque
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from data_builders import build_dataset, read_rows
from data_builders.visibility import View, count_components, ink_mask

A = ["grid_path", "graph_path", "connectivity", "symmetry", "rotation", "tiling_area", "shaded_fraction", "venn",
     "function_value", "function_intersection", "slope", "pie_chart", "line_chart"]
SIZE = 224
BLUE, RED, GREEN, YELLOW = (30, 90, 235), (220, 38, 38), (22, 150, 60), (232, 184, 0)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    d = build_dataset("puzzles", tmp_path_factory.mktemp("a") / "a", n=len(A) * 5 * 6, seed=21, families=A)
    return d, read_rows(d)


def pixels(root, row) -> np.ndarray:
    return np.asarray(Image.open(root / row["images"][0]).convert("RGB"), dtype=np.int16)


def near(arr, rgb, tol=60) -> np.ndarray:
    return np.abs(arr - np.asarray(rgb, dtype=np.int16)).max(axis=2) <= tol


def saturated(arr, gap=60) -> np.ndarray:
    return (arr.max(axis=2) - arr.min(axis=2)) > gap


def frame(arr, dark=100, share=0.5):
    """(left, top, right, bottom) of the long dark lines that frame a grid or a plot."""
    d = (arr < dark).all(axis=2)
    rows = np.nonzero(d.sum(axis=1) > share * d.shape[1])[0]
    cols = np.nonzero(d.sum(axis=0) > share * d.shape[0])[0]
    return cols.min(), rows.min(), cols.max(), rows.max()


def bfs(neighbours, start) -> dict:
    """Hop counts from `start` (breadth-first), `neighbours(node)` giving the nodes one step away."""
    dist, todo = {start: 0}, deque([start])
    while todo:
        cur = todo.popleft()
        for nxt in neighbours(cur):
            if nxt not in dist:
                dist[nxt] = dist[cur] + 1
                todo.append(nxt)
    return dist


def cell_samples(arr, g) -> dict:
    x0, y0, x1, y1 = frame(arr)
    c = (x1 - x0) / g
    return {(r, k): arr[int(y0 + (r + 0.5) * c), int(x0 + (k + 0.5) * c)] for r in range(g) for k in range(g)}


def solve_grid_path(arr, row):
    cells = cell_samples(arr, row["meta"]["grid"])
    close = lambda px, rgb: np.abs(px - np.asarray(rgb)).max() < 40  # noqa: E731
    free = {rc for rc, px in cells.items() if not close(px, (70, 70, 70))}
    step = lambda rc: [n for n in ((rc[0] + 1, rc[1]), (rc[0] - 1, rc[1]), (rc[0], rc[1] + 1), (rc[0], rc[1] - 1))
                       if n in free]  # noqa: E731
    find = lambda rgb: [rc for rc, px in cells.items() if close(px, rgb)]  # noqa: E731
    (start,), (goal,), star = find(GREEN), find(RED), find(YELLOW)
    if star:
        return bfs(step, start)[star[0]] + bfs(step, star[0])[goal]
    return bfs(step, start)[goal]


def solve_graph_path(arr, row):
    st = json.loads(row["meta"]["state_json"])
    a, b = re.search(r"from node (\w) to node (\w)", row["question"]).groups()
    nodes = st["nodes"]
    for u, v in st["edges"]:  # every edge is drawn: its midpoint is ink
        mx, my = [(p + q) / 2 * SIZE for p, q in zip(nodes[u], nodes[v])]
        assert arr[int(my) - 1:int(my) + 2, int(mx) - 1:int(mx) + 2].min() < 140, (row["id"], u, v)
    return bfs(lambda n: sorted({y for e in st["edges"] for x, y in (e, e[::-1]) if x == n}), a)[b]


def solve_connectivity(arr, row):
    blobs = count_components(ink_mask(View(SIZE).to_model(Image.fromarray(arr.astype(np.uint8)))))
    assert blobs == row["meta"]["n_groups"], row["id"]
    if row["meta"]["question_type"] == "groups":
        return blobs
    st = json.loads(row["meta"]["state_json"])
    lines = [tuple(map(tuple, ln)) for ln in st["lines"]]
    red = next(tuple(d[:2]) for d in st["dots"] if d[2])
    assert near(arr, RED, 40).sum() > 10
    return len(bfs(lambda d: [q for p, q in lines + [ln[::-1] for ln in lines] if p == d], red))


def solve_symmetry(arr, row):
    g = row["meta"]["grid"]
    palette: list = []   # the distinct cell colours seen, white excluded
    grid = np.zeros((g, g), dtype=int)
    for (r, k), px in cell_samples(arr, g).items():
        if px.min() <= 200:
            match = next((i for i, p in enumerate(palette) if np.abs(px - p).max() < 40), None)
            if match is None:
                palette.append(px)
            grid[r, k] = (len(palette) - 1 if match is None else match) + 1
    mirrors = [grid[:, ::-1], grid[::-1, :], grid.T, np.rot90(grid, 2).T]
    return sum(np.array_equal(grid, m) for m in mirrors)


def _centred(mask, side=200) -> np.ndarray:
    ys, xs = np.nonzero(mask)
    cy, cx = ys.mean(), xs.mean()
    im = Image.fromarray((mask * 255).astype(np.uint8))
    return np.asarray(im.crop((round(cx) - side // 2, round(cy) - side // 2, round(cx) + side // 2,
                               round(cy) + side // 2)))


def solve_rotation(arr, row):
    sat = saturated(arr, 40)
    left, right = sat.copy(), sat.copy()
    left[:, int(0.47 * SIZE):] = False
    right[:, :int(0.55 * SIZE)] = False
    a, b = _centred(left), _centred(right) > 127
    scores = {}
    for deg in range(0, 360, 45):
        turned = np.asarray(Image.fromarray(a).rotate(-deg, resample=Image.BILINEAR)) > 127  # clockwise on screen
        scores[deg] = (turned & b).sum() / (turned | b).sum()
    best, second = sorted(scores, key=scores.get, reverse=True)[:2]
    assert scores[best] > 0.6 and scores[best] - scores[second] > 0.1, (row["id"], scores)
    return best if row["meta"]["question_type"] == "clockwise" else (360 - best) % 360


def solve_tiling_area(arr, row):
    g = row["meta"]["grid"]
    x0, y0, x1, y1 = frame(arr)
    c = (x1 + 1 - x0) / g  # pixel j covers [j, j + 1): the frame's outer edges are x0 and x1 + 1
    named = re.search(r"the (\w+) shape", row["question"]).group(1)
    colors = {"blue": (30, 90, 235), "green": GREEN, "red": RED, "purple": (160, 30, 150)}
    mask = near(arr, colors[named], 50) if named != "shaded" else saturated(arr)
    span = lambda lo, i: slice(round(lo + (i + 0.15) * c), round(lo + (i + 0.85) * c))  # noqa: E731
    total = 0.0
    for r in range(g):
        for k in range(g):
            share = mask[span(y0, r), span(x0, k)].mean()  # a half cell fills half of any centred window
            assert min(abs(share - v) for v in (0, 0.5, 1)) < 0.12, (row["id"], r, k, share)
            total += round(share * 2) / 2
    return Fraction(total)


def solve_shaded_fraction(arr, row):
    """Shaded share of the figure's pixels (lines and their blends excluded on both sides alike): per cell for
    bars and grids (a cell is empty, half or full), over the whole disc for circles."""
    st = json.loads(row["meta"]["state_json"])
    dark = (arr < 100).all(axis=2)
    clear = sum(np.roll(np.roll(dark, dy, 0), dx, 1) for dy in range(-2, 3) for dx in range(-2, 3)) == 0
    fill, n = saturated(arr) & clear, row["meta"]["n_parts"]
    if st["figure"] == "circle":
        yy, xx = np.mgrid[0:SIZE, 0:SIZE]
        ys, xs = np.nonzero(dark)
        cx, cy, rad = (xs.min() + xs.max()) / 2, (ys.min() + ys.max()) / 2, (xs.max() - xs.min()) / 2
        disc = clear & ((xx - cx) ** 2 + (yy - cy) ** 2 < (rad - 3) ** 2)
        k = (fill & disc).sum() / disc.sum() * n
        assert abs(k - round(k)) < 0.3, (row["id"], k)
        return Fraction(round(k), n)
    x0, y0, x1, y1 = frame(arr, share=0.3)
    rows, cols = st["dims"]
    halves = 2 if st["figure"] == "halves" else 1
    k = 0
    for r in range(rows):
        for c in range(cols):
            box = (slice(int(y0 + r * (y1 - y0) / rows), int(y0 + (r + 1) * (y1 - y0) / rows)),
                   slice(int(x0 + c * (x1 - x0) / cols), int(x0 + (c + 1) * (x1 - x0) / cols)))
            share = fill[box].sum() / clear[box].sum() * halves
            assert abs(share - round(share)) < 0.2, (row["id"], r, c, share)
            k += round(share)
    return Fraction(k, n)


VENN = [  # (phrase, which regions count) — region = the set of circles a region lies in
    (r"in (\w) only$", lambda m, a: m == {a[0]}), (r"in both (\w) and (\w)$", lambda m, a: set(a) <= m),
    (r"in (\w) but not in (\w)$", lambda m, a: a[0] in m and a[1] not in m),
    (r"in (\w) or (\w) \(or both\)$", lambda m, a: bool(set(a) & m)), (r"in (\w)$", lambda m, a: a[0] in m),
    (r"in exactly one of the sets$", lambda m, a: len(m) == 1), (r"in exactly two of", lambda m, a: len(m) == 2),
    (r"in at least two of", lambda m, a: len(m) >= 2), (r"in all three sets$", lambda m, a: len(m) == 3),
    (r"in none of the sets$", lambda m, a: not m)]


def solve_venn(arr, row):
    st = json.loads(row["meta"]["state_json"])
    text = (arr < 120).all(axis=2)  # the region counts are the only near-black ink: one blob per written digit
    assert count_components(text) == len(st["counts"]), row["id"]
    phrase = re.search(r"How many items are (.*)\?$", row["question"]).group(1)
    pred, args = next((p, re.match(pat, phrase).groups()) for pat, p in VENN if re.match(pat, phrase))
    return sum(v for key, v in st["counts"].items() if pred(set(key) - {"-"}, args))


def plot_reader(arr, lo_x, hi_x, lo_y, hi_y):
    x0, y0, x1, y1 = frame(arr)
    to_px = lambda x: x0 + (x - lo_x) / (hi_x - lo_x) * (x1 - x0)  # noqa: E731
    to_y = lambda row_px: lo_y + (y1 - row_px) / (y1 - y0) * (hi_y - lo_y)  # noqa: E731

    def read(color, x, dot=False) -> float:
        col = int(round(to_px(x)))
        if dot:  # a marker dot: the only place where a 5×5 block is all curve colour (lines are ~3 px wide)
            m = near(arr, color, 70).astype(int)
            box = sum(np.roll(np.roll(m, dy, 0), dx, 1) for dy in range(-2, 3) for dx in range(-2, 3))
            ys = np.nonzero((box[y0:y1 + 1, col - 2:col + 3] == 25).any(axis=1))[0] + y0
            return to_y(np.median(ys))
        ys = np.nonzero(near(arr[y0:y1 + 1, col - 1:col + 2], color, 70).any(axis=1))[0] + y0  # inside the frame
        return to_y(np.median(ys))
    return read, to_px, to_y


def solve_function_value(arr, row):
    st = json.loads(row["meta"]["state_json"])
    lo, hi = st["range"]
    read = plot_reader(arr, lo, hi, lo, hi)[0]
    asked = row["question"].split("What is ")[1]            # f(3) or f(g(3))
    x = int(re.search(r"(-?\d+)\)+\?$", asked).group(1))
    curves = dict(zip("fg", st["curves"]))
    for name in reversed(re.findall(r"([fg])\(", asked)):  # innermost first: each value read off its curve
        kind, *k = [Fraction(v) if i else v for i, v in enumerate(curves[name])]
        exact = k[0] * x + k[1] if kind == "line" else k[0] * (x - k[1]) ** 2 + k[2]
        seen = read({"f": BLUE, "g": RED}[name], x)
        assert abs(seen - exact) < 0.3, (row["id"], name, x, seen, exact)
        x = round(seen)
    return x


def solve_function_intersection(arr, row):
    st = json.loads(row["meta"]["state_json"])
    lo, hi = st["range"]
    (k1, *c1), (k2, *c2) = st["curves"][:2]
    c1, c2 = [Fraction(v) for v in c1], [Fraction(v) for v in c2]
    if k2 == "line":
        x = (c2[1] - c1[1]) / (c1[0] - c2[0])
        points = [(x, c1[0] * x + c1[1])]
    else:  # line m x + b against a (x - h)^2 + v: a x^2 - (2 a h + m) x + (a h^2 + v - b) = 0
        a, h, v = c2
        qa, qb, qc = a, -(2 * a * h + c1[0]), a * h * h + v - c1[1]
        disc = math.sqrt(qb * qb - 4 * qa * qc)
        xs = sorted(Fraction(round((-qb + sign * disc) / (2 * qa))) for sign in (1, -1))
        assert all(qa * x * x + qb * x + qc == 0 for x in xs), row["id"]  # both crossings are grid points
        points = [(x, c1[0] * x + c1[1]) for x in xs]
    _, to_px, _ = plot_reader(arr, lo, hi, lo, hi)
    x0, y0, x1, y1 = frame(arr)
    for x, y in points:  # both colours meet at the crossing in the picture
        px, py = int(to_px(x)), int(y1 - (y - lo) / (hi - lo) * (y1 - y0))
        win = arr[py - 3:py + 4, px - 3:px + 4]
        assert near(win, BLUE, 70).any() and near(win, RED, 70).any(), (row["id"], x, y)
    ask = row["meta"]["question_type"]
    x, y = {"left": points[0], "right": points[-1]}.get(ask, points[0])
    return y if ask == "y" else x


def solve_slope(arr, row):
    st = json.loads(row["meta"]["state_json"])
    (xlo, xhi), (ylo, yhi) = st["x_range"], st["y_range"]
    x0, y0, x1, y1 = frame(arr)
    ys, xs = np.nonzero(near(arr, BLUE, 60))
    pts = np.stack([(xs - x0) / (x1 - x0) * (xhi - xlo), (y1 - ys) / (y1 - y0) * (yhi - ylo)], axis=1)
    pts = pts - pts.mean(axis=0)
    direction = np.linalg.svd(pts, full_matrices=False)[2][0]
    fitted = direction[1] / direction[0]
    best = min((Fraction(p, q) for q in range(1, 5) for p in range(-20, 21)), key=lambda f: abs(f - fitted))
    assert abs(best - fitted) < 0.06 * max(1, abs(fitted)), (row["id"], fitted)
    return best


def solve_pie_chart(arr, row):
    st = json.loads(row["meta"]["state_json"])
    c, r = SIZE / 2, 0.34 * SIZE * 0.6   # a ring inside the pie; angle 0 = 3 o'clock, clockwise (y down)
    ring = lambda deg: arr[int(c + r * math.sin(math.radians(deg))), int(c + r * math.cos(math.radians(deg)))]  # noqa
    samples = [ring(t / 4) for t in range(1440)]
    measured, start = [], st["start"] - 90
    for p in st["shares"]:  # the colour at a sector's middle angle fills exactly its share of the ring
        mid = ring(start + 1.8 * p)
        measured.append(sum(np.abs(s - mid).max() < 30 for s in samples) / 14.4)
        start += 3.6 * p
    assert all(abs(m - p) < 2.5 for m, p in zip(measured, st["shares"])), (row["id"], measured)
    share = dict(zip("PQRSTU", (5 * round(m / 5) for m in measured)))
    q, qt = row["question"], row["meta"]["question_type"]
    named = re.findall(r"\b([P-U])\b", q)  # sector letters are the only single capitals P-U
    if qt in ("largest", "smallest"):
        return (max if qt == "largest" else min)(share, key=share.get)
    if qt == "sum":
        return share[named[0]] + share[named[1]]
    return share[named[0]] - share[named[1]] if qt == "difference" else share[named[0]]


def solve_line_chart(arr, row):
    st = json.loads(row["meta"]["state_json"])
    months = st["months"]
    read, _, _ = plot_reader(arr, 0, len(months) + 1, 0, st["top"] + st["grid"])
    values = [round(read(BLUE, i + 1, dot=True)) for i in range(len(months))]
    assert values == st["values"], row["id"]
    named = [months.index(m) for m in re.findall(r"\b([A-Z][a-z]{2})\b", row["question"]) if m in months]
    qt = row["meta"]["question_type"]
    if qt == "value":
        return values[named[0]]
    if qt in ("highest", "lowest"):
        return months[values.index(max(values) if qt == "highest" else min(values))]
    if qt == "change":
        return abs(values[named[1]] - values[named[0]])
    if qt == "biggest_rise":
        rises = [b - a for a, b in zip(values, values[1:])]
        return months[rises.index(max(rises)) + 1]
    return max(values) - min(values)


def same(derived, gold: str) -> bool:
    if isinstance(derived, str):
        return derived == gold
    return Fraction(derived) == Fraction(gold)


@pytest.mark.parametrize("family", A)
def test_second_solver_agrees(built, family):
    """Every gold answer equals what an independent solver derives (mostly from the picture itself)."""
    root, rows = built
    solve = globals()[f"solve_{family}"]
    mine = [r for r in rows if r["family"] == family]
    assert {r["difficulty"] for r in mine} == {1, 2, 3, 4, 5}
    wrong = [(r["id"], r["answer"], solve(pixels(root, r), r)) for r in mine]
    wrong = [w for w in wrong if not same(w[2], w[1])]
    assert not wrong, wrong


def test_knobs_and_traces(built):
    """Difficulty moves the size knobs; level-1 traces stay short (≤ 60 whitespace words)."""
    _, rows = built
    for fam, key in [("grid_path", "grid"), ("graph_path", "n_nodes"), ("connectivity", "n_objects"),
                     ("symmetry", "grid"), ("shaded_fraction", "n_parts"), ("pie_chart", "n_sectors"),
                     ("line_chart", "n_points"), ("venn", "n_regions")]:
        means = [np.mean([r["meta"][key] for r in rows if r["family"] == fam and r["difficulty"] == lv])
                 for lv in range(1, 6)]
        assert all(a <= b for a, b in zip(means, means[1:])) and means[0] < means[-1], (fam, means)
    assert all(len(r["reasoning"].split()) <= 60 for r in rows if r["difficulty"] == 1)


def _cli(*args):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "mmreason", "build", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=300)


def test_list_shows_every_family_with_answers_and_knobs():
    from data_builders import families

    p = _cli("--list")
    assert p.returncode == 0, p.stderr
    for kind in ("puzzles", "ocr"):
        for name in families(kind):
            line = next((ln for ln in p.stdout.splitlines() if ln.strip().startswith(f"{name}  [kind: {kind}]")), None)
            assert line is not None and "answers: " in line and "(" in line, name
    assert re.search(r"slope  \[kind: puzzles\]  answers: number \(math\)", p.stdout)
    assert "    5: {" in p.stdout


def test_contact_sheet_command_writes_one_png_per_family(tmp_path):
    p = _cli("puzzles", "--families", "venn,slope,count", "--contact-sheet", str(tmp_path / "s"), "--sheet-items", "2")
    assert p.returncode == 0, p.stderr
    files = sorted(f.name for f in (tmp_path / "s").iterdir())
    assert files == ["count.png", "slope.png", "venn.png"]
    for f in files:
        im = Image.open(tmp_path / "s" / f)
        im.load()
        assert im.format == "PNG" and im.width > 300 and im.height > 5 * 168
        assert (tmp_path / "s" / f).stat().st_size < 100_000
    bad = _cli("puzzles", "--families", "vennn", "--contact-sheet", str(tmp_path / "t"))
    assert bad.returncode != 0 and "did you mean 'venn'" in bad.stderr


def test_committed_contact_sheets_cover_every_family():
    from data_builders import families

    sheets = ROOT / "data_builders" / "contact_sheets"
    for kind in ("puzzles", "ocr"):
        for name in families(kind):
            path = sheets / f"{name}.png"
            assert path.is_file() and path.stat().st_size < 100_000, (
                f"{path} missing or too large: regenerate with `mmreason build --contact-sheet {sheets}`")
