import numpy as np
import pytest
from scipy.special import softmax
from sklearn.metrics import f1_score, log_loss

from cls_core.data import Dataset
from cls_core.evaluation.evaluate import classification_report, evaluate
from cls_core.models.calibration import expected_calibration_error, fit_temperature, reliability_bins


def test_temperature_lowers_nll_of_an_overconfident_model():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 5, size=2000)
    logits = rng.normal(size=(2000, 5))
    logits[np.arange(2000), labels] += 1.5  # informative...
    logits *= 6  # ...but far too sure of itself
    t = fit_temperature(logits, labels)
    assert t > 2
    before, after = softmax(logits, axis=1), softmax(logits / t, axis=1)
    assert log_loss(labels, after) < log_loss(labels, before) - 0.3
    assert expected_calibration_error(after, labels) < expected_calibration_error(before, labels)
    assert (after.argmax(1) == before.argmax(1)).all()  # predictions unchanged


def test_ece_matches_a_hand_computed_example():
    probs = np.array([[0.95, 0.05, 0.0], [0.95, 0.05, 0.0], [0.55, 0.45, 0.0], [0.35, 0.3, 0.35]])
    labels = np.array([0, 1, 0, 1])
    # bin (0.933, 1.0]: acc 0.5 conf 0.95 -> 2/4 * 0.45; bin (0.533, 0.6]: acc 1 conf 0.55 -> 1/4 * 0.45;
    # bin (0.333, 0.4]: argmax is class 0, wrong, conf 0.35 -> 1/4 * 0.35
    expected = 0.5 * 0.45 + 0.25 * 0.45 + 0.25 * 0.35
    assert expected_calibration_error(probs, labels) == pytest.approx(expected)
    bins = reliability_bins(probs, labels)
    assert len(bins) == 15 and sum(b["count"] for b in bins) == 4
    assert bins[14]["count"] == 2 and bins[14]["accuracy"] == 0.5


def test_report_agrees_with_scikit_learn_and_by_hand():
    labels = [0, 0, 1, 1, 2, 2]
    predicted = [0, 1, 1, 1, 2, 0]
    probs = np.eye(3)[predicted]
    report = classification_report(probs, labels, ["a", "b", "c"])
    assert report["accuracy"] == pytest.approx(4 / 6)
    assert report["confusion"] == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    # class a: P 1/2 R 1/2; b: P 2/3 R 1; c: P 1 R 1/2
    assert [round(r["precision"], 4) for r in report["per_class"]] == [0.5, 0.6667, 1.0]
    assert [r["recall"] for r in report["per_class"]] == [0.5, 1.0, 0.5]
    assert report["macro_f1"] == pytest.approx(f1_score(labels, predicted, average="macro"))
    assert report["macro_f1"] == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)


def test_macro_f1_averages_the_classes_the_test_set_holds():
    """A set without some classes (Toutiao's mapped channels: no society, no politics) is not
    scored as if the model had an F1 of 0 on them; an answer of such a class still costs the
    class that was right its recall."""
    labels = [0, 0, 1, 1]  # no headline of class c
    predicted = [0, 2, 1, 1]
    report = classification_report(np.eye(3)[predicted], labels, ["a", "b", "c"])
    assert report["macro_f1"] == pytest.approx((2 / 3 + 1.0) / 2)
    assert report["macro_f1"] == pytest.approx(f1_score(labels, predicted, labels=[0, 1], average="macro"))
    assert report["per_class"][2]["support"] == 0


class FixedPredictor:
    """Always the same calibrated probabilities; the temperature halves the log-odds."""

    name, classes, unsure_threshold = "fixed", ["a", "b", "c"], None

    def probabilities(self, texts):
        return np.tile([0.7, 0.2, 0.1], (len(texts), 1)), np.tile([0.5, 0.3, 0.2], (len(texts), 1))


def test_nll_counts_every_class_even_one_absent_from_the_labels():
    report = evaluate(FixedPredictor(), Dataset(["x", "y"], [0, 1], ["a", "b", "c"]))  # no "c" headline
    assert report["nll"]["after"] == pytest.approx(-(np.log(0.7) + np.log(0.2)) / 2)
    assert report["nll"]["before"] == pytest.approx(-(np.log(0.5) + np.log(0.3)) / 2)
