"""Which algorithm settings go together: pairings that are mathematically wrong, or that silently do nothing, are
refused at config time with the reason (the wiring raises them as config errors naming the key).

Each rule is a pure predicate over plain values; `problems(...)` returns (key, reason) pairs.
"""

from __future__ import annotations

LOSS_AGGREGATION = {
    # the Kimi per-token loss already divides its τ term by the response length (so Σ_t gives the sequence
    # objective): any token mean divides it a second time
    "kimi": ("seq_mean_token_sum", "Kimi's per-token loss already divides its τ term by the response length; "
                                   "only seq_mean_token_sum (Σ_t, then the mean over responses) gives the paper's "
                                   "objective — a token mean would divide it twice"),
    # GSPO's token form carries the sequence value on every token: the token mean per sequence recovers the
    # sequence objective; a token-weighted mean would weigh sequences by their length
    "gspo": ("seq_mean_token_mean", "GSPO's sequence ratio is carried by every token, so only the per-sequence "
                                    "token mean (seq_mean_token_mean) reproduces the sequence-level objective"),
}


def problems(*, advantage: str, loss: str, aggregation: str, kl_beta: float, kl_in_reward: bool,
             ref_reset_every: int, dynamic_sampling: bool, group_size: int, critic: bool,
             overlong_max: int | None, overlong_cache: int, max_new_tokens: int,
             rl_steps: int = 1) -> list[tuple[str, str]]:
    if rl_steps <= 0:  # no RL stage: nothing to pair
        return []
    out = []
    if loss in LOSS_AGGREGATION and aggregation != LOSS_AGGREGATION[loss][0]:
        out.append(("algorithm.aggregation", f"loss '{loss}' needs aggregation "
                                             f"'{LOSS_AGGREGATION[loss][0]}', got '{aggregation}': "
                                             f"{LOSS_AGGREGATION[loss][1]}"))
    if advantage == "gae" and loss != "ppo_clip":
        out.append(("algorithm.loss", f"GAE gives one advantage per token; '{loss}' needs one per response "
                                      "(use loss=ppo_clip with PPO's critic)"))
    if (advantage == "gae") != critic:
        out.append(("algorithm.advantage", "GAE advantages need a critic and a critic needs GAE advantages: set "
                                           "algorithm.advantage=gae together with critic.enabled=true"))
    if kl_beta <= 0 and kl_in_reward:
        out.append(("algorithm.kl_in_reward", "kl_beta is 0, so there is no KL to fold into the reward (and no "
                                              "reference model is loaded): set algorithm.kl_beta > 0"))
    if kl_beta <= 0 and ref_reset_every:
        out.append(("algorithm.ref_reset_every", "kl_beta is 0, so no reference model is loaded and there is "
                                                 "nothing to reset: set algorithm.kl_beta > 0"))
    if dynamic_sampling and group_size < 2:
        out.append(("algorithm.dynamic_sampling", "a group of one sample is never informative: dynamic sampling "
                                                  "would drop every group (rollout.group_size must be >= 2)"))
    if group_size < 2 and not critic:
        out.append(("rollout.group_size", f"'{advantage}' compares the samples of a group; with one sample every "
                                          "advantage is 0 and nothing is learned (use >= 2, or PPO's critic)"))
    if overlong_max is not None and overlong_max - overlong_cache >= max_new_tokens:
        out.append(("reward.overlong_max", f"the soft overlong window starts at overlong_max − overlong_cache = "
                                           f"{overlong_max - overlong_cache}, at or past the generation budget "
                                           f"rollout.max_new_tokens={max_new_tokens}: the shaping never acts"))
    return out
