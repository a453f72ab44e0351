"""Helpers shared by the tests (fixtures live in conftest.py; plain functions live here)."""


def rl_overrides(run_dir, model_dir, data, *extra):
    """key=value overrides for a tiny, fast RL run on the count puzzles."""
    return [f"run.out_dir={run_dir}", f"model.path={model_dir}",
            f"data.train=[{{name: count, adapter: puzzles, path: '{data['train']}'}}]",
            f"data.eval=[{{name: held, adapter: puzzles, path: '{data['heldout']}'}}]",
            "rollout.group_size=4", "rollout.prompts_per_step=4", "rollout.max_new_tokens=48",
            "train.micro_batch_size=8", "eval.n=8", "reward.workers=1", *extra]


def prompt_encoder(processor, max_prompt_length: int = 512, template: str = "r1", system_prompt: str | None = None,
                   **format_kw):
    """A PromptEncoder asking for the answer format's instruction (as the wiring builds it)."""
    from mmreason.prompts import PromptEncoder
    from mmreason.rewards import AnswerFormat

    fmt = AnswerFormat(template, **format_kw)
    return PromptEncoder(processor, instruction=fmt.instruction, system_prompt=system_prompt,
                         max_prompt_length=max_prompt_length)
