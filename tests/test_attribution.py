"""Integrated gradients and the agreement of attribution methods, on the shipped checkpoints."""

import numpy as np
import pytest
import torch

from cls_core.app import deep
from cls_core.data import load_split, pad_batch
from cls_core.explain import attribution, counterfactual, inspection
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


def inside_of(predictor, text):
    """What Demo.inside computed for a headline (its "method_scores"): every method but
    integrated gradients, and occlusion's probabilities with and without each character."""
    scored = attribution.method_scores(predictor, text)
    occluded = inspection.occlusion(predictor, "".join(scored["chars"]))
    return {
        "chars": scored["chars"],
        "class_index": scored["class_index"],
        "scores": {m: v for m, v in scored["scores"].items() if m != "integrated_gradients"},
        "probabilities": occluded["probs"],
        "deletions": occluded["without"],
    }


def assert_same(a, b, where="answer"):
    """Equal, numbers to float rounding, arrays and lists element by element."""
    if isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            if key != "methods_plot":  # a figure drawn from the numbers compared here
                assert_same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (list, tuple, np.ndarray)) and len(a) and not isinstance(a[0], str):
        np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), atol=1e-5, err_msg=where)
    elif isinstance(a, float):
        assert a == pytest.approx(b, abs=1e-5, nan_ok=True), where
    else:
        assert a == b, where


# What takes Demo.inside's scores, and how many headlines they save it from scoring again.
REUSERS = {
    "method_scores": (lambda p, text, known: attribution.method_scores(p, text, known=known), lambda n: 0),
    "smallest_flip": (lambda p, text, known: counterfactual.smallest_flip(p, text, known=known), lambda n: 1 + n),
    "attributions_view": (
        lambda p, text, known: deep.attributions(p, text, inside=None if known is None else {"method_scores": known}),
        lambda n: 1 + n,
    ),
}


@pytest.mark.parametrize(
    "kind, reuser",
    [
        (kind, reuser)
        for reuser in REUSERS
        for kind in ("bilstm_att", "textcnn", "linear")
        if reuser != "attributions_view" or kind == "bilstm_att"
    ],
)
def test_reusing_computed_scores_gives_the_same_answer(networks, checkpoint_dir, monkeypatch, kind, reuser):
    """Given what Demo.inside computed on the same characters, each function answers as it
    would alone, without running occlusion or inspection again, and scoring fewer headlines."""
    predictor = networks.get(kind) or Predictor.load(checkpoint_dir / "linear.npz")
    compute, saving = REUSERS[reuser]
    text = HEADLINES[2]
    known = inside_of(predictor, text)
    scored, answer = [], counterfactual._answer

    def counted(p, texts):
        scored.append(len(texts))
        return answer(p, texts)

    monkeypatch.setattr(counterfactual, "_answer", counted)
    alone = compute(predictor, text, None)
    alone_scored, scored[:] = sum(scored), []

    def no_recompute(*args, **kwargs):
        raise AssertionError("recomputed although known")

    with monkeypatch.context() as m:
        for name in ("occlusion", "inspect_bilstm", "inspect_textcnn", "inspect_linear"):
            m.setattr(attribution.inspection, name, no_recompute)
        given = compute(predictor, text, known)
    assert_same(alone, given)
    assert sum(scored) == alone_scored - saving(len(known["chars"]))


def test_known_scores_of_other_characters_are_not_taken(networks):
    predictor = networks["textcnn"]
    known = inside_of(predictor, HEADLINES[2])
    other = attribution.method_scores(predictor, HEADLINES[0], known=known)
    assert other["chars"] == list(HEADLINES[0]) and len(other["scores"]["occlusion"]) == len(HEADLINES[0])
    assert_same(other, attribution.method_scores(predictor, HEADLINES[0]))


def test_attributions_view(networks):
    out = deep.attributions(networks["bilstm_att"], HEADLINES[0])
    assert len(out["integrated_gradients"]) == len(out["chars"])
    assert abs(out["ig_delta"]) <= attribution.MAX_DELTA
    assert {t.name for t in out["methods_plot"].data} == {"integrated gradients", "attention", "occlusion"}
    assert out["reduction"]["class_index"] == networks["bilstm_att"].classes.index(out["class"])


def test_test_agreement_is_cached_per_checkpoint(networks, small_data_dir, cache_in, monkeypatch, tmp_path):
    predictor = networks["textcnn"]
    first = attribution.cached_agreement(predictor, small_data_dir, sample=12)
    assert first["headlines"] == 12 and set(first["pairs"]) == {
        "integrated_gradients vs ngram",
        "integrated_gradients vs occlusion",
        "ngram vs occlusion",
    }
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
    copied = Predictor.load(copy, "cpu")
    assert copied.sha256 != predictor.sha256
    with pytest.raises(AssertionError, match="recomputed"):
        attribution.cached_agreement(copied, small_data_dir, sample=12)


def test_sample_keeps_every_topic(small_data_dir):
    test = load_split(small_data_dir, "test")
    index = attribution.sample_indices(len(test), 50)
    assert len(index) == 50 and len({test.labels[i] for i in index}) == len(test.classes)
