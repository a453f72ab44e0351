"""The start-up check of token budgets: does every source's reference answer fit the generation budget, and does
every prompt (image tokens included) fit the prompt budget? Said per source and family, with the numbers and the
key to change, before any training — a budget that cuts every answer of a family before `</answer>` makes that
family unlearnable, in rollouts and evaluation alike, and nothing else would say so.
"""

from __future__ import annotations

from collections import defaultdict
from statistics import median

from ..errors import ConfigError, PromptError

TARGETS_PER_GROUP = 256   # reference answers tokenized per (source, family)
PROMPTS_PER_GROUP = 8     # prompts encoded (with their images) per (source, family)


def _groups(sources) -> dict[tuple[str, str], list]:
    out: dict[tuple[str, str], list] = defaultdict(list)
    for name, _weight, samples in sources:
        for s in samples:
            out[(name, s.meta.get("family") or "-")].append(s)
    return out


def _target_line(where: str, lengths: list[int], limit: int, key: str) -> str | None:
    over = [n for n in lengths if n > limit]
    if not over:
        return None
    return (f"{where}: {len(over)}/{len(lengths)} reference answers are longer than {key}={limit} "
            f"({min(lengths)}–{max(lengths)} tokens, median {median(lengths):g}), so they are cut before the answer "
            f"ends — raise {key} to at least {max(lengths)}")


def _prompt_line(where: str, encoder, samples: list, limit: int) -> str | None:
    lengths, refused = [], 0
    for s in samples[:PROMPTS_PER_GROUP]:
        try:
            lengths.append(len(encoder.encode(s).input_ids))
        except PromptError:
            refused += 1
    if not refused:
        return None
    seen = f" (the others {min(lengths)}–{max(lengths)} tokens)" if lengths else ""
    return (f"{where}: {refused}/{refused + len(lengths)} probed prompts are longer than "
            f"prompt.max_prompt_length={limit} with their image tokens{seen} — raise prompt.max_prompt_length or "
            "lower model.max_pixels")


def budget_findings(cfg, encoder, answer_format, train_sources, eval_sources) -> list[str]:
    """One line per (source, family) whose reference answers or prompts do not fit; [] when all fit."""
    r, e = cfg.rollout, cfg.eval
    eval_limit = e.max_new_tokens or r.max_new_tokens
    eval_key = "eval.max_new_tokens" if e.max_new_tokens else "rollout.max_new_tokens"
    lines = []
    for group, sources, limit, key in (("train", train_sources, r.max_new_tokens, "rollout.max_new_tokens"),
                                       ("eval", eval_sources, eval_limit, eval_key)):
        for (name, family), samples in sorted(_groups(sources).items()):
            where = f"{group} source '{name}'" + (f", family {family}" if family != "-" else "")
            texts = [answer_format.target(s.answer, s.reasoning) for s in samples[:TARGETS_PER_GROUP]]
            lengths = [len(encoder.encode_completion(t)) - 1 for t in texts]  # without the end-of-turn token
            for line in (_target_line(where, lengths, limit, key),
                         _prompt_line(where, encoder, samples, encoder.max_prompt_length)):
                if line:
                    lines.append(line)
    return lines


def check_budgets(ctx, parts) -> list[str]:
    """Run the check as `data.budget_check` says (warn: print and record; error: refuse; off: skip) on the training
    sources and the held-out set."""
    mode = ctx.cfg.data.budget_check
    if mode == "off":
        return []
    by_source: dict[str, list] = defaultdict(list)
    for s in parts.eval_set:
        by_source[s.source].append(s)
    eval_sources = [(name, 1.0, samples) for name, samples in by_source.items()]
    lines = budget_findings(ctx.cfg, parts.encoder, parts.answer_format, parts.train_sources, eval_sources)
    if lines and mode == "error":
        raise ConfigError("token budgets do not fit (data.budget_check=error):\n  " + "\n  ".join(lines))
    for line in lines:
        ctx.say(f"[budget] {line}")
    ctx.progress["budget_warnings"] = lines
    return lines
