"""The rejection-sampling stage (`mmreason sample`; R1's rejection sampling, STaR, Kimi's long-to-short data):
k completions per prompt of `data.train` with the loaded checkpoint, verified by the training reward (same
verifiers, same answer format), then written as datasets the other stages read through the `puzzles` adapter:

    OUT/sft/         the kept correct completions (`sample.keep`), one row per completion; the SFT stage trains on
                     `meta.sft_target` (the completion as generated), loss on its tokens only
    OUT/pairs/       preference pairs (`sample.pairs`): `meta.chosen` ≻ `meta.rejected`, what the DPO stage reads
    OUT/difficulty/  every prompt with `meta.pass_rate` (mean accuracy of its k samples): a column the curriculum
                     reads (`data.curriculum.key=pass_rate order=descending`)
    OUT/report.json  pass@1 / pass@j / maj@k per source, family and difficulty; counts kept; mean lengths

STaR's rationalisation (`sample.rationalize`): a prompt none of whose k completions is correct is asked again with
the gold answer as a hint (`sample.hint`); a rationale is kept only if it verifies, and is written against the
prompt *without* the hint. Prompts are generated in chunks of `sample.batch_size`; each finished chunk is saved
(OUT/.work/), so a killed run continues where it stopped, with the same draws (each chunk's sampling is seeded by
the run seed and the chunk number). Rank 0 samples; other ranks wait.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import torch

from ..atomic import write_json
from ..data import derive_seed
from ..data.writer import write_dataset
from ..distributed import comm
from ..rollout.base import SamplingParams
from ..trainer.passk import pass_metrics
from ..trainer.rejection import Candidate, kept, needs_rationale, pairs
from ..trainer.scored import requests_for
from ..types import Message, TextPart
from .context import Parts, RunContext


def sample_out_dir(cfg) -> Path:
    return Path(cfg.sample.out) if cfg.sample.out else Path(cfg.run.out_dir) / "sampled"


def sampling_params(cfg) -> SamplingParams:
    s, r = cfg.sample, cfg.rollout
    return SamplingParams(n=s.k, temperature=r.temperature if s.temperature is None else s.temperature,
                          top_p=r.top_p, top_k=r.top_k, max_new_tokens=s.max_new_tokens or r.max_new_tokens,
                          stop=tuple(r.stop))


def prompts_of(cfg, parts: Parts) -> list:
    """The prompts to sample: every `data.train` source in config order, file order, the first `sample.prompts`."""
    out = [s for _name, _w, samples in parts.train_sources for s in samples]
    return out[:cfg.sample.prompts] if cfg.sample.prompts else out


def hinted(sample, hint: str):
    """The sample with the gold answer given as a hint at the end of its question (STaR's rationalisation)."""
    msg = sample.messages[-1]
    extra = TextPart(hint.format(answer=sample.answer))
    return dataclasses.replace(sample, messages=[*sample.messages[:-1], Message(msg.role, (*msg.content, extra))])


def generate_candidates(parts: Parts, samples: list, sampling: SamplingParams, gold_of=None,
                        rationalized: bool = False) -> list[list[Candidate]]:
    """k verified completions per sample (verified against the original sample's gold and verifier)."""
    completions = parts.engine.generate([parts.encoder.encode(s) for s in samples], sampling)
    originals = gold_of or samples
    flat = parts.reward_fn(requests_for(originals, completions))
    out, i = [], 0
    for comps in completions:
        group = []
        for c in comps:
            b = flat[i]
            i += 1
            group.append(Candidate(c.text, len(c.token_ids), float(b.accuracy), float(b.format), rationalized,
                                   b.extracted))
        out.append(group)
    return out


def _chunk(cfg, parts: Parts, samples: list, sampling: SamplingParams, index: int) -> dict:
    torch.manual_seed(derive_seed(cfg.run.seed, "sample", index))
    cands = generate_candidates(parts, samples, sampling)
    rats: list[list[Candidate]] = [[] for _ in samples]
    retry = [i for i, c in enumerate(cands) if needs_rationale(c, cfg.sample.require_format)]
    if cfg.sample.rationalize and retry:
        originals = [samples[i] for i in retry]
        hints = [hinted(s, cfg.sample.hint) for s in originals]
        for i, group in zip(retry, generate_candidates(parts, hints, sampling, originals, rationalized=True)):
            rats[i] = group
    return {"ids": [s.id for s in samples], "cands": [[dataclasses.asdict(c) for c in g] for g in cands],
            "rationales": [[dataclasses.asdict(c) for c in g] for g in rats]}


def _fingerprint(cfg, model: str, samples: list, sampling: SamplingParams) -> dict:
    s = cfg.sample
    return {"model": model, "seed": cfg.run.seed, "sampling": dataclasses.asdict(sampling), "ids": len(samples),
            "first_id": samples[0].id if samples else None, "rationalize": s.rationalize, "hint": s.hint,
            "batch_size": s.batch_size, "require_format": s.require_format}


def _work_dir(out: Path, fingerprint: dict) -> Path:
    """OUT/.work, emptied when it holds chunks of a different sampling (another model, k, temperature, ...)."""
    work = out / ".work"
    fp = work / "fingerprint.json"
    if work.exists() and (not fp.is_file() or json.loads(fp.read_text()) != json.loads(json.dumps(fingerprint))):
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    if not fp.is_file():
        write_json(fp, fingerprint)
    return work


def collect(ctx: RunContext, parts: Parts, samples: list, model: str) -> tuple[list, list]:
    """Candidates and rationales of every prompt, chunk by chunk, reusing chunks a killed run finished."""
    cfg = ctx.cfg
    sampling = sampling_params(cfg)
    work = _work_dir(sample_out_dir(cfg), _fingerprint(cfg, model, samples, sampling))
    bs = cfg.sample.batch_size
    cands, rats = [], []
    with ctx.console.task("sample", total=len(samples), unit="prompt", lines=False) as bar:
        for index, start in enumerate(range(0, len(samples), bs)):
            path = work / f"chunk-{index:06d}.json"
            if path.is_file():
                data = json.loads(path.read_text())
            else:
                data = _chunk(cfg, parts, samples[start:start + bs], sampling, index)
                write_json(path, data)
            cands += [[Candidate(**c) for c in g] for g in data["cands"]]
            rats += [[Candidate(**c) for c in g] for g in data["rationales"]]
            bar.update(min(len(samples), start + bs))
    return cands, rats


def _think(text: str, fmt) -> str | None:
    t = fmt.think_tag
    if f"<{t}>" in text and f"</{t}>" in text:
        return text.split(f"<{t}>", 1)[1].split(f"</{t}>", 1)[0]
    return None


def sft_rows(samples, cands, rats, s, fmt) -> list:
    rows = []
    for sample, group, rat in zip(samples, cands, rats):
        for j, c in enumerate(kept(group + rat, s.keep, s.max_per_prompt, s.require_format)):
            rows.append((sample, {"id": f"{sample.id}#{j}", "reasoning": _think(c.text, fmt),
                                  "meta": {"sft_target": c.text, "completion_tokens": c.tokens,
                                           "rationalized": c.rationalized}}))
    return rows


def pair_rows(samples, cands, s) -> list:
    rows = []
    for sample, group in zip(samples, cands):
        for j, (ch, rj) in enumerate(pairs(group, s.pairs, s.pairs_per_prompt, s.long_ratio, s.require_format)):
            rows.append((sample, {"id": f"{sample.id}#pair{j}", "meta": {
                "chosen": ch.text, "rejected": rj.text, "chosen_tokens": ch.tokens, "rejected_tokens": rj.tokens,
                "pair": s.pairs}}))
    return rows


def report(samples, cands, sft, pr, rats) -> dict:
    labels = {"source": [x.source or "default" for x in samples],
              "family": [x.meta.get("family") or "" for x in samples],
              "difficulty": ["" if x.difficulty is None else str(x.difficulty) for x in samples]}
    out = pass_metrics([([c.accuracy for c in g], [c.extracted for c in g]) for g in cands], labels)
    every = [c for g in cands for c in g]
    kept_tokens = [row[1]["meta"]["completion_tokens"] for row in sft]
    correct = [c.tokens for c in every if c.correct(False)]
    out.update({"prompts": len(samples), "completions": len(every), "sft_rows": len(sft), "pairs": len(pr),
                "prompts_with_kept": len({row[0].id for row in sft}),
                "rationalized_rows": sum(row[1]["meta"]["rationalized"] for row in sft),
                "rationalize_attempts": sum(bool(r) for r in rats),
                "tokens/mean_all": sum(c.tokens for c in every) / max(len(every), 1),
                "tokens/mean_correct": sum(correct) / max(len(correct), 1),
                "tokens/mean_kept": sum(kept_tokens) / max(len(kept_tokens), 1)})
    return out


def run_sample(ctx: RunContext, parts: Parts, model: str) -> dict:
    """Sample, verify, select and write; returns {"sft", "pairs", "difficulty", "report"} paths (None: not
    written) and the report."""
    cfg, s = ctx.cfg, ctx.cfg.sample
    out = sample_out_dir(cfg)
    outputs: dict = {"sft": None, "pairs": None, "difficulty": None, "report": str(out / "report.json")}
    res: dict = {}
    if comm.is_main():
        samples = prompts_of(cfg, parts)
        cands, rats = collect(ctx, parts, samples, model)
        sft = sft_rows(samples, cands, rats, s, parts.answer_format)
        pr = pair_rows(samples, cands, s)
        manifest = {"model": model, "k": s.k, "keep": s.keep, "pairs": s.pairs, "sampling":
                    dataclasses.asdict(sampling_params(cfg)), "seed": cfg.run.seed}
        if s.keep != "none":
            outputs["sft"] = str(write_dataset(out / "sft", sft, {**manifest, "kind": "sft"}))
        if s.pairs != "none":
            outputs["pairs"] = str(write_dataset(out / "pairs", pr, {**manifest, "kind": "pairs"}))
        if s.difficulty:
            est = [(x, {"meta": {"pass_rate": sum(c.accuracy for c in g) / len(g), "pass_rate_k": len(g)}})
                   for x, g in zip(samples, cands)]
            outputs["difficulty"] = str(write_dataset(out / "difficulty", est, {**manifest, "kind": "difficulty"}))
        res = report(samples, cands, sft, pr, rats)
        write_json(out / "report.json", {"outputs": outputs, **manifest, "report": res})
        shutil.rmtree(out / ".work", ignore_errors=True)
        ctx.say(f"[sample] {len(samples)} prompts × {s.k}: pass@1 {res.get('pass@1/mean', 0):.3f}, "
                f"kept {res['sft_rows']} completions, {res['pairs']} pairs → {out}", important=True)
    comm.barrier()
    return {"outputs": outputs, "report": res}
