"""The stage loops of a run — cold-start SFT, RL, held-out evaluation — over parts built by `mmreason.wiring`.

Each stage reads the run context (config, run dir, metrics log, progress) and the parts it needs, resumes from its
own last complete checkpoint, and leaves the policy it trained in `parts.policy`.
"""

from .context import Parts, RunContext
from .heldout import evaluate_heldout
from .rl import make_rl_trainer, run_rl
from .sft import run_sft

__all__ = ["Parts", "RunContext", "evaluate_heldout", "make_rl_trainer", "run_rl", "run_sft"]
