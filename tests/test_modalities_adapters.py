"""Built-in adapters on small files written here: vqa (LLaVA, columns), ocr, puzzles (builder layout), text_math."""

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from mmreason.errors import DataError
from mmreason.types import ImagePart, TextPart
from modalities import get_adapter, load_samples


def png(path, color="red", size=(12, 10)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path)
    return path


def jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def load(adapter, path, **kw):
    return load_samples(get_adapter(adapter, **kw.pop("options", {})), path, source="src", **kw)


def puzzle_row(i, **over):
    row = {"id": f"p{i}", "kind": "puzzles", "family": "count_shapes", "split": "train", "difficulty": 2,
           "images": [f"images/p{i}.png"], "question": "How many circles?", "answer": str(i), "answer_type": "int",
           "verifier": "integer", "options": None, "reasoning": f"I count {i}.", "state_hash": f"h{i}",
           "generator_version": "1", "config_hash": "c", "meta": {"n_shapes": i}}
    row.update(over)
    return row


def write_builder_dir(root, rows, fmt="jsonl"):
    for r in rows:
        for im in r.get("images") or []:
            png(root / im)
    if fmt == "jsonl":
        jsonl(root / "data.jsonl", rows)
    else:
        pq.write_table(pa.Table.from_pylist(rows), root / "data.parquet")
    (root / "manifest.json").write_text(json.dumps({"kind": rows[0]["kind"], "n": len(rows)}))
    return str(root)


# --- vqa -------------------------------------------------------------------------------------------------------
def test_vqa_llava_markers_place_images_and_history_is_kept(tmp_path):
    png(tmp_path / "a.png"), png(tmp_path / "b.png", "blue")
    path = jsonl(tmp_path / "llava.jsonl", [
        {"id": "x1", "image": ["a.png", "b.png"], "conversations": [
            {"from": "human", "value": "Left <image> right <image>\nSame colour?"},
            {"from": "gpt", "value": "<answer>no</answer>"}]},
        {"image": "a.png", "conversations": [
            {"from": "human", "value": "Describe."}, {"from": "gpt", "value": "A red square."},
            {"from": "human", "value": "How many sides?"}, {"from": "gpt", "value": "\\boxed{4}"}]}])
    s1, s2 = load("vqa", path)[0]
    assert s1.id == "src/x1" and s1.source == "src" and s1.answer == "no" and s1.verifier == "exact"
    assert s1.messages[0].content == (TextPart("Left "), ImagePart(), TextPart(" right "), ImagePart(),
                                      TextPart("Same colour?"))
    assert s1.images == [str(tmp_path / "a.png"), str(tmp_path / "b.png")]
    # no marker: the image goes first in the first user turn; the earlier exchange stays as history
    assert [m.role for m in s2.messages] == ["user", "assistant", "user"]
    assert s2.messages[0].content == (ImagePart(), TextPart("Describe."))
    assert s2.answer == "4" and s2.verifier == "math" and s2.id == "src/1"


def test_vqa_columns_multiple_choice_and_unwrapping(tmp_path):
    png(tmp_path / "img.png")
    rows = [{"images": ["img.png"], "problem": "Which animal?", "answer": "<answer>dog</answer>",
             "options": ["cat", "dog"]},
            {"images": ["img.png"], "problem": "Which?", "answer": "(B)", "options": ["x", "y", "z"]},
            {"images": ["img.png"], "problem": "Area?", "answer": "\\boxed{\\frac{1}{2}}"}]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "r1.parquet")
    a, b, c = load("vqa", str(tmp_path / "r1.parquet"))[0]
    assert a.question == "Which animal?\nA. cat\nB. dog"
    assert (a.answer, a.verifier, a.meta) == ("B", "choice", {"options": {"choices": ["cat", "dog"]}})
    assert (b.answer, b.verifier) == ("B", "choice")
    assert (c.answer, c.verifier, c.meta) == ("\\frac{1}{2}", "math", {})
    assert a.messages[0].content[0] == ImagePart()


def test_vqa_column_mapping_and_verifier_override(tmp_path):
    png(tmp_path / "q.png")
    path = jsonl(tmp_path / "d.jsonl", [{"pic": "q.png", "q": "Colour?", "gold": ["red", "crimson"]}])
    [s], _ = load("vqa", path, options={"image_key": "pic", "question_key": "q", "answer_key": "gold",
                                        "verifier": "ocr_anls"})
    assert (s.question, s.answer, s.verifier) == ("Colour?", "red", "ocr_anls")
    assert s.meta == {"options": {"alternatives": ["crimson"]}}


@pytest.mark.parametrize("row, reason, field", [
    ({"images": ["a.png"], "answer": "1"}, "missing column", "problem"),
    ({"images": ["a.png"], "problem": "  ", "answer": "1"}, "empty question", "problem"),
    ({"images": ["a.png"], "problem": "Q", "answer": ""}, "empty answer", "answer"),
    ({"images": ["a.png"], "problem": ["Q"], "answer": "1"}, "wrong type", "problem"),
    ({"images": [], "problem": "Q", "answer": "1"}, "missing image", "images"),
    ({"images": ["gone.png"], "problem": "Q", "answer": "1"}, "image file not found", "images[0]"),
    ({"images": ["a.png"], "problem": "Q <image> <image>", "answer": "1"}, "image count mismatch", "images"),
    ({"images": ["a.png"], "problem": "Q", "answer": "E", "options": ["x", "y"]}, "answer not among choices",
     "answer"),
])
def test_vqa_bad_rows_name_file_row_field_and_are_counted_when_skipping(tmp_path, row, reason, field):
    png(tmp_path / "a.png")
    good = {"images": ["a.png"], "problem": "Q", "answer": "1"}
    path = jsonl(tmp_path / "d.jsonl", [good, row, good])
    with pytest.raises(DataError) as e:
        load("vqa", path)
    assert (e.value.file, e.value.row, e.value.field) == (str(tmp_path / "d.jsonl"), 1, field)
    assert e.value.reason == reason
    samples, report = load("vqa", path, skip_bad_rows=True)
    assert [s.id for s in samples] == ["src/0", "src/2"]
    assert report.counts == {reason: 1} and report.kept == 2
    assert report.lines()[0] == "source 'src': skipped 1 bad rows (kept 2)"
    assert f"1 × {reason}" in report.lines()[1] and "row 1" in report.lines()[1]


def test_limit_counts_good_samples(tmp_path):
    png(tmp_path / "a.png")
    rows = [{"images": ["a.png"], "problem": "Q", "answer": str(i)} for i in range(5)]
    rows[1]["answer"] = ""
    samples, report = load("vqa", jsonl(tmp_path / "d.jsonl", rows), limit=3, skip_bad_rows=True)
    assert [s.answer for s in samples] == ["0", "2", "3"] and report.total == 1


def test_duplicate_ids_are_bad_rows(tmp_path):
    path = jsonl(tmp_path / "d.jsonl", [{"id": "a", "question": "1+1?", "answer": "2"}] * 2)
    with pytest.raises(DataError, match="duplicate id"):
        load("text_math", path)


# --- ocr -------------------------------------------------------------------------------------------------------
def test_ocr_default_question_and_verifiers(tmp_path):
    png(tmp_path / "w.png")
    path = jsonl(tmp_path / "ocr.jsonl", [{"image": "w.png", "text": "HELLO"},
                                          {"image": "w.png", "question": "What is the total?",
                                           "answer": ["$12", "12"]}])
    a, b = load("ocr", path)[0]
    assert (a.question, a.answer, a.verifier) == ("What text is shown in the image?", "HELLO", "ocr_exact")
    assert (b.question, b.answer, b.verifier, b.meta) == ("What is the total?", "$12", "ocr_anls",
                                                          {"options": {"alternatives": ["12"]}})
    [c], _ = load("ocr", path, options={"verifier": "ocr_cer", "verifier_options": {"case_sensitive": False}},
                  limit=1)
    assert c.verifier == "ocr_cer" and c.meta == {"options": {"case_sensitive": False}}


def test_ocr_reads_the_builder_layout(tmp_path):
    rows = [puzzle_row(i, kind="ocr", family="words", verifier="ocr_exact", answer=f"WORD{i}",
                       question="Read the word.", answer_type="text") for i in range(2)]
    root = write_builder_dir(tmp_path / "ocrset", rows)
    samples, _ = load("ocr", root)
    assert [s.answer for s in samples] == ["WORD0", "WORD1"]
    assert samples[0].meta["family"] == "words" and samples[0].meta["kind"] == "ocr"
    assert samples[0].reasoning == "I count 0." and samples[0].difficulty == 2


# --- puzzles ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_puzzles_builder_rows_become_samples(tmp_path, fmt):
    rows = [puzzle_row(0), puzzle_row(1, options=["1", "2", "3"], verifier="choice", answer="B"),
            puzzle_row(2, split="heldout")]
    root = write_builder_dir(tmp_path / "ds", rows, fmt)
    samples, _ = load("puzzles", root)
    p0, p1, p2 = samples
    assert (p0.id, p0.verifier, p0.answer, p0.difficulty, p0.reasoning) == ("src/p0", "integer", "0", 2, "I count 0.")
    assert p0.images == [str(tmp_path / "ds" / "images" / "p0.png")]
    assert p0.meta["family"] == "count_shapes" and p0.meta["answer_type"] == "int" and p0.meta["n_shapes"] == 0
    assert "options" not in p0.meta
    assert p1.meta["options"] == {"choices": ["1", "2", "3"]} and p1.verifier == "choice"
    assert p1.question == "How many circles?\nA. 1\nB. 2\nC. 3"
    assert p2.meta["state_hash"] == "h2"
    train, _ = load("puzzles", root, split="train")
    assert [s.id for s in train] == ["src/p0", "src/p1"]


def test_puzzles_options_already_in_question_are_not_repeated(tmp_path):
    q = "Which colour?\nA. red\nB. blue"
    root = write_builder_dir(tmp_path / "ds", [puzzle_row(0, question=q, options=["red", "blue"], answer="A")])
    [s], _ = load("puzzles", root)
    assert s.question == q


def test_puzzles_bad_difficulty_type_is_named(tmp_path):
    root = write_builder_dir(tmp_path / "ds", [puzzle_row(0, difficulty="hard")])
    with pytest.raises(DataError) as e:
        load("puzzles", root)
    assert e.value.field == "difficulty" and e.value.row == 0 and e.value.file.endswith("data.jsonl")


# --- text_math -------------------------------------------------------------------------------------------------
def test_text_math_gsm8k_and_math_styles(tmp_path):
    path = jsonl(tmp_path / "m.jsonl", [
        {"question": "Tom has 3 apples and buys 4. How many?", "answer": "3 + 4 = <<3+4=7>>7 apples.\n#### 7"},
        {"problem": "Compute $1/2 + 1/2$.", "solution": "It is $\\boxed{1}$.", "level": "Level 2"},
        {"problem": "Simplify.", "solution": "So $\\boxed{\\frac{\\sqrt{2}}{2}}$.", "answer": "\\frac{\\sqrt2}{2}"}])
    g, m, both = load("text_math", path)[0]
    assert (g.answer, g.verifier, g.images, g.reasoning) == ("7", "math", [], "3 + 4 = 7 apples.")
    assert g.messages[0].content == (TextPart("Tom has 3 apples and buys 4. How many?"),)
    assert (m.answer, m.difficulty, m.reasoning) == ("1", 2, "It is $\\boxed{1}$.")
    assert both.answer == "\\frac{\\sqrt2}{2}"


def test_text_math_needs_a_final_answer(tmp_path):
    path = jsonl(tmp_path / "m.jsonl", [{"problem": "P", "solution": "no box here"}])
    with pytest.raises(DataError) as e:
        load("text_math", path)
    assert e.value.field == "solution" and e.value.reason == "empty answer"
