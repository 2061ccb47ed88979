"""An ensemble states its members, and the threshold and figures recorded for it apply only
to exactly those members (a two-model average is not the three-model ensemble)."""

import shutil

import pytest

from cls_core.app.service import ENSEMBLE, Demo
from cls_core.models.predictor import SHIPPED_MODELS, Predictor, ensemble_record, load_ensemble, load_predictor


@pytest.fixture(scope="module")
def shipped(checkpoint_dir):
    return {name: Predictor.load(checkpoint_dir / f, "cpu") for name, f in SHIPPED_MODELS.items()}


def test_the_record_applies_to_its_own_members(shipped, checkpoint_dir):
    everyone = list(shipped.values())
    record = ensemble_record(checkpoint_dir, everyone)
    assert record["members"] and record["test"]["accuracy"] > 0.9
    assert load_ensemble(everyone, checkpoint_dir).unsure_threshold == record["unsure_threshold"]
    two = everyone[:2]
    assert ensemble_record(checkpoint_dir, two) is None
    assert load_ensemble(two, checkpoint_dir).unsure_threshold is None
    assert load_predictor([m.path for m in two], "cpu").unsure_threshold is None


def test_an_app_missing_a_model_shows_no_three_model_figures(tmp_path, checkpoint_dir):
    for name in ("bilstm_att.pt", "textcnn.pt", "ensemble.metrics.json", "bilstm_att.log.jsonl", "textcnn.log.jsonl"):
        shutil.copyfile(checkpoint_dir / name, tmp_path / name)  # the linear model is missing
    demo = Demo.load(tmp_path, tmp_path, "cpu")
    assert ENSEMBLE in demo.model_names()
    assert demo.predictor(ENSEMBLE).unsure_threshold is None
    assert [r["name"] for r in demo.model_rows()] == ["BiLSTM-attention", "TextCNN"]


def test_an_ensemble_scoring_many_texts_in_threads_gives_what_one_by_one_gives(shipped, data_dir):
    """From PARALLEL_FROM texts on the members score in threads side by side (Evaluate's
    whole test split); the average is the same as the members' one after the other."""
    from cls_core.data import load_split
    from cls_core.evaluation.evaluate import evaluate
    from cls_core.models import predictor as predictor_module

    texts = load_split(data_dir, "test").texts[: predictor_module.PARALLEL_FROM]
    ensemble = load_ensemble(list(shipped.values()), "no-such-dir")
    members = [m.probabilities(texts)[0] for m in ensemble.members]
    assert ensemble.probabilities(texts)[0] == pytest.approx(sum(members) / len(members), abs=1e-12)
    # evaluate scores the split shortest first; each prediction is still its own headline's
    test = load_split(data_dir, "test")
    test.texts, test.labels = texts, test.labels[: len(texts)]
    report = evaluate(shipped["TextCNN"], test)
    probs = shipped["TextCNN"].predict_proba(texts)
    assert [p["text"] for p in report["predictions"]] == texts
    assert [p["predicted"] for p in report["predictions"]] == probs.argmax(axis=1).tolist()
    assert [p["probability"] for p in report["predictions"]] == pytest.approx(probs.max(axis=1), abs=1e-5)
