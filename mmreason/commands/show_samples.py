"""`mmreason show-samples`: render a few training samples exactly as the model will see them.

Loads the config's sources through their adapters, draws the first N samples of the mixture (the order training
uses for this seed), and prints for each the chat-rendered prompt (system prompt, instruction and template
applied by the policy's processor), its token count, the images and the frames of each video, the gold answer, the
verifier, the source and the difficulty. With --out the images and the video frames are saved there as PNG files.
"""

from __future__ import annotations

HELP = "render N training samples as the model will see them (prompt, images, video frames, gold answer, verifier)"
MAX_REASONING_CHARS = 400


def add_arguments(p):
    p.add_argument("config", nargs="?", help="YAML config file")
    p.add_argument("overrides", nargs="*", help="key=value overrides, e.g. run.seed=1")
    p.add_argument("--n", type=int, default=4, help="number of samples to show (default 4)")
    p.add_argument("--out", help="directory to save each sample's images and video frames into as PNG")
    p.add_argument("--source", help="show only samples of this source (by name)")
    p.add_argument("--eval", action="store_true", help="show the data.eval sources instead of data.train")


def _pick_sources(cfg, source: str | None, use_eval: bool):
    from ..errors import ConfigError
    from ..registry import closest

    group = "eval" if use_eval else "train"
    cfgs = list(getattr(cfg.data, group))
    if not cfgs:
        raise ConfigError(f"data.{group} has no sources: nothing to show")
    if source is not None:
        names = [c.name for c in cfgs]
        if source not in names:
            near = closest(source, names)
            hint = f"; did you mean {' or '.join(map(repr, near))}?" if near else ""
            raise ConfigError(f"--source '{source}' is not a data.{group} source{hint} (sources: {', '.join(names)})")
        cfgs = [c for c in cfgs if c.name == source]
    return cfgs


def _encoder(cfg):
    from .. import wiring
    from ..model import load_processor, resolve_model_path

    path = resolve_model_path(cfg.model.path, cfg.run.out_dir, cfg.model.tiny_size, cfg.model.tiny_seed)
    processor = load_processor(path, cfg.model.min_pixels, cfg.model.max_pixels)
    return wiring.prompt_encoder(cfg, processor, wiring.answer_format(cfg))


def _image_lines(sample, index: int, out) -> list[str]:
    from PIL import Image

    if out is None:
        return [f"  [{k}] {im.size[0]}x{im.size[1]} PIL image" if isinstance(im, Image.Image) else f"  [{k}] {im}"
                for k, im in enumerate(sample.images)]
    lines = []
    for k, im in enumerate(sample.load_images()):
        path = out / f"sample{index:03d}_image{k}.png"
        im.save(path, format="PNG")
        lines.append(f"  [{k}] {path} ({im.size[0]}x{im.size[1]})")
    return lines


def _video_lines(sample, index: int, out) -> list[str]:
    """Each clip's frames: listed (paths, or the video file and the frames it samples), or saved as PNGs to `out`."""
    from ..errors import MMReasonError

    lines = []
    for v, clip in enumerate(sample.videos):
        head = f"  video [{v}]: {len(clip)} frames at {sample.fps_of(v):g} frames/s"
        if out is None and hasattr(clip, "load_frames"):  # a video file: which frames it samples
            lines.append(f"{head} from {clip!r}")
            continue
        if out is None:
            lines.append(head)
            lines += [f"    [{k}] {_describe(f)}" for k, f in enumerate(clip)]
            continue
        lines.append(head)
        try:
            frames = sample.load_videos()[v]
        except MMReasonError as e:
            lines.append(f"    UNREADABLE: {e}")
            continue
        for k, im in enumerate(frames):
            path = out / f"sample{index:03d}_video{v}_frame{k}.png"
            im.save(path, format="PNG")
            lines.append(f"    [{k}] {path} ({im.size[0]}x{im.size[1]})")
    return lines


def _describe(frame) -> str:
    from PIL import Image

    return f"{frame.size[0]}x{frame.size[1]} PIL image" if isinstance(frame, Image.Image) else str(frame)


def _token_line(encoder, sample) -> str:
    from ..errors import MMReasonError

    try:
        enc = encoder.encode(sample)
    except MMReasonError as e:
        return f"REFUSED: {e}"
    videos = f", {enc.num_video_tokens} video tokens" if sample.videos else ""
    return f"{len(enc.input_ids)} tokens ({enc.num_image_tokens} image tokens{videos})"


def render_sample(sample, index: int, total: int, encoder, out) -> str:
    lines = [f"=== sample {index + 1}/{total}: {sample.id} ===",
             f"source: {sample.source}   verifier: {sample.verifier}   difficulty: "
             f"{'-' if sample.difficulty is None else sample.difficulty}"]
    lines.append(f"images ({len(sample.images)}):")
    lines += _image_lines(sample, index, out)
    if sample.videos:
        lines.append(f"videos ({len(sample.videos)}):")
        lines += _video_lines(sample, index, out)
    choices = (sample.meta.get("options") or {}).get("choices") if isinstance(sample.meta, dict) else None
    if choices:
        lines.append(f"options: {choices}")
    lines.append(f"--- prompt: {_token_line(encoder, sample)} ---")
    lines.append(encoder.render(sample).rstrip("\n"))
    lines.append(f"--- gold answer: {sample.answer}")
    if sample.reasoning:
        r = sample.reasoning
        more = " …" if len(r) > MAX_REASONING_CHARS else ""
        lines.append(f"--- reference reasoning: {r[:MAX_REASONING_CHARS]}{more}")
    return "\n".join(lines)


def run(args) -> int:
    from pathlib import Path

    from ..config import load_config
    from ..data import Mixture, derive_seed, load_sources, skip_summary
    from ..errors import ConfigError
    from .show_config import split_config_args

    if args.n < 1:
        raise ConfigError("--n must be >= 1")
    path, overrides = split_config_args(args.config, args.overrides)
    cfg = load_config(path, overrides)
    from .. import wiring

    wiring.check_names(cfg)
    from ..rewards import VERIFIERS

    # as training loads them: a row naming an unknown verifier is a bad row here too
    sources = load_sources(_pick_sources(cfg, args.source, args.eval), cfg.data.skip_bad_rows, VERIFIERS.names())
    for line in skip_summary(sources):
        print(line)
    # The RL phase's mixture seed (as the pipeline derives it), so these are the first samples RL will draw.
    samples = Mixture(sources, seed=derive_seed(cfg.run.seed, "rl")).next_batch(args.n)
    encoder = _encoder(cfg)
    out = None
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
    for i, sample in enumerate(samples):
        print(render_sample(sample, i, len(samples), encoder, out))
        print()
    return 0
