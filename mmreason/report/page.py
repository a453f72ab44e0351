"""The report's page: curves of the training metrics, held-out results per stage, and the rollout browser, in one
self-contained HTML file (inline CSS, a few lines of inline JavaScript for the view and step selectors and the
filters, images as data URIs, charts as inline SVG)."""

from __future__ import annotations

import re
from html import escape

from ..observe.eval_table import eval_table, metric_order
from .charts import Series, line_chart
from .data import RunData

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:0;color:#222;background:#fff}
header{padding:14px 22px;border-bottom:1px solid #ddd;background:#fafafa}
h1{font-size:20px;margin:0 0 4px}h2{font-size:17px;margin:22px 0 8px}main{padding:0 22px 40px}
.meta{color:#555;font-size:13px}.charts{display:flex;flex-wrap:wrap;gap:10px}
svg.chart{border:1px solid #e3e3e3;border-radius:4px;background:#fff}
.ctitle{font-size:13px;font-weight:600;fill:#222}.tick,.legend{font-size:11px;fill:#555}
.note{color:#666;font-style:italic}.grid{stroke:#eee}.axes{fill:none;stroke:#bbb}
table.held{border-collapse:collapse;font-size:13px}table.held td,table.held th{border:1px solid #ddd;
padding:3px 8px;text-align:right}table.held td:first-child,table.held th:first-child{text-align:left}
pre{white-space:pre-wrap;word-break:break-word;margin:2px 0;font:12px/1.4 ui-monospace,Menlo,Consolas,monospace}
.tabs button,.filters button{margin:0 4px 8px 0;padding:4px 10px;border:1px solid #bbb;background:#f4f4f4;
border-radius:4px;cursor:pointer}.tabs button.on,.filters button.on{background:#444;color:#fff;border-color:#444}
.group{border:1px solid #ddd;border-radius:6px;margin:10px 0;overflow:hidden}
.ghead{background:#f6f6f6;padding:6px 10px;font-size:13px;border-bottom:1px solid #e5e5e5}
.gbody{display:flex;gap:12px;padding:8px 10px}.gleft{flex:0 0 300px;max-width:300px}.gright{flex:1;min-width:0}
img.pimg{image-rendering:pixelated;border:1px solid #ccc;display:block;margin-bottom:6px;max-width:280px;
height:auto}
img.thumb{width:96px;image-rendering:pixelated;border:1px solid #ccc}
pre.prompt{max-height:160px;overflow:auto;background:#fbfbfb}
.comp{border-left:4px solid #bbb;padding:4px 8px;margin:0 0 8px;background:#fcfcfc}
.comp.correct{border-left-color:#2ca02c}.comp.wrong{border-left-color:#d62728}
.badge{display:inline-block;padding:0 6px;border-radius:3px;font-size:12px;color:#fff;background:#888}
.badge.correct{background:#2ca02c}.badge.wrong{background:#d62728}.badge.trunc{background:#ff7f0e}
.chead{font-size:12.5px;color:#444}.reward{font-size:12.5px;color:#333;margin:2px 0}
.lbl{font-size:11px;text-transform:uppercase;color:#888}.think pre{color:#555}.answer pre{font-weight:600}
body[data-filter=correct] .comp:not(.correct),body[data-filter=wrong] .comp:not(.wrong),
body[data-filter=truncated] .comp:not(.truncated){display:none}
"""

JS = """
function show(attr, value, sel){document.querySelectorAll(sel).forEach(function(e){
  e.hidden = e.getAttribute(attr) !== value;});}
document.querySelectorAll('.tabs button').forEach(function(b){b.onclick=function(){
  document.querySelectorAll('.tabs button').forEach(function(x){x.classList.toggle('on', x===b);});
  show('data-view', b.dataset.view, '.view');};});
document.querySelectorAll('.filters button').forEach(function(b){b.onclick=function(){
  document.querySelectorAll('.filters button').forEach(function(x){x.classList.toggle('on', x===b);});
  document.body.dataset.filter = b.dataset.filter;};});
var sel = document.getElementById('stepsel');
if (sel) sel.onchange = function(){show('data-step', sel.value, '.stepgroups');};
"""


def _values(records: list[dict], key: str) -> tuple[list, list]:
    return [r["step"] for r in records], [r.get(key) for r in records]


def _series(records: list[dict], keys: list[str], rename=lambda k: k) -> list[Series]:
    return [Series(rename(k), *_values(records, k)) for k in keys]


def _keys(records: list[dict], pattern: str) -> list[str]:
    return sorted({k for r in records for k in r if re.fullmatch(pattern, k)})


def _eval_series(data: RunData, metric: str, label: str) -> list[Series]:
    """Held-out `metric` (e.g. `greedy/accuracy/mean`) at the RL steps it was measured (dashed)."""
    pts = [(r["step"], r.get(metric)) for r in data.evals if isinstance(r.get("step"), int) and metric in r
           and r["phase"] != "eval/initial"]
    return [Series(label, [p[0] for p in pts], [p[1] for p in pts], dashed=True)] if pts else []


def _per_source(records: list[dict], prefix: str) -> list[str]:
    """`<prefix>/source/<s>` keys when there are several sources (one would repeat the mean)."""
    keys = _keys(records, rf"{prefix}/source/.+")
    return keys if len(keys) > 1 else []


def training_charts(data: RunData) -> list[str]:
    rl, per_source = data.rl, lambda prefix: _per_source(data.rl, prefix)  # noqa: E731
    kl_note = "no KL recorded" + (" (algorithm.kl_beta = 0)" if not data.cfg("algorithm.kl_beta") else "")
    charts = [
        line_chart("Reward", _series(rl, ["reward/mean"] + per_source("reward"))),
        line_chart("Accuracy (per source; held-out dashed)",
                   _series(rl, ["accuracy/mean"] + _keys(rl, r"accuracy/source/.+"))
                   + _eval_series(data, "greedy/accuracy/mean", "held-out greedy")
                   + _eval_series(data, "sampled/accuracy/mean", "held-out sampled")),
        line_chart("Response length (tokens)", _series(rl, ["response_length/mean", "response_length/max"])),
        line_chart("Format rate and truncation", _series(rl, ["format/mean", "truncated_frac"])),
        line_chart("KL", _series(rl, _keys(rl, r"kl|approx_kl|kl_reward_penalty")), empty_note=kl_note),
        line_chart("Entropy (nats/token)", _series(rl, ["entropy"])),
        line_chart("Clip fraction", _series(rl, _keys(rl, r"clip_frac(_low|_high)?"))),
        line_chart("Phase time (s per step)", _series(rl, ["time/step"] + [k for k in _keys(rl, r"time/.+")
                                                                            if k != "time/step"])),
    ]
    if data.sft:
        charts.append(line_chart("Cold-start SFT loss", _series(data.sft, ["loss"]), x_label="SFT step"))
    passk = sorted(_keys(data.evals, r"sampled/(pass|maj)@\d+/mean"), key=lambda k: metric_order(k.split("/")[1]))
    if any(k != "sampled/pass@1/mean" for k in passk):
        charts.append(line_chart("Held-out pass@k / maj@k (sampled)",
                                 [s for k in passk for s in _eval_series(data, k, k.split("/")[1])]))
    return charts


def stage_order(name: str) -> tuple:
    """initial, cold_start, rl_step_<N> by N, rl, then anything else by name."""
    m = re.fullmatch(r"rl_step_(\d+)", name)
    fixed = {"initial": (0, 0), "cold_start": (1, 0), "rl": (3, 0)}
    return fixed.get(name) or ((2, int(m.group(1))) if m else (4, 0)), name


def _mode_columns(heldout: dict, mode: str) -> list[tuple[str, str]]:
    """(metric key, header) of one mode: accuracy (= pass@1), pass@j…, maj@k, format, length, truncated."""
    found = {k.split("/")[0] for res in heldout.values() for k in res.get(mode, {})
             if re.fullmatch(r"(pass@\d+|maj@\d+)/mean", k) and k != "pass@1/mean"}
    return ([("accuracy/mean", "accuracy")] + [(f"{n}/mean", n) for n in sorted(found, key=metric_order)]
            + [("format/mean", "format"), ("response_length/mean", "length"), ("truncated_frac", "truncated")])


def _cell(v) -> str:
    if not isinstance(v, (int, float)):
        return "<td>–</td>"
    return f"<td>{v:.3f}</td>" if abs(v) < 10 else f"<td>{v:.1f}</td>"


def heldout_table(data: RunData) -> str:
    if not data.heldout:
        return '<p class="note">no held-out evaluation recorded</p>'
    modes = sorted({m for res in data.heldout.values() for m in res}, key=lambda m: (m != "greedy", m))
    cols = {m: _mode_columns(data.heldout, m) for m in modes}
    head = "<tr><th>stage</th>" + "".join(f"<th>{m} {escape(c)}</th>" for m in modes for _, c in cols[m]) + "</tr>"
    names = sorted(data.heldout, key=stage_order)
    rows = ["<tr><td>" + escape(name) + "</td>" + "".join(_cell(data.heldout[name].get(m, {}).get(key))
                                                         for m in modes for key, _ in cols[m]) + "</tr>"
            for name in names]
    details = "".join(f"<details><summary>{escape(name)}: per source, family and difficulty</summary>"
                      f"<pre>{escape(eval_table(data.heldout[name], name))}</pre></details>" for name in names)
    return f'<table class="held">{head}{"".join(rows)}</table>{details}'


def header(data: RunData) -> str:
    c = data.cfg
    bits = [f"algorithm <b>{escape(str(c('algorithm.advantage', '?')))}</b> / {escape(str(c('algorithm.loss', '?')))}",
            f"model <code>{escape(str(c('model.path') or 'embedded tiny'))}</code>",
            f"G={c('rollout.group_size', '?')}, P={c('rollout.prompts_per_step', '?')}",
            f"RL steps logged: {len(data.rl)}", f"SFT steps logged: {len(data.sft)}"]
    if data.summary.get("wall_time_s") is not None:
        bits.append(f"wall time {data.summary['wall_time_s']} s")
    return (f"<header><h1>mmreason run report: {escape(data.run_dir.name)}</h1>"
            f'<div class="meta">{escape(str(data.run_dir))} · {" · ".join(bits)}</div></header>')


def render_page(data: RunData, rollouts_html: str, steps: list[int]) -> str:
    tabs = ('<div class="tabs"><button class="on" data-view="steps">by step</button>'
            '<button data-view="longest">longest responses</button>'
            '<button data-view="hacking">reward without accuracy</button></div>'
            '<div class="filters">show: <button class="on" data-filter="all">all</button>'
            '<button data-filter="correct">correct</button><button data-filter="wrong">wrong</button>'
            '<button data-filter="truncated">truncated</button></div>') if steps else ""
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>mmreason report: {escape(data.run_dir.name)}</title><style>{CSS}</style></head>"
            f'<body data-filter="all">{header(data)}<main>'
            f'<h2>Training curves</h2><div class="charts">{"".join(training_charts(data))}</div>'
            f"<h2>Held-out results per stage</h2>{heldout_table(data)}"
            f"<h2>Rollouts</h2>{tabs}{rollouts_html}</main><script>{JS}</script></body></html>")
