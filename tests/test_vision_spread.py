"""The vision-tower spread diagnostic: how much the tower's output depends on its input (README: Video)."""

import copy

import torch

from mmreason.trainer.vision_spread import collapsed, feature_spread, vision_features
from mmreason.types import Sample, user

from helpers import prompt_encoder


def _samples(count_data, n=4):
    from modalities.puzzles import PuzzlesAdapter

    ad = PuzzlesAdapter()
    return [ad.to_sample(row, i) for i, row in list(ad.load(count_data["heldout"]))[:n]]


def test_a_random_tower_spreads_and_the_mean_is_over_consecutive_pairs(tiny_policy, count_data):
    enc = prompt_encoder(tiny_policy.processor)
    prompts = [enc.encode(s) for s in _samples(count_data)]
    model = tiny_policy.model
    # by hand from the model's own image features, without the module's pairing and flattening
    owner = model.model
    feats = []
    for p in prompts:
        with torch.no_grad():
            out = owner.get_image_features(pixel_values=p.pixel_values, image_grid_thw=p.image_grid_thw)
        out = getattr(out, "pooler_output", out)
        feats.append(torch.cat([t.reshape(-1) for t in out]) if isinstance(out, (list, tuple)) else out.reshape(-1))
    expected = sum(float((b - a).norm() / a.norm()) for a, b in zip(feats, feats[1:])) / (len(feats) - 1)
    spread = feature_spread(model, prompts)
    assert abs(spread - expected) < 1e-5
    assert spread > 0.1  # the random tower's output depends on the image


def test_a_tower_with_input_independent_output_has_zero_spread_and_counts_as_collapsed(tiny_policy, count_data):
    model = copy.deepcopy(tiny_policy.model)
    with torch.no_grad():
        model.model.visual.merger.mlp[-1].weight.zero_()  # the tower now outputs its last bias for every image
    enc = prompt_encoder(tiny_policy.processor)
    prompts = [enc.encode(s) for s in _samples(count_data)]
    first = feature_spread(tiny_policy.model, prompts)
    spread = feature_spread(model, prompts)
    assert spread == 0.0
    assert collapsed(spread, first) and not collapsed(first, first)


def test_collapse_rule_by_hand():
    assert collapsed(0.05, 0.3)           # 0.05 < 0.2 × 0.3
    assert not collapsed(0.07, 0.3)       # 0.07 ≥ 0.06
    assert not collapsed(None, 0.3) and not collapsed(0.0, None) and not collapsed(0.0, 0.0)


def test_text_only_prompts_and_items_of_different_grids_are_not_compared(tiny_policy, count_data):
    enc = prompt_encoder(tiny_policy.processor)
    text = enc.encode(Sample(id="t", messages=[user("Say 1.")], answer="1", source="text"))
    assert vision_features(tiny_policy.model, text) is None
    assert feature_spread(tiny_policy.model, [text, text]) is None
    a, b = (enc.encode(s) for s in _samples(count_data, 2))
    small = copy.copy(b)  # the same image at a quarter of the patches: another grid, never paired with a
    out = tiny_policy.processor.image_processor(images=[s.resize((56, 56)) for s in _samples(count_data, 2)[1]
                                                        .load_images()], return_tensors="pt")
    small.pixel_values, small.image_grid_thw = out["pixel_values"], out["image_grid_thw"]
    assert feature_spread(tiny_policy.model, [a, small]) is None
    assert feature_spread(tiny_policy.model, [a, small, b]) is None  # a-small and small-b differ in grid
    assert feature_spread(tiny_policy.model, [a, b]) > 0.0
