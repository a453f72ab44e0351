"""The console table of a held-out evaluation: one row per group of items (all, each source, family and
difficulty), one column per metric (greedy pass@1; sampled pass@1, pass@j…, maj@k)."""

from __future__ import annotations

import re

KINDS = ("source", "family", "difficulty")


def metric_order(name: str) -> tuple:
    m = re.fullmatch(r"(pass|maj)@(\d+)", name)
    return (m.group(1) == "maj", int(m.group(2))) if m else (True, 0)


def table_columns(res: dict) -> list[tuple[str, str, str]]:
    """(mode, metric, header) for each column, e.g. ("sampled", "pass@4", "sampled pass@4")."""
    cols = []
    for mode, r in res.items():
        names = sorted({k.split("/")[0] for k in r if re.fullmatch(r"(pass|maj)@\d+/mean", k)}, key=metric_order)
        cols += [(mode, name, f"{mode} {name}") for name in names]
    return cols


def table_rows(res: dict) -> list[tuple[str, str]]:
    """(label, key suffix) per row: ("all", "mean"), then ("source/x", "source/x") per group, sorted in each kind."""
    rows = [("all", "mean")]
    seen = {k[len("items/"):] for r in res.values() for k in r if k.startswith("items/")}
    for kind in KINDS:
        labels = sorted((g for g in seen if g.startswith(kind + "/")), key=lambda g: (len(g), g))
        rows += [(g, g) for g in labels]
    return rows


def eval_table(res: dict, name: str = "eval") -> str:
    """A fixed-width text table of `{mode: metrics}` (what `evaluate_heldout` returns)."""
    if not res:
        return f"held-out evaluation '{name}': no samples"
    cols = table_columns(res)
    rows = table_rows(res)
    first = next(iter(res.values()))
    head = ["group", "items"] + [h for _, _, h in cols]
    body = []
    for label, suffix in rows:
        n = first.get("items" if suffix == "mean" else f"items/{suffix}")
        cells = [label, "" if n is None else str(int(n))]
        for mode, metric, _ in cols:
            v = res[mode].get(f"{metric}/{suffix}")
            cells.append("-" if v is None else f"{v:.3f}")
        body.append(cells)
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
    fmt = lambda cells: "  ".join(c.ljust(w) if i == 0 else c.rjust(w)  # noqa: E731
                                  for i, (c, w) in enumerate(zip(cells, widths)))
    ks = {mode: int(r.get("samples_per_item", 1)) for mode, r in res.items()}
    title = f"held-out evaluation '{name}' (" + ", ".join(f"{m}: {k} per item" for m, k in ks.items()) + ")"
    lines = [title, fmt(head), "  ".join("-" * w for w in widths)] + [fmt(r) for r in body]
    return "\n".join(lines)
