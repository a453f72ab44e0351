"""Shared readers: every file format, every image reference form, and bad input named by file / row / field."""

import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from mmreason.errors import DataError
from modalities import get_adapter, load_samples
from modalities.io import ImageBytes, find_data_file, read_rows, resolve_image


def png(path, color="red", size=(12, 10)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path)
    return path


def png_bytes(color="blue", size=(9, 7)):
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return buf.getvalue()


ROWS = [{"images": ["a.png"], "problem": "What colour?", "answer": "red"},
        {"images": ["a.png"], "problem": "How many?", "answer": "<answer>3</answer>"}]


def write(tmp_path, fmt, rows=ROWS, name="data"):
    png(tmp_path / "a.png")
    path = tmp_path / f"{name}.{fmt}"
    if fmt == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    elif fmt == "json":
        path.write_text(json.dumps(rows))
    elif fmt == "parquet":
        pq.write_table(pa.Table.from_pylist(rows), path)
    elif fmt == "csv":
        lines = ["images,problem,answer"] + [f'"{json.dumps(r["images"]).replace(chr(34), chr(34) * 2)}",'
                                              f'{r["problem"]},{r["answer"]}' for r in rows]
        path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("fmt", ["jsonl", "json", "parquet", "csv"])
def test_every_file_format_gives_the_same_samples(tmp_path, fmt):
    path = write(tmp_path, fmt)
    samples, report = load_samples(get_adapter("vqa"), str(path), source="s")
    assert [s.id for s in samples] == ["s/0", "s/1"]
    assert [s.answer for s in samples] == ["red", "3"]
    assert [s.question for s in samples] == ["What colour?", "How many?"]
    assert samples[0].images == [str(tmp_path / "a.png")]
    assert samples[0].load_images()[0].size == (12, 10)
    assert report.total == 0 and report.kept == 2


def test_dataset_directory_with_data_file_and_split_file(tmp_path):
    write(tmp_path, "jsonl")
    assert find_data_file(tmp_path).path.name == "data.jsonl"
    write(tmp_path, "parquet", name="heldout")
    assert find_data_file(tmp_path, split="heldout").path.name == "heldout.parquet"
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no data file"):
        find_data_file(tmp_path / "empty")


def test_hf_save_to_disk_dir_with_image_feature(tmp_path):
    import datasets

    features = datasets.Features({"images": datasets.Sequence(datasets.Image()), "problem": datasets.Value("string"),
                                  "answer": datasets.Value("string")})
    ds = datasets.Dataset.from_dict({"images": [[{"bytes": png_bytes("green"), "path": None}],
                                                [{"bytes": png_bytes("blue", (5, 5)), "path": None}]],
                                     "problem": ["Colour?", "Colour?"], "answer": ["green", "blue"]},
                                    features=features)
    datasets.DatasetDict({"train": ds, "test": ds.select([1])}).save_to_disk(str(tmp_path / "hf"))
    samples, _ = load_samples(get_adapter("vqa"), str(tmp_path / "hf"), source="hf")
    assert [s.answer for s in samples] == ["green", "blue"]
    assert isinstance(samples[0].images[0], ImageBytes)  # undecoded until used
    assert samples[1].load_images()[0].size == (5, 5)
    test, _ = load_samples(get_adapter("vqa"), str(tmp_path / "hf"), source="hf", split="test")
    assert [s.answer for s in test] == ["blue"]
    with pytest.raises(DataError, match="split 'dev' not found"):
        load_samples(get_adapter("vqa"), str(tmp_path / "hf"), split="dev")


def test_image_reference_forms(tmp_path):
    png(tmp_path / "sub" / "x.png")
    kw = dict(file="f", row=0, field="images[0]")
    assert resolve_image("sub/x.png", tmp_path, **kw) == str(tmp_path / "sub" / "x.png")
    assert resolve_image(str(tmp_path / "sub" / "x.png"), tmp_path / "elsewhere", **kw) == str(tmp_path / "sub/x.png")
    ref = resolve_image({"bytes": png_bytes(), "path": "ignored.png"}, tmp_path, **kw)
    assert Image.open(ref).size == (9, 7) and Image.open(ref).size == (9, 7)  # reopenable
    assert resolve_image({"bytes": None, "path": "sub/x.png"}, tmp_path, **kw).endswith("x.png")
    pil = Image.new("RGB", (3, 3))
    assert resolve_image(pil, tmp_path, **kw) is pil
    assert isinstance(resolve_image(png_bytes(), tmp_path, **kw), ImageBytes)


@pytest.mark.parametrize("value, reason", [("nope.png", "image file not found"), (b"not an image", "unreadable image"),
                                           (42, "wrong type"), (None, "missing image"), ("", "missing image")])
def test_bad_image_errors_name_file_row_field(tmp_path, value, reason):
    with pytest.raises(DataError) as e:
        resolve_image(value, tmp_path, file="data.jsonl", row=7, field="images[1]")
    assert e.value.reason == reason
    assert (e.value.file, e.value.row, e.value.field) == ("data.jsonl", 7, "images[1]")
    assert "data.jsonl, row 7, field 'images[1]'" in str(e.value)


def test_corrupt_png_file_is_reported_at_load(tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_text(json.dumps(ROWS[0]) + "\n")
    (tmp_path / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(DataError) as e:
        load_samples(get_adapter("vqa"), str(path))
    assert e.value.row == 0 and e.value.field == "images[0]" and "unreadable image" in str(e.value)
    good = png_bytes(size=(64, 64))
    (tmp_path / "a.png").write_bytes(good[: len(good) // 2])  # truncated: header fine, data cut
    with pytest.raises(DataError, match="unreadable image"):
        load_samples(get_adapter("vqa"), str(path))


def test_jsonl_bad_line_is_a_bad_row_not_a_crash(tmp_path):
    png(tmp_path / "a.png")
    path = tmp_path / "data.jsonl"
    path.write_text(json.dumps(ROWS[0]) + "\n{broken\n\n[1, 2]\n" + json.dumps(ROWS[1]) + "\n")
    rows = list(read_rows(find_data_file(path)))
    assert [i for i, _ in rows] == [0, 1, 2, 3]
    with pytest.raises(DataError, match="row 1.*not valid JSON.*line 2"):
        load_samples(get_adapter("vqa"), str(path))
    samples, report = load_samples(get_adapter("vqa"), str(path), source="s", skip_bad_rows=True)
    assert [s.answer for s in samples] == ["red", "3"]
    assert report.counts == {"not valid JSON": 1, "row is not a JSON object": 1}


def test_file_level_errors_always_raise(tmp_path):
    with pytest.raises(DataError, match="data path not found"):
        load_samples(get_adapter("vqa"), str(tmp_path / "missing.jsonl"), skip_bad_rows=True)
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(DataError, match="unsupported data file type"):
        load_samples(get_adapter("vqa"), str(tmp_path / "x.txt"), skip_bad_rows=True)
    (tmp_path / "d.json").write_text('{"a": 1}')
    with pytest.raises(DataError, match="expected a JSON list"):
        load_samples(get_adapter("vqa"), str(tmp_path / "d.json"), skip_bad_rows=True)
