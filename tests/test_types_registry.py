import pytest
from PIL import Image

from mmreason.errors import DataError, MMReasonError
from mmreason.registry import Registry, UnknownNameError, load_object
from mmreason.types import Completion, ImagePart, Message, Sample, TextPart, user


def test_sample_counts_images_against_placeholders():
    img = Image.new("RGB", (8, 8))
    s = Sample(id="a", messages=[user(ImagePart(), "q?")], images=[img], answer="1")
    assert s.question == "q?"
    assert s.chat() == [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "q?"}]}]
    with pytest.raises(DataError, match="1 image placeholders but 0 images"):
        Sample(id="b", messages=[user(ImagePart(), "q")], images=[])


def test_message_rejects_bad_roles_and_parts():
    with pytest.raises(ValueError):
        Message("robot", (TextPart("x"),))
    with pytest.raises(TypeError):
        Message("user", ({"type": "text", "text": "x"},))


def test_load_images_names_missing_and_corrupt_files(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a png")
    s = Sample(id="row7", messages=[user(ImagePart(), "q")], images=[str(tmp_path / "missing.png")])
    with pytest.raises(DataError, match=r"missing.png.*row row7.*images\[0\]"):
        s.load_images()
    s = Sample(id="row8", messages=[user(ImagePart(), "q")], images=[str(bad)])
    with pytest.raises(DataError, match="unreadable image"):
        s.load_images()
    ok = tmp_path / "ok.png"
    Image.new("L", (4, 4)).save(ok)
    assert Sample(id="r", messages=[user(ImagePart(), "q")], images=[str(ok)]).load_images()[0].mode == "RGB"


def test_completion_length():
    assert len(Completion(token_ids=[1, 2, 3], text="abc")) == 3


def test_registry_refuses_duplicates_and_suggests_close_names():
    reg = Registry("verifier")
    reg.register("math", 1)

    @reg.register("numeric")
    def f():
        return 2

    assert reg.get("numeric") is f and reg.names() == ["math", "numeric"] and "math" in reg
    with pytest.raises(ValueError, match="duplicate verifier name 'math'"):
        reg.register("math", 3)
    with pytest.raises(UnknownNameError) as e:
        reg.get("numric")
    assert "did you mean 'numeric'" in str(e.value) and isinstance(e.value, MMReasonError)
    with pytest.raises(UnknownNameError, match=r"valid: math, numeric"):
        reg.get("zzz")


def test_load_object_by_import_path():
    assert load_object("mmreason.registry:Registry") is Registry
    with pytest.raises(MMReasonError, match="must look like"):
        load_object("mmreason.registry.Registry")
    with pytest.raises(MMReasonError, match="cannot import module"):
        load_object("no_such_pkg_xyz:Thing")
    with pytest.raises(MMReasonError, match="has no attribute"):
        load_object("mmreason.registry:Nope")
