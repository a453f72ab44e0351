"""`mmreason pipeline CONFIG`: a list of stages run in order, each stage's output feeding the next by name, resumable
stage by stage.

    pipeline:
      - {name: cold_start, stage: sft, overrides: {sft: {steps: 300}}}
      - {name: reasoning_rl, stage: rl, from: cold_start, overrides: {train: {steps: 60}}}
      - {name: rs, stage: sample, from: reasoning_rl, overrides: {sample: {k: 8, keep: shortest}}}
      - {name: rs_sft, stage: sft, from: cold_start, data: rs}
      - {name: final_rl, stage: rl, from: rs_sft}

Each stage runs with the top-level config plus its `overrides` (config sections, merged), in RUN_DIR/<name>/ (its
own metrics.jsonl, progress.json, checkpoints and config.yaml). `from` names the stage whose model it starts from
(or a path; default: the last earlier stage that made a model, else `model.path`); `data` names a sample stage whose
output becomes `data.train` (sft reads its kept completions, dpo its pairs, rl its prompts with `meta.pass_rate`);
a merge stage averages `from` (weight `weight`) with `other`. Every stage config is built and validated before the
first stage runs; the starting model is evaluated once as `initial`.

RUN_DIR/pipeline.json records, after every stage and atomically, its outputs, wall time, held-out results and a
fingerprint of its config. Running the same command again skips finished stages (a finished stage whose config
changed is refused, naming it) and continues an interrupted one from its own last checkpoint (`train.resume`);
RUN_DIR/summary.json has the held-out accuracy after every stage.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from .atomic import write_json
from .config import Config, to_dict, to_yaml
from .config.load import check_keys
from .distributed import comm
from .errors import ConfigError
from .stages.single import MODEL_OUT, execute_stage

PIPELINE_FILE = "pipeline.json"
DATA_KEY = {"sft": "sft", "dpo": "pairs", "rl": "difficulty"}   # which sample output a stage's `data` reads
NEEDS_STEPS = {"sft": ("sft", "steps"), "rl": ("train", "steps"), "dpo": ("dpo", "steps")}


@dataclass
class StageSpec:
    index: int
    name: str
    kind: str
    start: str | None = None        # `from`
    data: str | None = None
    other: str | None = None
    weight: float = 0.5
    overrides: dict = field(default_factory=dict)

    @classmethod
    def of(cls, i: int, raw: dict) -> "StageSpec":
        return cls(i, raw["name"], raw["stage"], raw.get("from"), raw.get("data"), raw.get("other"),
                   float(raw.get("weight", 0.5)), dict(raw.get("overrides") or {}))


@dataclass
class Planned:
    spec: StageSpec
    cfg: Config
    outputs: dict                   # what the stage will write (paths), known before it runs
    fingerprint: str


def expected_outputs(kind: str, cfg: Config) -> dict:
    from .stages.sample import sample_out_dir

    if kind in MODEL_OUT:
        return {"model": str(Path(cfg.run.out_dir) / MODEL_OUT[kind])}
    if kind == "sample":
        s, out = cfg.sample, sample_out_dir(cfg)
        return {"sft": str(out / "sft") if s.keep != "none" else None,
                "pairs": str(out / "pairs") if s.pairs != "none" else None,
                "difficulty": str(out / "difficulty") if s.difficulty else None, "report": str(out / "report.json")}
    return {}


def _ref(value: str | None, plan: dict[str, Planned], fallback: str) -> str:
    """A model path: an earlier stage's model, a path as given, or (None) the fallback."""
    if value is None:
        return fallback
    if value in plan:
        return plan[value].outputs["model"]
    return value


def _stage_cfg(cfg: Config, spec: StageSpec, root: Path, model: str, data_path: str | None) -> Config:
    where = f"pipeline[{spec.index}].overrides"
    check_keys(spec.overrides, Config, "", where)
    if "pipeline" in spec.overrides:
        raise ConfigError(f"{where}.pipeline: a stage cannot hold a pipeline")
    base = to_dict(cfg)
    base["pipeline"] = []
    try:
        merged = OmegaConf.merge(OmegaConf.structured(Config), base, spec.overrides)
        merged.run.out_dir, merged.model.path, merged.train.resume = str(root / spec.name), model, True
        merged.data.build = []  # built once by the pipeline
        if data_path is not None:
            if "train" in spec.overrides.get("data", {}):
                raise ConfigError(f"{where}.data.train: pipeline[{spec.index}] reads `data: {spec.data}`; "
                                  "give one or the other")
            merged = OmegaConf.merge(merged, {"data": {"train": [{"name": spec.data, "adapter": "puzzles",
                                                                  "path": data_path}]}})
        out: Config = OmegaConf.to_object(merged)
    except OmegaConfBaseException as e:
        raise ConfigError(f"{where}: {str(e).splitlines()[0]}") from None
    try:
        out.validate()
    except ConfigError as e:
        raise ConfigError(f"pipeline[{spec.index}] ({spec.name}): {e}") from None
    if spec.kind in NEEDS_STEPS:
        section, key = NEEDS_STEPS[spec.kind]
        if getattr(getattr(out, section), key) <= 0:
            raise ConfigError(f"pipeline[{spec.index}] ({spec.name}): a {spec.kind} stage needs {section}.{key} > 0")
    return out


def _flat(d, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict) and v:
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def config_delta(cfg: Config) -> str:
    """The keys whose values differ from the defaults (canonical JSON): a stage's fingerprint reads this, so a key
    added to the schema later (at its default) leaves finished stages resumable."""
    base = _flat(to_dict(Config()))
    return json.dumps({k: v for k, v in _flat(to_dict(cfg)).items() if k not in base or base[k] != v},
                      sort_keys=True, default=str)


def plan(cfg: Config, root: Path, init_model: str) -> dict[str, Planned]:
    """Every stage's config and outputs, in order, built and validated before anything runs."""
    planned: dict[str, Planned] = {}
    last_model = init_model
    for i, raw in enumerate(cfg.pipeline):
        spec = StageSpec.of(i, raw)
        if spec.name == "initial":
            raise ConfigError(f"pipeline[{i}].name: 'initial' is reserved (the evaluation of the starting model)")
        model = _ref(spec.start, planned, last_model)
        data_path = None
        if spec.data is not None:
            data_path = planned[spec.data].outputs.get(DATA_KEY[spec.kind])
            if data_path is None:
                raise ConfigError(f"pipeline[{i}].data: stage '{spec.data}' writes no {DATA_KEY[spec.kind]} data "
                                  f"(see its sample.keep / sample.pairs / sample.difficulty)")
        scfg = _stage_cfg(cfg, spec, root, model, data_path)
        if spec.kind == "merge":
            spec.other = _ref(spec.other, planned, last_model)
        text = config_delta(scfg) + json.dumps([spec.kind, spec.other, spec.weight])
        planned[spec.name] = Planned(spec, scfg, expected_outputs(spec.kind, scfg),
                                     hashlib.sha256(text.encode()).hexdigest()[:16])
        if "model" in planned[spec.name].outputs:
            last_model = planned[spec.name].outputs["model"]
    return planned


# ---------------------------------------------------------------------------------------------- running
def read_record(root: Path) -> dict:
    path = root / PIPELINE_FILE
    return json.loads(path.read_text()) if path.is_file() else {"stages": {}}


def _check_finished(record: dict, planned: dict[str, Planned]) -> None:
    for name, entry in record["stages"].items():
        if name in planned and entry.get("fingerprint") != planned[name].fingerprint:
            raise ConfigError(f"pipeline stage '{name}' finished with a different config (fingerprint "
                              f"{entry.get('fingerprint')} → {planned[name].fingerprint}); use another run.out_dir, "
                              f"or delete {PIPELINE_FILE}'s entry and the stage directory to run it again")


def _entry(p: Planned, res: dict, model: str | None) -> dict:
    return {"stage": p.spec.kind, "from": model, "other": p.spec.other if p.spec.kind == "merge" else None,
            "outputs": res["outputs"], "wall_time_s": res["wall_time_s"], "heldout": res["heldout"],
            "resumed": res["resumed"], "fingerprint": p.fingerprint, "run_dir": p.cfg.run.out_dir}


def _initial(cfg: Config, root: Path, init_model: str) -> Planned:
    spec = StageSpec(-1, "initial", "eval")
    return Planned(spec, _stage_cfg(cfg, spec, root, init_model, None), {}, "initial")


def _say(line: str) -> None:
    if comm.is_main():
        print(line, flush=True)


def summary_of(record: dict, names: list[str]) -> dict:
    out: dict = {"stages": names, "wall_time_s": round(sum(e["wall_time_s"] for e in record["stages"].values()), 1)}
    for name in ["initial", *names]:
        e = record["stages"].get(name)
        if e is None:
            continue
        out[f"wall_time_s/{name}"] = e["wall_time_s"]
        for mode, r in (e.get("heldout") or {}).items():
            for key, label in (("accuracy/mean", "heldout_accuracy"), ("response_length/mean", "response_length")):
                if key in r:
                    out[f"{label}/{mode}/{name}"] = r[key]
    return out


def run_pipeline(cfg: Config) -> dict:
    """Run (or continue) the pipeline in `run.out_dir`; returns the summary."""
    from . import wiring
    from .model import resolve_model_path

    comm.init_from_env(cfg.deepspeed.timeout_s)
    if not cfg.pipeline:
        raise ConfigError("pipeline: no stages (give a list of {name, stage, ...}; see mmreason pipeline --help)")
    wiring.check_names(cfg)
    root = Path(cfg.run.out_dir).absolute()
    if comm.is_main():
        root.mkdir(parents=True, exist_ok=True)
        (root / "config.yaml").write_text(to_yaml(cfg))
        wiring.build_datasets(cfg.data.build)
    m = cfg.model
    init_model = wiring.on_main_first(lambda: resolve_model_path(m.path, root, m.tiny_size, m.tiny_seed))
    planned = {"initial": _initial(cfg, root, init_model), **plan(cfg, root, init_model)}
    record = read_record(root)
    _check_finished(record, planned)
    for name, p in planned.items():
        if name in record["stages"]:
            _say(f"[pipeline] {name}: finished earlier, skipped")
            continue
        _say(f"[pipeline] {name}: {p.spec.kind} in {p.cfg.run.out_dir}")
        res = execute_stage(p.cfg, p.spec.kind, name, other=p.spec.other, weight=p.spec.weight)
        record["stages"][name] = _entry(p, res, p.cfg.model.path)
        record["order"] = list(planned)
        if comm.is_main():
            write_json(root / PIPELINE_FILE, record)
        _say(f"[pipeline] {name}: done in {res['wall_time_s']:.1f}s, held-out {_line(res['heldout'])}")
    summary = summary_of(record, [n for n in planned if n != "initial"])
    if comm.is_main():
        write_json(root / "summary.json", summary)
    return summary


def _line(held: dict | None) -> str:
    if not held:
        return "-"
    return ", ".join(f"{mode} {r.get('accuracy/mean', float('nan')):.3f} (length {r.get('response_length/mean', 0):.1f})"
                     for mode, r in held.items())
