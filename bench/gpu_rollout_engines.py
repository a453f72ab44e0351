"""Rollout engines on one GPU: transformers `generate` (hf) vs vLLM on a Qwen2.5-VL-3B-shaped model with random
weights, built here (nothing from a hub). Generated tokens/s, weight-sync time, vLLM's sleep/wake (time and memory
freed) and the bf16 logprob gap between vLLM and the trainer's forward after a sync. Prints one JSON object.

    python bench/gpu_rollout_engines.py                      # ~5 minutes on one H200
    python bench/gpu_rollout_engines.py --layers 1 --vision-depth 1 --prompts 2 --max-new-tokens 8 --device cpu

Needs torch, transformers, pillow and tokenizers (and vllm for the vLLM half: without it the vLLM entry says so
and the hf figures are still reported). Random weights never stop early, so every completion is
`--max-new-tokens` long on both engines: the same work. 3B shapes: text 2048 × 36 layers (16 heads, 2 KV heads,
MLP 11008, vocab 151,936, tied embeddings), vision 1280 × 32 layers; 448×448 images (256 image tokens each).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]  # runs from a bare checkout (no install needed)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")


def build_model(out: Path, layers: int, vision_depth: int, image_px: int, device: str,
                shape: dict | None = None) -> Path:
    """A Qwen2.5-VL-3B-shaped model with random bf16 weights, the embedded tokenizer and a real processor.
    `shape`: {"text": {...}, "vision": {...}} config keys replacing the 3B ones (CPU smoke runs of narrow models)."""
    import torch
    from transformers import (Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration, Qwen2_5_VLProcessor,
                              Qwen2VLImageProcessor, Qwen2VLVideoProcessor)

    from mmreason.tiny_model import CHAT_TEMPLATE, train_tokenizer

    tok = train_tokenizer(1024)
    ids = tok.convert_tokens_to_ids
    text = dict(vocab_size=151936, hidden_size=2048, intermediate_size=11008, num_hidden_layers=layers,
                num_attention_heads=16, num_key_value_heads=2, max_position_embeddings=32768, max_window_layers=layers,
                rms_norm_eps=1e-6, rope_parameters={"rope_type": "default", "rope_theta": 1000000.0,
                                                     "mrope_section": [16, 24, 24]},
                bos_token_id=ids("<|endoftext|>"), eos_token_id=ids("<|im_end|>"), pad_token_id=ids("<|endoftext|>"))
    vision = dict(depth=vision_depth, hidden_size=1280, intermediate_size=3420, num_heads=16, out_hidden_size=2048,
                  patch_size=14, spatial_merge_size=2, temporal_patch_size=2, window_size=112,
                  fullatt_block_indexes=[i for i in (7, 15, 23, 31) if i < vision_depth] or [vision_depth - 1])
    text.update((shape or {}).get("text", {}))
    vision.update((shape or {}).get("vision", {}))
    config = Qwen2_5_VLConfig(text_config=text, vision_config=vision, image_token_id=ids("<|image_pad|>"),
                              video_token_id=ids("<|video_pad|>"), vision_start_token_id=ids("<|vision_start|>"),
                              vision_end_token_id=ids("<|vision_end|>"), tie_word_embeddings=True)
    pixels = dict(min_pixels=56 * 56, max_pixels=image_px * image_px, patch_size=14, merge_size=2,
                  temporal_patch_size=2)
    processor = Qwen2_5_VLProcessor(image_processor=Qwen2VLImageProcessor(**pixels), tokenizer=tok,
                                    video_processor=Qwen2VLVideoProcessor(**pixels), chat_template=CHAT_TEMPLATE)
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.bfloat16)
    try:
        with torch.device(device):
            torch.manual_seed(0)
            model = Qwen2_5_VLForConditionalGeneration(config)
    finally:
        torch.set_default_dtype(default)
    model.save_pretrained(out)
    processor.save_pretrained(out)
    del model
    return out


def vllm_extras(engine, policy, prompts, sampling) -> dict:
    """vLLM only: sleep/wake (time, memory freed) and the gap (bf16 on GPUs) to the trainer's forward after a sync."""
    import torch

    from mmreason.trainer.batch import rollout_batch
    from mmreason.trainer.logprobs import response_logprobs

    out = {}
    if engine.sleep_mode and torch.cuda.is_available():
        free0 = torch.cuda.mem_get_info()[0]
        t0 = time.perf_counter()
        engine.sleep()
        t1 = time.perf_counter()
        free1 = torch.cuda.mem_get_info()[0]
        engine.wake()
        t2 = time.perf_counter()
        sync = engine.load_weights(policy.model.named_parameters())
        out["sleep"] = {"sleep_s": round(t1 - t0, 3), "wake_weights_s": round(t2 - t1, 3),
                        "sync_after_wake_s": round(sync, 4), "freed_gib": round((free1 - free0) / 2**30, 2)}
    else:
        out["sleep"] = {"skipped": "no sleep mode on this platform"}
    engine.load_weights(policy.model.named_parameters())
    few = prompts[:4]
    got = engine.generate(few, sampling.with_(n=2))
    batch = rollout_batch(few, got, 0)
    with torch.no_grad():
        lp, _ = response_logprobs(policy.model, batch, temperature=sampling.temperature)
    mask = batch.response_mask.bool()
    gap = (lp.float().cpu() - batch.rollout_logprobs)[mask].abs()
    out["parity_after_sync"] = {"max": round(float(gap.max()), 5), "mean": round(float(gap.mean()), 6),
                          "tokens": int(mask.sum())}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--layers", type=int, default=36)
    ap.add_argument("--vision-depth", type=int, default=32)
    ap.add_argument("--image-px", type=int, default=448)
    ap.add_argument("--prompts", type=int, default=32)
    ap.add_argument("--group-size", type=int, default=8)
    ap.add_argument("--max-new-tokens", type=int, default=128)
    ap.add_argument("--temperature", type=float, default=1.0)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--gpu-memory-utilization", type=float, default=0.35)
    ap.add_argument("--out-dir", default="", help="where the model is written (default: a temporary directory)")
    args = ap.parse_args()

    import torch
    from transformers.utils import logging as hf_logging

    from bench_rollout_engines import CPU_VLLM_OPTIONS, compare, encoded_prompts
    from mmreason.model import load_policy
    from mmreason.rollout import SamplingParams

    hf_logging.disable_progress_bar()
    cuda = args.device.startswith("cuda")
    t0 = time.perf_counter()
    model_dir = build_model(Path(args.out_dir or tempfile.mkdtemp(prefix="gpu_engines.")) / "model",
                            args.layers, args.vision_depth, args.image_px, args.device)
    build_s = time.perf_counter() - t0
    policy = load_policy(str(model_dir), dtype="bfloat16" if cuda else "float32", device=args.device)
    prompts = encoded_prompts(policy.processor, args.prompts, args.image_px, max_prompt_length=8192)
    sampling = SamplingParams(n=args.group_size, temperature=args.temperature, max_new_tokens=args.max_new_tokens)
    options = ({"gpu_memory_utilization": args.gpu_memory_utilization, "max_model_len": 4096} if cuda
               else dict(CPU_VLLM_OPTIONS))
    result = {"bench": "rollout_engines_gpu", "device": torch.cuda.get_device_name() if cuda else "cpu",
              "torch": torch.__version__, "parameters": sum(p.numel() for p in policy.model.parameters()),
              "layers": args.layers, "vision_depth": args.vision_depth, "image_px": args.image_px,
              "prompt_tokens": len(prompts[0].input_ids), "prompts": args.prompts, "group_size": args.group_size,
              "max_new_tokens": args.max_new_tokens, "dtype": "bfloat16" if cuda else "float32",
              "model_build_s": round(build_s, 1), "vllm_options": options}
    result.update(compare(policy, prompts, sampling, args.repeats, ["hf", "vllm"], options,
                          vllm_after=lambda engine: vllm_extras(engine, policy, prompts, sampling)))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
