import pytest

from mmreason.config import load_config, to_yaml
from mmreason.errors import ConfigError
from mmreason.wiring import check_names


def load_checked(path=None, overrides=()):
    """What every command does: load and validate the config, then check the names of registered parts."""
    cfg = load_config(path, overrides)
    check_names(cfg)
    return cfg


def write(tmp_path, text):
    p = tmp_path / "c.yaml"
    p.write_text(text)
    return str(p)


def test_defaults_then_yaml_then_overrides(tmp_path):
    path = write(tmp_path, "train:\n  steps: 5\noptim:\n  lr: 0.01\n")
    cfg = load_config(path, ["optim.lr=0.5", "rollout.group_size=4"])
    assert cfg.train.steps == 5          # from YAML
    assert cfg.optim.lr == 0.5           # override beats YAML
    assert cfg.rollout.group_size == 4   # override beats default
    assert cfg.rollout.temperature == 1.0  # default
    assert "steps: 5" in to_yaml(cfg)


def test_list_of_sources_and_free_options(tmp_path):
    path = write(tmp_path, "data:\n  train:\n    - {adapter: puzzles, path: /x}\n"
                           "    - {adapter: vqa, path: /y, weight: 3, options: {question_key: problem}}\n")
    cfg = load_config(path)
    assert [s.adapter for s in cfg.data.train] == ["puzzles", "vqa"]
    assert cfg.data.train[1].options == {"question_key": "problem"} and cfg.data.train[1].weight == 3
    assert cfg.data.train[0].name == "puzzles_0"  # default names are filled in


@pytest.mark.parametrize("overrides, message", [
    (["train.stepz=3"], "unknown config key 'train.stepz'; did you mean train.steps"),
    (["trian.steps=1"], "unknown config key 'trian'; did you mean train"),
    (["train.steps=abc"], "invalid value for 'train.steps'"),
    (["rollout.engine=vlm"], "rollout.engine: unknown rollout engine 'vlm'; did you mean 'vllm'"),
    (["prompt.template=r2"], "prompt.template: must be one of r1, plain, got 'r2'"),
    (["algorithm.kl_estimator=k4"], "algorithm.kl_estimator: must be one of k1, k2, k3, got 'k4'"),
    (["optim.schedule=cosin"], "optim.schedule: must be one of constant, linear, cosine"),
    (["model.dtype=fp32"], "model.dtype: must be one of float32, bfloat16, float16"),
    (["data.build=[{out: x, kind: puzzle}]"], "data.build[0].kind: must be one of puzzles, ocr, text, video, got 'puzzle'"),
    (["rollout.top_p=0"], "rollout.top_p: must be in (0, 1]"),
    (["algorithm.advantage=grpoo"], "algorithm.advantage: unknown advantage estimator 'grpoo'; did you mean 'grpo'"),
    (["data.train=[{adapter: puzzles, path: x, weightt: 2}]"], "'data.train[0].weightt'; did you mean data.train[0].weight"),
    (["train.steps"], "must look like key=value"),
])
def test_override_errors_name_the_key(overrides, message):
    with pytest.raises(ConfigError) as e:
        load_checked(None, overrides)
    assert message in str(e.value)


def test_yaml_errors(tmp_path):
    with pytest.raises(ConfigError, match="unknown config key 'train.foo'"):
        load_config(write(tmp_path, "train:\n  steps: 5\n  foo: 1\n"))
    with pytest.raises(ConfigError, match=r"line 3.*not valid YAML"):
        load_config(write(tmp_path, "train:\n  steps: [5\n"))
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        load_config(write(tmp_path, "- 1\n- 2\n"))
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(str(tmp_path / "nope.yaml"))
    with pytest.raises(ConfigError, match=r"data.train\[1\].adapter: is required"):
        load_config(write(tmp_path, "data:\n  train:\n    - {adapter: vqa, path: b}\n    - {path: c}\n"))


def test_unknown_adapter_name_fails_at_load(tmp_path):
    with pytest.raises(ConfigError, match=r"data.train\[0\].adapter: unknown adapter 'puzles'; did you mean 'puzzles'"):
        load_checked(None, ["data.train=[{adapter: puzles, path: x}]"])
    cfg = load_checked(None, ["data.train=[{adapter: 'my_pkg.mod:MyAdapter', path: x}]"])  # import paths resolve later
    assert cfg.data.train[0].adapter == "my_pkg.mod:MyAdapter"


def test_several_files_merge_in_order(tmp_path):
    a = tmp_path / "a.yaml"
    a.write_text("train:\n  steps: 5\ndeepspeed:\n  zero_stage: 2\n")
    b = tmp_path / "b.yaml"
    b.write_text("deepspeed:\n  enabled: true\n  zero_stage: 3\n")
    cfg = load_config([str(a), str(b)], ["train.steps=6"])
    assert (cfg.train.steps, cfg.deepspeed.enabled, cfg.deepspeed.zero_stage) == (6, True, 3)
    from mmreason.commands.show_config import split_config_args

    assert split_config_args(str(a), [str(b), "x.y=1"]) == ([str(a), str(b)], ["x.y=1"])
    assert split_config_args("x.y=1", []) == (None, ["x.y=1"])
    with pytest.raises(ConfigError, match="config files come first"):
        split_config_args(str(a), ["x.y=1", str(b)])


def test_shipped_configs_are_valid():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "configs"
    for overlay in sorted((root / "deepspeed").glob("*.yaml")):
        cfg = load_checked([str(root / "demo.yaml"), str(overlay)])
        assert cfg.deepspeed.enabled and cfg.train.steps > 0


def test_the_schema_imports_no_registry():
    """Names have one source of truth: the registries, checked by the wiring; the schema module imports nothing
    above the vocabulary layer (no algorithms, modalities, rewards, rollout)."""
    import ast
    from pathlib import Path

    import mmreason.config.schema as schema

    tree = ast.parse(Path(schema.__file__).read_text())
    imported = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {m for m in imported if any(k in m for k in ("algorithms", "modalities", "rewards", "rollout"))}
