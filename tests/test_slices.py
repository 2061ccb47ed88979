"""Accuracy by headline length and by unknown characters, from real evaluate reports."""

import numpy as np
import pytest

from cls_core.app import deep
from cls_core.data import load_split
from cls_core.evaluation import slices
from cls_core.evaluation.evaluate import evaluate
from cls_core.models.predictor import Predictor


def test_slices_add_up_to_the_report(checkpoint_dir, small_data_dir):
    test = load_split(small_data_dir, "test")
    predictors = {
        "TextCNN": Predictor.load(checkpoint_dir / "textcnn.pt", "cpu"),
        "Linear": Predictor.load(checkpoint_dir / "linear.npz"),
    }
    reports = {name: evaluate(p, test) for name, p in predictors.items()}
    view = deep.slices_view(predictors, reports)
    for name, result in view["slices"].items():
        for which in ("length", "unknown_share"):
            rows = result[which]
            assert sum(r["headlines"] for r in rows) == len(test)
            correct = sum(r["accuracy"] * r["headlines"] for r in rows if r["headlines"])
            assert correct / len(test) == pytest.approx(reports[name]["accuracy"])
        assert [r["bin"] for r in result["length"]] == [b[0] for b in slices.LENGTH_BINS]
    assert len(view["length_plot"].data) == 2 and len(view["unknown_plot"].data) == 2


def test_unknown_characters_are_counted(checkpoint_dir):
    predictor = Predictor.load(checkpoint_dir / "textcnn.pt", "cpu")
    rows = [{"text": "国足完胜泰国队", "label": 7, "predicted": 7}, {"text": "㐀㐁㐂国足", "label": 7, "predicted": 1}]
    result = slices.accuracy_slices(predictor, rows)["unknown_share"]
    assert result[0] == {"bin": "0", "headlines": 1, "accuracy": 1.0}
    assert result[-1] == {"bin": "> 10 %", "headlines": 1, "accuracy": 0.0}


def test_each_value_falls_in_the_bin_whose_edges_hold_it():
    correct = np.ones(6, dtype=bool)
    lengths = slices._rows(np.array([12, 13, 16, 17, 24, 25]), correct, slices.LENGTH_BINS)
    assert [r["headlines"] for r in lengths] == [1, 2, 1, 1, 1]
    unknown = slices._rows(np.array([0.0, 1e-12, 0.05, 0.0500001, 0.1, 0.2]), correct, slices.UNKNOWN_BINS)
    assert [r["headlines"] for r in unknown] == [1, 2, 2, 1]
