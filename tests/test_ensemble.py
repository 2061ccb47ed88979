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
    for name in ("bilstm_att.pt", "textcnn.pt", "ensemble.metrics.json", "bilstm_att.log.jsonl",
                 "textcnn.log.jsonl"):
        shutil.copyfile(checkpoint_dir / name, tmp_path / name)  # the linear model is missing
    demo = Demo.load(tmp_path, tmp_path, "cpu")
    assert ENSEMBLE in demo.model_names()
    assert demo.predictor(ENSEMBLE).unsure_threshold is None
    assert [r["name"] for r in demo.model_rows()] == ["BiLSTM-attention", "TextCNN"]
