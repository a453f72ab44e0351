"""Rule-checked rewards: answer extraction, verifiers (by name), a hardened pool, the composite reward.

    from mmreason.rewards import AnswerFormat, RewardFunction, VerifierPool, VerifyRequest
    with VerifierPool(workers=2, timeout_s=2.0) as pool:
        reward_fn = RewardFunction(AnswerFormat("r1"), format_weight=0.5, pool=pool)
        breakdowns = reward_fn([VerifyRequest(completion, gold="1/2", verifier="math")])

Verifier names: math, numeric, integer, choice, exact, ocr_exact, ocr_anls, ocr_cer, box_iou, and steps (a
reasoning trace scored against a row's checkable intermediate steps).
Importing this package registers all of them in VERIFIERS.
"""

from .base import VERIFIERS, Verifier, get_verifier
from .extract import extract_answer, format_score, format_score_plain
from . import boxes, math_answers, ocr, simple  # noqa: F401  (registers the built-in verifiers)
from . import steps  # noqa: F401,E402  (registers `steps`: reasoning scored against a row's meta.steps)
from .answer_format import TEMPLATES, AnswerFormat
from .pool import VerifierPool, VerifyRequest, score_one
from .reward import RewardBreakdown, RewardFunction
from .summary import summarize_rewards

__all__ = ["VERIFIERS", "Verifier", "get_verifier", "extract_answer", "format_score", "format_score_plain",
           "TEMPLATES", "AnswerFormat", "VerifierPool", "VerifyRequest", "score_one", "RewardBreakdown",
           "RewardFunction", "summarize_rewards"]
