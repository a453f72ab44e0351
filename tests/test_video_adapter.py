"""The `video` adapter: frame folders, frame lists, video files (Pillow GIF, PyAV when installed), uniform frame
sampling, frame rates, and bad input as DataErrors naming file, row and field."""

import builtins
import json

import pytest
from PIL import Image

from mmreason.errors import ConfigError, DataError
from mmreason.types import VideoPart
from modalities import get_adapter, load_samples
from modalities import video_io

COLORS = [(200, 30, 30), (30, 160, 30), (30, 30, 200), (220, 180, 0), (150, 0, 150), (0, 0, 0), (0, 150, 150),
          (120, 60, 0), (90, 90, 90), (250, 120, 160), (60, 200, 200), (10, 90, 10)]


def frame(k: int, size=(32, 32)) -> Image.Image:
    return Image.new("RGB", size, COLORS[k % len(COLORS)])


def write_frames(folder, n, names=None, size=(32, 32)):
    folder.mkdir(parents=True, exist_ok=True)
    names = names or [f"frame{k}.png" for k in range(n)]
    for k, name in enumerate(names):
        frame(k, size).save(folder / name)
    return folder


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def colors_of(sample):
    return [f.getpixel((0, 0)) for f in sample.load_videos()[0]]


def test_frame_folder_in_natural_order_sampled_uniformly_with_the_frame_rate(tmp_path):
    # frame10 must come after frame9 (natural order), a non-image file is ignored
    write_frames(tmp_path / "clip", 12, names=[f"frame{k}.png" for k in range(12)])
    (tmp_path / "clip" / "notes.txt").write_text("not a frame")
    data = write_jsonl(tmp_path / "d.jsonl", [{"id": "a", "frames": "clip", "question": "Which way?",
                                               "answer": "left", "fps": 6}])
    (s,), _ = load_samples(get_adapter("video"), str(data))
    assert colors_of(s) == COLORS[:12] and s.video_fps == [6.0]
    assert s.messages[0].content[0] == VideoPart() and s.question == "Which way?" and s.verifier == "exact"
    (s4,), _ = load_samples(get_adapter("video", num_frames=4), str(data))
    # 4 of 12 frames evenly spread, first and last included: 0, 4 (3.67), 7 (7.33), 11; rate 6 × 4/12 = 2 frames/s
    assert colors_of(s4) == [COLORS[0], COLORS[4], COLORS[7], COLORS[11]] and s4.video_fps == [2.0]


def test_list_of_frame_paths_builder_rows_and_a_video_marker(tmp_path):
    write_frames(tmp_path / "f", 3)
    rows = [{"id": "list", "frames": ["f/frame2.png", "f/frame0.png"], "problem": "Before <video> after",
             "answer": "<answer>3</answer>"},
            {"id": "built", "kind": "video", "family": "motion", "images": ["f/frame0.png", "f/frame1.png"],
             "question": "Q?", "answer": "up", "verifier": "exact", "difficulty": 2, "reasoning": "So up.",
             "meta": {"n_frames": 2}, "state_hash": "ab"}]
    (a, b), _ = load_samples(get_adapter("video"), str(write_jsonl(tmp_path / "d.jsonl", rows)))
    assert colors_of(a) == [COLORS[2], COLORS[0]] and a.answer == "3" and a.verifier == "math"
    assert [p.type for p in a.messages[0].content] == ["text", "video", "text"]
    assert colors_of(b) == [COLORS[0], COLORS[1]] and (b.difficulty, b.reasoning) == (2, "So up.")
    assert b.meta == {"n_frames": 2, "family": "motion", "kind": "video", "state_hash": "ab"}
    assert a.video_fps == [2.0]  # the default rate of given frames


def test_animated_gif_is_decoded_lazily_by_pillow(tmp_path):
    frames = [frame(k, (24, 24)) for k in range(6)]
    frames[0].save(tmp_path / "clip.gif", save_all=True, append_images=frames[1:], duration=250, loop=0)
    data = write_jsonl(tmp_path / "d.jsonl", [{"video": "clip.gif", "question": "q", "answer": "a"}])
    (s,), _ = load_samples(get_adapter("video", num_frames=3), str(data))
    clip = s.videos[0]
    assert isinstance(clip, video_io.VideoFile) and clip.indices == [0, 2, 5] and clip.backend == "pillow"
    assert s.video_fps == [pytest.approx(4.0 * 3 / 6)]   # 250 ms per frame = 4 frames/s, 3 of 6 kept
    got = colors_of(s)
    for want, have in zip([COLORS[0], COLORS[2], COLORS[5]], got):  # GIF palettes are close, not exact
        assert max(abs(x - y) for x, y in zip(want, have)) <= 8, (want, have)


def test_mp4_through_pyav_when_installed(tmp_path):
    av = pytest.importorskip("av")
    import numpy as np

    path = tmp_path / "clip.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        for k in range(10):
            img = np.zeros((64, 64, 3), dtype=np.uint8)
            img[:, : 6 * (k + 1)] = 255  # a white bar that grows frame by frame
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    data = write_jsonl(tmp_path / "d.jsonl", [{"video": "clip.mp4", "question": "q", "answer": "a"}])
    (s,), _ = load_samples(get_adapter("video", num_frames=4), str(data))
    assert s.videos[0].backend == "av" and s.videos[0].indices == [0, 3, 6, 9]
    assert s.video_fps == [pytest.approx(10 * 4 / 10)]
    widths = [int((np.asarray(f)[32, :, 0] > 128).sum()) for f in s.load_videos()[0]]
    assert [round(w / 6) for w in widths] == [1, 4, 7, 10]


def _bad(tmp_path, row, match, field, **options):
    data = write_jsonl(tmp_path / "bad.jsonl", [row])
    with pytest.raises(DataError, match=match) as e:
        load_samples(get_adapter("video", **options), str(data))
    msg = str(e.value)
    assert "bad.jsonl" in msg and "row 0" in msg and f"field '{field}" in msg, msg
    return e.value


def test_bad_input_names_file_row_and_field(tmp_path, monkeypatch):
    base = {"question": "q", "answer": "a"}
    _bad(tmp_path, {**base, "frames": "nowhere"}, "frames folder not found", "frames")
    (tmp_path / "empty").mkdir()
    _bad(tmp_path, {**base, "frames": "empty"}, "no frames", "frames")
    _bad(tmp_path, {**base, "frames": []}, "no frames", "frames")
    write_frames(tmp_path / "ok", 3)
    (tmp_path / "ok" / "frame9.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    _bad(tmp_path, {**base, "frames": "ok"}, "unreadable image", "frames[3]")
    (tmp_path / "ok" / "frame9.png").unlink()
    frame(0, (40, 32)).save(tmp_path / "ok" / "frame9.png")
    _bad(tmp_path, {**base, "frames": "ok"}, "mismatched frame sizes.*40x32", "frames[3]")
    (tmp_path / "ok" / "frame9.png").unlink()
    _bad(tmp_path, {**base, "frames": ["ok/frame0.png", "ok/gone.png"]}, "image file not found", "frames[1]")
    _bad(tmp_path, {**base, "frames": ["ok/frame0.png"]}, "too few frames.*1 frames, num_frames=2", "frames",
         num_frames=2)
    _bad(tmp_path, {**base, "video": "missing.mp4"}, "video file not found", "video")
    _bad(tmp_path, {"frames": "ok", "answer": "a"}, "missing column", "question")
    _bad(tmp_path, {**base, "frames": "ok", "fps": -1}, "fps must be a positive number", "fps")
    _bad(tmp_path, {**base, "frames": 3}, "wrong type", "frames")


def test_a_video_file_without_a_decoder_names_the_missing_package(tmp_path, monkeypatch):
    (tmp_path / "clip.mp4").write_bytes(b"\x00" * 64)
    real_import = builtins.__import__

    def no_decoders(name, *args, **kwargs):
        if name in ("av", "decord"):
            raise ImportError(f"No module named '{name}'")
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_decoders)
    err = _bad(tmp_path, {"video": "clip.mp4", "question": "q", "answer": "a"}, "no video decoder", "video")
    assert "pip install av" in str(err) and "clip.mp4" in str(err)


def test_bad_rows_can_be_skipped_and_counted(tmp_path):
    write_frames(tmp_path / "ok", 2)
    rows = [{"id": "good", "frames": "ok", "question": "q", "answer": "a"},
            {"id": "gone", "frames": "missing", "question": "q", "answer": "a"}]
    samples, report = load_samples(get_adapter("video"), str(write_jsonl(tmp_path / "d.jsonl", rows)),
                                   skip_bad_rows=True)
    assert [s.id for s in samples] == ["good"] and dict(report.counts) == {"frames folder not found": 1}


def test_options_are_checked():
    with pytest.raises(ConfigError, match="num_frames must be a positive integer"):
        get_adapter("video", num_frames=0)
    with pytest.raises(ConfigError, match="fps must be a positive number"):
        get_adapter("video", fps=0)
    with pytest.raises(ConfigError, match="valid options: .*num_frames"):
        get_adapter("video", frames=4)
