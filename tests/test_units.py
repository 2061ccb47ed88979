"""The hidden-unit index over the (small) test split: real top activations, cached per checkpoint."""

import numpy as np
import pytest
import torch

from cls_core.data import load_split
from cls_core.explain import cache, inspection, units
from cls_core.models.predictor import Predictor


@pytest.fixture(scope="module")
def bilstm(checkpoint_dir):
    return Predictor.load(checkpoint_dir / "bilstm_att.pt", "cpu")


@pytest.fixture()
def cache_in(tmp_path, monkeypatch):
    monkeypatch.setenv("HEADLINE_LENS_CACHE", str(tmp_path / "cache"))
    cache.forget()
    return tmp_path / "cache"


@pytest.fixture(scope="module")
def all_states(bilstm, small_data_dir):
    """Brute force: every test headline's hidden states, [L][D] -> list of [T, H]."""
    test = load_split(small_data_dir, "test")
    return test, [inspection.inspect_bilstm(bilstm, bilstm.normalize(t))["hidden"] for t in test.texts]


def test_index_holds_the_real_top_activations(bilstm, small_data_dir, cache_in, all_states):
    index = units.unit_index(bilstm, small_data_dir)
    test, states = all_states
    for layer, direction, unit in [(1, "forward", 0), (2, "backward", 77), (2, "forward", 127)]:
        d = units.DIRECTIONS.index(direction)
        every = np.concatenate([s[layer - 1][d][:, unit] for s in states])
        expected = np.sort(every)[::-1][:5]
        contexts = units.unit_contexts(index, layer, direction, unit, k=5)
        assert [c["activation"] for c in contexts] == pytest.approx(expected, abs=1e-4)
        for c in contexts:  # each context points at the headline and character that fired
            assert states[c["headline"]][layer - 1][d][c["position"], unit] == pytest.approx(c["activation"], abs=1e-4)
            text = bilstm.normalize(test.texts[c["headline"]])
            assert text[c["position"]] == c["char"] and text.startswith(
                c["left"] + c["char"] + c["right"], c["position"] - len(c["left"])
            )
            assert c["topic"] == test.classes[test.labels[c["headline"]]]


def test_ranking_and_track(bilstm, small_data_dir, cache_in):
    index = units.unit_index(bilstm, small_data_dir)
    ranked = units.ranked_units(index, limit=20)
    assert [r["specificity"] for r in ranked] == sorted((r["specificity"] for r in ranked), reverse=True)
    assert all(r["topic"] in bilstm.classes for r in ranked)
    best = ranked[0]
    track = units.unit_track(bilstm, "國足３：０完勝泰國隊", best["layer"], best["direction"], best["unit"])
    assert "".join(track["chars"]) == bilstm.normalize("國足３：０完勝泰國隊")
    assert len(track["values"]) == len(track["chars"]) and np.all(np.abs(track["values"]) <= 1)


def test_index_is_cached_and_rebuilt_for_another_checkpoint(bilstm, small_data_dir, cache_in, monkeypatch, tmp_path):
    first = units.unit_index(bilstm, small_data_dir)
    files = list(cache_in.glob("units-*.npz"))
    assert len(files) == 1
    with np.load(files[0], allow_pickle=False) as npz:  # plain arrays only
        assert set(npz.files) >= {"top_values", "top_headline", "top_position", "specificity", "texts"}
    cache.forget()
    monkeypatch.setattr(units, "build_index", lambda *a, **k: pytest.fail("rebuilt although cached"))
    assert np.array_equal(units.unit_index(bilstm, small_data_dir)["top_values"], first["top_values"])
    monkeypatch.undo()
    monkeypatch.setenv("HEADLINE_LENS_CACHE", str(cache_in))
    copy = tmp_path / "bilstm_att.pt"
    torch.save(dict(torch.load(bilstm.path, weights_only=True), note="retrained"), copy)
    retrained = Predictor.load(copy, "cpu")
    units.unit_index(retrained, small_data_dir)
    assert len(list(cache_in.glob("units-*.npz"))) == 2
    assert retrained.sha256 != bilstm.sha256


def test_units_need_a_bilstm(checkpoint_dir, small_data_dir):
    with pytest.raises(ValueError, match="BiLSTM"):
        units.unit_index(Predictor.load(checkpoint_dir / "textcnn.pt", "cpu"), small_data_dir)
