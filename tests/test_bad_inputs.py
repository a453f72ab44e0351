"""The bad-input corpus (tests/badinputs.py) through the readers and adapters, in process: every case is an error
naming file, row and field, or with `skip_bad_rows` a skip counted under its documented reason; odd but valid
images are converted to RGB as documented (`mmreason.images`). The same corpus through the CLI:
tests/test_bad_inputs_cli.py."""

import json
from collections import Counter

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from badinputs import GOOD_COLOUR, IMAGE_CASES, ROW_CASES, good_png, good_row, image_file, write_corpus, write_images
from mmreason.errors import DataError
from mmreason.rewards import VERIFIERS
from modalities import get_adapter, load_samples

BAD_IMAGES = {k: v for k, v in IMAGE_CASES.items() if v[1] is not None}


def load(path, skip=False, **options):
    return load_samples(get_adapter("vqa", **options), str(path), source="s", skip_bad_rows=skip,
                        verifiers=VERIFIERS.names())


def test_the_corpus_stops_at_its_first_bad_row_naming_file_row_field(tmp_path):
    corpus = write_corpus(tmp_path)
    with pytest.raises(DataError) as e:
        load(corpus.path)
    row, reason, fld = corpus.first_bad
    assert (e.value.file, e.value.row, e.value.field) == (str(corpus.path), row, fld)
    assert e.value.reason == reason and f"{corpus.path}, row {row}, field '{fld}': {reason}" in str(e.value)


def test_with_skip_bad_rows_every_case_is_counted_under_its_reason(tmp_path):
    corpus = write_corpus(tmp_path)
    samples, report = load(corpus.path, skip=True)
    assert report.counts == corpus.reasons and report.total == corpus.bad == len(BAD_IMAGES) + len(ROW_CASES)
    assert len(samples) == report.kept == corpus.good
    assert all(s.verifier == "math" and s.answer == "1" for s in samples)
    for reason, example in report.examples.items():  # each reason's first message names the file and a row
        assert example.startswith(f"{corpus.path}, row ") and reason in example


@pytest.mark.parametrize("name", sorted(BAD_IMAGES))
def test_each_bad_image_alone(tmp_path, name):
    write_images(tmp_path)
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(good_row(0)) + "\n" + json.dumps(good_row(1, images=[image_file(name)])) + "\n")
    if name == "missing_file":
        (tmp_path / image_file(name)).unlink(missing_ok=True)
    with pytest.raises(DataError) as e:
        load(path)
    assert (e.value.row, e.value.field, e.value.reason) == (1, "images[0]", BAD_IMAGES[name][1])
    assert "Traceback" not in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("name", sorted(ROW_CASES))
def test_each_bad_row_alone(tmp_path, name):
    write_images(tmp_path)
    line, reason, fld = ROW_CASES[name]
    path = tmp_path / "one.jsonl"
    path.write_bytes(json.dumps(good_row(0, id="good0")).encode() + b"\n"
                     + (line if isinstance(line, bytes) else line.encode()) + b"\n")
    with pytest.raises(DataError) as e:
        load(path)
    assert (e.value.row, e.value.field, e.value.reason) == (1, fld, reason)
    assert len(str(e.value)) < 400  # a huge value is never echoed into the message


def test_bad_image_bytes_in_parquet_get_the_same_reasons(tmp_path):
    """Images as encoded bytes (parquet / HF Image features) go through the same checks as files."""
    rows = [{"id": "good", "images": [{"bytes": good_png(), "path": None}], "problem": "How many?", "answer": "1"}]
    want = Counter()
    for name, (data, reason) in BAD_IMAGES.items():
        rows.append({"id": name, "images": [{"bytes": data, "path": None}], "problem": "q?", "answer": "1"})
        want["missing image" if not data else reason] += 1  # no bytes at all: nothing to read
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "data.parquet")
    samples, report = load(tmp_path / "data.parquet", skip=True)
    assert [s.id for s in samples] == ["s/good"] and report.counts == want


def _pixel(sample, xy=(0, 0)):
    (im,) = sample.load_images()
    assert im.mode == "RGB"
    return im.getpixel(xy)


def test_odd_but_valid_images_are_converted_to_rgb(tmp_path):
    corpus = write_corpus(tmp_path)
    by_id = {s.id: s for s in load(corpus.path, skip=True)[0]}
    odd = {name: by_id[f"s/img_{name}"] for name in corpus.odd}
    assert sorted(odd) == sorted(k for k, v in IMAGE_CASES.items() if v[1] is None)
    r, g, b = _pixel(odd["cmyk_jpeg"])
    assert r > 230 and g < 25 and b < 25                                          # CMYK red is red
    assert _pixel(odd["i16_png"], (0, 0)) == (255, 255, 255)                        # 65535 → 255, not clipped
    assert _pixel(odd["i16_png"], (40, 0)) == (128, 128, 128)                       # 32896 → 128 (not 255)
    assert _pixel(odd["palette_transparency"]) == (255, 255, 255)                   # transparent → white
    assert _pixel(odd["palette_transparency"], (32, 32)) == (255, 0, 0)
    assert _pixel(odd["rgba_transparent"]) == (255, 255, 255)                       # not the hidden black
    assert _pixel(odd["rgba_transparent"], (32, 32)) == (0, 0, 255)
    assert _pixel(odd["animated_gif"]) == (255, 0, 0)                               # the first frame
    assert _pixel(odd["one_pixel"]) == GOOD_COLOUR


def test_pil_images_given_in_rows_are_converted_the_same_way():
    from mmreason.types import ImagePart, Message, Sample, TextPart

    im = Image.new("LA", (8, 8), (0, 0))
    s = Sample(id="x", messages=[Message("user", (ImagePart(), TextPart("q")))], images=[im], answer="1",
               verifier="exact")
    assert _pixel(s) == (255, 255, 255)


def test_a_truncated_image_not_checked_at_load_is_a_data_error_when_used(tmp_path):
    write_images(tmp_path)
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(good_row(0, images=[image_file("truncated_jpeg")])) + "\n")
    (sample,), _ = load(path, check_images=False)
    with pytest.raises(DataError, match="unreadable image") as e:
        sample.load_images()
    assert e.value.field == "images[0]" and e.value.file.endswith("truncated_jpeg.jpg")
    path.write_text(json.dumps(good_row(0, images=[image_file("bomb_10000x10000")])) + "\n")
    (sample,), _ = load(path, check_images=False)
    with pytest.raises(DataError, match="image too large: 10000x10000"):
        sample.load_images()


# --------------------------------------------------------------------------------------------- whole files
def _parquet(path, rows, **kw):
    pq.write_table(pa.Table.from_pylist(rows), path, **kw)
    return path


def test_parquet_with_a_missing_column(tmp_path):
    from mmreason.config.schema import SourceConfig
    from mmreason.data import load_source

    (tmp_path / "a.png").write_bytes(good_png())
    path = _parquet(tmp_path / "data.parquet", [{"images": ["a.png"], "problem": f"q{i}?"} for i in range(3)])
    with pytest.raises(DataError) as e:
        load(path)
    assert (e.value.row, e.value.field, e.value.reason) == (0, "answer", "missing column")
    assert "no 'answer' (columns: images, problem)" in str(e.value)
    with pytest.raises(DataError, match=r"source 's' has no samples \(all 3 rows were skipped as bad\)"):
        load_source(SourceConfig(name="s", adapter="vqa", path=str(path)), skip_bad_rows=True)


def test_parquet_with_wrong_column_types(tmp_path):
    (tmp_path / "a.png").write_bytes(good_png())
    rows = [{"images": "a.png", "problem": "q?", "answer": {"v": i}} for i in range(2)]
    samples, report = load(_parquet(tmp_path / "data.parquet", rows), skip=True)
    assert not samples and report.counts == {"wrong type": 2}
    assert "row 0, field 'answer': wrong type: expected str or int or float or list, got dict" in report.examples[
        "wrong type"]
    rows = [{"images": "a.png", "problem": ["q?"], "answer": "1"}]
    with pytest.raises(DataError, match="row 0, field 'problem': wrong type: expected str or int or float, got list"):
        load(_parquet(tmp_path / "data2.parquet", rows))


def test_truncated_and_corrupt_parquet_files_are_errors_naming_the_file(tmp_path):
    rows = [{"id": f"r{i}", "images": None, "problem": f"question number {i} " * 20, "answer": str(i)}
            for i in range(3000)]
    path = _parquet(tmp_path / "data.parquet", rows, row_group_size=1000, compression="snappy")
    data = bytearray(path.read_bytes())
    (tmp_path / "cut.parquet").write_bytes(bytes(data[: len(data) // 2]))
    with pytest.raises(DataError, match="cut.parquet: not a readable parquet file"):
        load(tmp_path / "cut.parquet", skip=True)                    # file-level: even when skipping rows
    col = pq.ParquetFile(path).metadata.row_group(1).column(2)      # `problem` of the second row group
    start = col.data_page_offset + col.total_compressed_size // 2
    data[start:start + 200] = bytes(b ^ 0xFF for b in data[start:start + 200])
    (tmp_path / "flipped.parquet").write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"flipped.parquet: corrupt parquet file at row \d+"):
        load(tmp_path / "flipped.parquet", skip=True, require_images=False)


def test_datasets_directory_with_wrong_features(tmp_path):
    import datasets

    ds = datasets.Dataset.from_dict({"images": [5, 6], "problem": [["a"], ["b"]], "answer": [1.5, 2.5]})
    ds.save_to_disk(str(tmp_path / "hf"))
    with pytest.raises(DataError) as e:
        load(tmp_path / "hf")
    assert (e.value.file, e.value.row, e.value.field, e.value.reason) == (str(tmp_path / "hf"), 0, "images[0]",
                                                                          "wrong type")
    samples, report = load(tmp_path / "hf", skip=True, image_key="nope", require_images=False)
    assert not samples and report.counts == {"wrong type": 2}  # the question column holds lists
    assert "field 'problem': wrong type" in report.examples["wrong type"]


def test_datasets_directory_with_corrupt_image_bytes_and_a_corrupt_arrow_file(tmp_path):
    import datasets

    feats = datasets.Features({"images": datasets.Image(), "problem": datasets.Value("string"),
                               "answer": datasets.Value("string")})
    ds = datasets.Dataset.from_dict({"images": [{"bytes": good_png(), "path": None},
                                                {"bytes": IMAGE_CASES["truncated_png"][0], "path": None}],
                                     "problem": ["q?", "q?"], "answer": ["1", "2"]}, features=feats)
    ds.save_to_disk(str(tmp_path / "hf"))
    samples, report = load(tmp_path / "hf", skip=True)
    assert [s.answer for s in samples] == ["1"] and report.counts == {"unreadable image": 1}
    assert "row 1, field 'images[0]': unreadable image" in report.examples["unreadable image"]
    (arrow,) = (tmp_path / "hf").glob("*.arrow")
    arrow.write_bytes(arrow.read_bytes()[:200])
    with pytest.raises(DataError, match="hf: cannot load the datasets directory"):
        load(tmp_path / "hf", skip=True)


@pytest.mark.parametrize("name, content, match", [
    ("data.json", b'[{"problem": "q", ', "not valid JSON"),
    ("data.json", b"[" * 100_000 + b"]" * 100_000, r"not valid JSON \(nested too deeply\)"),
    ("data.json", b'[{"problem": "caf\xe9"}]', r"not valid JSON \(not UTF-8 at byte 17\)"),
    ("data.csv", b"images,problem,answer\na.png,caf\xe9,1\n", "not a readable CSV file after row 0"),
])
def test_unreadable_json_and_csv_files_are_errors_naming_the_file(tmp_path, name, content, match):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(DataError, match=match) as e:
        load(tmp_path / name, skip=True)
    assert e.value.file == str(tmp_path / name)
