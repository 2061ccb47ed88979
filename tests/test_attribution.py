"""Integrated gradients and the agreement of attribution methods, on the shipped checkpoints."""


import pytest
import torch

from cls_core.explain import attribution, cache, inspection
from cls_core.app import deep
from cls_core.data import load_split, pad_batch
from cls_core.models.predictor import Predictor

HEADLINES = ["国足3:0完胜泰国队", "央行宣布下调存款准备金率", "《魔兽世界》新资料片今日上线"]


@pytest.fixture(scope="module")
def networks(checkpoint_dir):
    return {kind: Predictor.load(checkpoint_dir / f"{kind}.pt", "cpu") for kind in ("bilstm_att", "textcnn")}


@pytest.fixture()
def cache_in(tmp_path, monkeypatch):
    monkeypatch.setenv("HEADLINE_LENS_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def logit(predictor, text, c, baseline=False):
    chars, bigrams, lengths = pad_batch([predictor.encoder.encode(text)])
    if baseline:
        chars, bigrams = torch.zeros_like(chars), torch.zeros_like(bigrams)
    with torch.no_grad():
        return float(predictor.model(chars, bigrams, lengths)[0, c])


@pytest.mark.parametrize("kind", ["bilstm_att", "textcnn"])
def test_integrated_gradients_are_complete(networks, kind):
    """Scores sum to logit(headline) - logit(all padding), up to the reported delta <= 0.05."""
    predictor = networks[kind]
    for result, text in zip(attribution.integrated_gradients_batch(predictor, HEADLINES), HEADLINES):
        c = result["class_index"]
        assert c == int(predictor.predict_proba([text])[0].argmax())
        assert len(result["scores"]) == len(result["chars"]) == len(text)
        gap = logit(predictor, text, c) - logit(predictor, text, c, baseline=True)
        assert abs(result["ig_delta"]) <= attribution.MAX_DELTA
        assert result["scores"].sum() == pytest.approx(gap + result["ig_delta"], abs=1e-3)
        assert abs(result["scores"].sum() - gap) <= attribution.MAX_DELTA + 1e-4


def test_one_score_per_character_as_read(networks):
    predictor = networks["bilstm_att"]
    text = "國足３：０完勝泰國隊"
    result = attribution.integrated_gradients(predictor, text)
    assert "".join(result["chars"]) == predictor.normalize(text)
    assert len(result["scores"]) == len(predictor.normalize(text))


def test_method_scores_and_agreement(networks, checkpoint_dir):
    models = dict(networks, linear=Predictor.load(checkpoint_dir / "linear.npz"))
    for kind, predictor in models.items():
        scored = attribution.method_scores(predictor, HEADLINES[1])
        assert set(scored["scores"]) == set(attribution.METHODS[kind])
        assert all(len(v) == len(scored["chars"]) for v in scored["scores"].values())
        rhos = attribution.agreement(scored, kind)
        assert set(rhos) == {f"{a} vs {b}" for a, b in attribution.pairs(kind)}
        assert all(-1 <= r <= 1 for r in rhos.values())
    # the TextCNN's n-gram scores and integrated gradients both explain the same logit
    scored = attribution.method_scores(models["textcnn"], HEADLINES[0])
    assert attribution.agreement(scored, "textcnn")["integrated_gradients vs ngram"] > 0


def test_known_scores_are_used_not_recomputed(networks, checkpoint_dir, monkeypatch):
    """Given the scores Demo.inside computed on the same characters, method_scores returns
    what it would have computed, without running occlusion or inspection again."""
    models = dict(networks, linear=Predictor.load(checkpoint_dir / "linear.npz"))
    for kind, predictor in models.items():
        computed = attribution.method_scores(predictor, HEADLINES[2])
        known = {"chars": computed["chars"], "class_index": computed["class_index"],
                 "scores": {m: v for m, v in computed["scores"].items() if m != "integrated_gradients"}}

        def no_recompute(*args, **kwargs):
            raise AssertionError("recomputed although known")
        with monkeypatch.context() as m:
            for name in ("occlusion", "inspect_bilstm", "inspect_textcnn", "inspect_linear"):
                m.setattr(attribution.inspection, name, no_recompute)
            reused = attribution.method_scores(predictor, HEADLINES[2], known=known)
        assert reused["class_index"] == computed["class_index"] and reused["chars"] == computed["chars"]
        for method, values in computed["scores"].items():
            assert reused["scores"][method] == pytest.approx(values, abs=1e-5)
        # scores of other characters (another headline) are not taken
        other = attribution.method_scores(predictor, HEADLINES[0], known=known)
        assert len(other["scores"]["occlusion"]) == len(HEADLINES[0])


def test_attributions_view(networks):
    out = deep.attributions(networks["bilstm_att"], HEADLINES[0])
    assert len(out["integrated_gradients"]) == len(out["chars"])
    assert abs(out["ig_delta"]) <= attribution.MAX_DELTA
    assert {t.name for t in out["methods_plot"].data} == {"integrated gradients", "attention", "occlusion"}
    assert out["reduction"]["class_index"] == networks["bilstm_att"].classes.index(out["class"])
    # given what Demo.inside computed, the same answer with the same keys
    occluded = inspection.occlusion(networks["bilstm_att"], HEADLINES[0])
    known = {"chars": out["chars"], "class_index": out["reduction"]["class_index"],
             "scores": {m: v for m, v in out["scores"].items() if m != "integrated_gradients"},
             "probabilities": occluded["probs"], "deletions": occluded["without"]}
    again = deep.attributions(networks["bilstm_att"], HEADLINES[0], inside={"method_scores": known})
    assert again.keys() == out.keys()
    assert again["integrated_gradients"] == out["integrated_gradients"]
    assert again["agreement"] == pytest.approx(out["agreement"], nan_ok=True)
    assert (again["reduction"], again["flip"]) == (out["reduction"], out["flip"])


def test_test_agreement_is_cached_per_checkpoint(networks, small_data_dir, cache_in, monkeypatch, tmp_path):
    predictor = networks["textcnn"]
    first = attribution.cached_agreement(predictor, small_data_dir, sample=12)
    assert first["headlines"] == 12 and set(first["pairs"]) == {"integrated_gradients vs ngram",
                                                                "integrated_gradients vs occlusion", "ngram vs occlusion"}
    assert first["ig_delta"]["max"] <= attribution.MAX_DELTA
    assert list(cache_in.glob("agreement-12-*.json"))

    def no_recompute(*args, **kwargs):
        raise AssertionError("recomputed although cached")
    monkeypatch.setattr(attribution, "test_agreement", no_recompute)
    assert attribution.cached_agreement(predictor, small_data_dir, sample=12) == first
    # another checkpoint file (same weights, other bytes) gets its own entry
    copy = tmp_path / "textcnn.pt"
    payload = torch.load(predictor.path, weights_only=True)
    torch.save(dict(payload, note="copy"), copy)
    assert cache.fingerprint(copy) != cache.fingerprint(predictor.path)
    with pytest.raises(AssertionError, match="recomputed"):
        attribution.cached_agreement(Predictor.load(copy, "cpu"), small_data_dir, sample=12)


def test_sample_keeps_every_topic(small_data_dir):
    test = load_split(small_data_dir, "test")
    index = attribution.sample_indices(len(test), 50)
    assert len(index) == 50 and len({test.labels[i] for i in index}) == len(test.classes)
