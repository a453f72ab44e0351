"""Adapter resolution by name and by import path, the protocol check, and config sources through load_sources."""

import json
import re
import sys
import textwrap
from pathlib import Path

import pytest
from PIL import Image

from mmreason.config import SourceConfig, load_config
from mmreason.data import load_sources, skip_summary
from mmreason.errors import ConfigError, DataError
from mmreason.rewards import VERIFIERS
from modalities import ADAPTERS, ModalityAdapter, get_adapter

EXTERNAL = '''
"""A user's adapter, outside mmreason: one image + a caption to name."""
from modalities import BaseAdapter


class CaptionAdapter(BaseAdapter):
    name = "caption"
    verifier = "exact"

    def __init__(self, prefix="Name the object.", check_images=True):
        super().__init__(check_images=check_images)
        self.prefix = prefix

    def doc_to_images(self, row):
        return [row["file"]]

    def doc_to_text(self, row):
        return self.prefix

    def doc_to_answer(self, row):
        return self.text_field(row, "label", "answer")


class NotAnAdapter:
    name = "nope"
'''


@pytest.fixture
def external_module(tmp_path, monkeypatch):
    pkg = tmp_path / "ext" / "my_adapters_pkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "adapters.py").write_text(textwrap.dedent(EXTERNAL))
    monkeypatch.syspath_prepend(str(tmp_path / "ext"))
    yield "my_adapters_pkg.adapters"
    for mod in [m for m in sys.modules if m.startswith("my_adapters_pkg")]:
        del sys.modules[mod]


def test_builtin_names_and_protocol():
    assert {"vqa", "ocr", "puzzles", "text_math"} <= set(ADAPTERS.names())
    for name in ADAPTERS.names():
        adapter = get_adapter(name)
        assert isinstance(adapter, ModalityAdapter) and adapter.name == name
        assert adapter.verifier in VERIFIERS  # an adapter's default verifier is a registered one


def test_resolution_errors_are_one_clear_line(external_module):
    with pytest.raises(Exception, match="did you mean 'vqa'"):
        get_adapter("vqq")
    with pytest.raises(ConfigError, match="bad options.*valid options: image_key"):
        get_adapter("vqa", colour="red")
    with pytest.raises(ConfigError, match="is not a ModalityAdapter: it lacks verifier, load, to_sample"):
        get_adapter(f"{external_module}:NotAnAdapter")
    with pytest.raises(Exception, match="cannot import module"):
        get_adapter("no_such_pkg.mod:Thing")
    with pytest.raises(ConfigError, match="option verifier"):
        get_adapter("vqa", verifier=3)


def test_external_adapter_by_import_path_through_load_sources(tmp_path, external_module):
    Image.new("RGB", (8, 8), "green").save(tmp_path / "leaf.png")
    rows = [{"file": "leaf.png", "label": "leaf"}, {"file": "leaf.png", "label": ""}]
    (tmp_path / "items.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    cfg = SourceConfig(name="mine", adapter=f"{external_module}:CaptionAdapter", path=str(tmp_path / "items.jsonl"),
                       weight=2.0, options={"prefix": "What is this?"})
    [src] = load_sources([cfg], skip_bad_rows=True)
    name, weight, samples = src  # unpacks as a mixture source
    assert (name, weight, src.name) == ("mine", 2.0, "mine")
    [s] = samples
    assert (s.id, s.source, s.question, s.answer, s.verifier) == ("mine/0", "mine", "What is this?", "leaf", "exact")
    assert s.images == [str(tmp_path / "leaf.png")]
    assert src.skipped.counts == {"empty answer": 1}
    assert skip_summary([src])[0] == "source 'mine': skipped 1 bad rows (kept 1)"
    with pytest.raises(DataError, match="row 1, field 'label': empty answer"):
        load_sources([cfg], skip_bad_rows=False)


def test_config_sources_with_split_limit_options_and_verifier_check(tmp_path):
    path = tmp_path / "gsm.jsonl"
    path.write_text("".join(json.dumps({"question": f"{i}+1?", "answer": f"#### {i + 1}"}) + "\n" for i in range(6)))
    cfg = load_config(None, [f"data.train=[{{adapter: text_math, path: '{path}', limit: 4, weight: 0.5, "
                             f"options: {{verifier: numeric}}}}]"])
    [src] = load_sources(cfg.data.train)
    assert src.name == "text_math_0" and len(src.samples) == 4
    assert {s.verifier for s in src.samples} == {"numeric"}
    with pytest.raises(DataError, match="unknown verifier"):
        load_sources(cfg.data.train, verifiers={"math"})
    with pytest.raises(DataError, match="all 6 rows were skipped"):
        load_sources(cfg.data.train, skip_bad_rows=True, verifiers={"math"})


def test_a_source_with_only_bad_rows_is_an_error(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"question": "", "answer": "1"}) + "\n")
    cfg = SourceConfig(name="bad", adapter="text_math", path=str(path))
    with pytest.raises(DataError, match="source 'bad' has no samples \\(all 1 rows were skipped as bad\\)"):
        load_sources([cfg], skip_bad_rows=True)


def _doc_blocks():
    """The adapter code and config snippet of the README section (docs_adding_a_modality.md until merged)."""
    repo = Path(__file__).resolve().parents[1]
    doc = repo / "docs_adding_a_modality.md"
    text = (doc if doc.exists() else repo / "README.md").read_text()
    section = text[text.index("## Adding a modality"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    config = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
    return code, config


def test_the_documented_adapter_works_as_written(tmp_path, monkeypatch):
    code, config = _doc_blocks()
    assert len(code.strip().splitlines()) <= 60
    (tmp_path / "ext" / "my_pkg").mkdir(parents=True)
    (tmp_path / "ext" / "my_pkg" / "__init__.py").write_text("")
    (tmp_path / "ext" / "my_pkg" / "adapters.py").write_text(code)
    monkeypatch.syspath_prepend(str(tmp_path / "ext"))
    Image.new("RGB", (20, 20)).save(tmp_path / "street.png")
    rows = [{"image": "street.png", "phrase": "the red car", "box": [1, 2, 13, 14]},
            {"image": "street.png", "phrase": "the bus", "box": [1, 2, 3]}]
    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    cfg_file = tmp_path / "cfg.yaml"
    cfg_file.write_text(config.replace("data/refcoco/train.jsonl", str(data)))
    try:
        cfg = load_config(cfg_file, ["data.skip_bad_rows=true"])
        [src] = load_sources(cfg.data.train, skip_bad_rows=cfg.data.skip_bad_rows)
    finally:
        for mod in [m for m in sys.modules if m == "my_pkg" or m.startswith("my_pkg.")]:
            del sys.modules[mod]
    [s] = src.samples
    assert (s.id, s.verifier, s.answer) == ("refcoco/0", "box_iou", "[1, 2, 13, 14]")
    assert s.question == "Give the bounding box of the red car as [x1, y1, x2, y2] in pixels."
    assert s.meta == {"phrase": "the red car", "options": {"max_boxes": 5}}
    assert src.skipped.counts == {"bad box": 1}
