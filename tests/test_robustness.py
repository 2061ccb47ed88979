"""cls_core.evaluation.robustness: the figures on script, unseen characters and the unsure
verdict, and the ensemble's recorded threshold and test figures (which the app shows), on
the small split with the shipped checkpoints (read only; everything is written to tmp_path)."""

import json
from types import SimpleNamespace

import numpy as np
import pytest

from cls_core.data import load_split
from cls_core.data.normalize import opencc_converter
from cls_core.evaluation import robustness
from cls_core.models.predictor import ENSEMBLE_METRICS, Predictor, assess, ensemble_record, load_ensemble
from cls_core.models.unsure import TARGET_COVERAGE

MEMBERS = ("textcnn.pt", "linear.npz")  # the two quick ones: an ensemble needs no more


@pytest.fixture(scope="module")
def members(checkpoint_dir):
    return {name.split(".")[0]: Predictor.load(checkpoint_dir / name, "cpu") for name in MEMBERS}


@pytest.fixture(scope="module")
def test_split(small_data_dir):
    return load_split(small_data_dir, "test")


@pytest.fixture(scope="module")
def figures(members, small_data_dir):
    return robustness.measure(members, small_data_dir)


def accuracy(probs, labels):
    return float((np.asarray(probs).argmax(axis=1) == np.asarray(labels)).mean())


def test_measure_gives_a_row_per_model_and_their_average(figures, members, test_split):
    assert list(figures) == ["textcnn", "linear", "ensemble"]
    probs = {name: m.predict_proba(test_split.texts) for name, m in members.items()}
    probs["ensemble"] = np.mean(list(probs.values()), axis=0)
    today = robustness.TODAY.read_text(encoding="utf-8").splitlines()
    hk = [opencc_converter("s2hk").convert(t) for t in test_split.texts]
    for name, row in figures.items():
        assert row["test"] == pytest.approx(accuracy(probs[name], test_split.labels)) and row["test"] > 0.85, name
        for config in robustness.CONVERSIONS:  # normalisation reads Traditional script back
            assert row[f"{config}_loss_points"] == round(100 * (row["test"] - row[config]), 2)
            assert abs(row[f"{config}_loss_points"]) <= 1.0, (name, config)
        assert row["unseen15"] < row["test"]
        assert row["today_headlines"] == len([line for line in today if line.strip()]) and 0.5 < row["today"] <= 1
        assert ("seconds_per_test_pass" in row) == (name != "ensemble")
    assert figures["ensemble"]["s2hk"] == pytest.approx(
        accuracy(np.mean([m.predict_proba(hk) for m in members.values()], axis=0), test_split.labels)
    )


def test_unsure_figures_are_those_of_the_verdicts(figures, members, test_split):
    predictor = members["textcnn"]
    probs = predictor.predict_proba(test_split.texts)
    unsure = np.array([v.unsure for v in assess(predictor, test_split.texts, probs)])
    correct = probs.argmax(axis=1) == np.asarray(test_split.labels)
    row = figures["textcnn"]["unsure"]
    assert row["flagged"] == pytest.approx(unsure.mean()) and 0.02 < row["flagged"] < 0.3
    assert sum(row["reasons"].values()) == unsure.sum()
    assert row["accuracy_answered"] == pytest.approx(correct[~unsure].mean())
    assert row["accuracy_flagged"] == pytest.approx(correct[unsure].mean())
    assert row["accuracy_answered"] > row["accuracy_all"] > row["accuracy_flagged"]  # the verdict means something
    # no threshold recorded for the pair here: the average flags only what its rules catch
    assert figures["ensemble"]["unsure"]["flagged"] == 0 and figures["ensemble"]["unsure"]["accuracy_flagged"] is None


def test_the_time_recorded_is_one_pass_over_the_test_split(members, small_data_dir, test_split, monkeypatch):
    textcnn, passes = members["textcnn"], []
    predict_proba = textcnn.predict_proba
    monkeypatch.setattr(textcnn, "predict_proba", lambda texts: passes.append(len(texts)) or predict_proba(texts))
    monkeypatch.setattr(robustness, "time", SimpleNamespace(perf_counter=lambda: float(len(passes))))  # ticks a pass
    row = robustness.measure({"textcnn": textcnn}, small_data_dir)["textcnn"]
    assert passes[:4] == [len(test_split)] * 4  # as published, s2twp, s2hk, unseen15
    assert row["seconds_per_test_pass"] == 1.0


def test_fit_ensemble_records_what_the_app_reads(members, small_data_dir, test_split, tmp_path):
    threshold = robustness.fit_ensemble(members, small_data_dir, tmp_path)
    record = json.loads((tmp_path / ENSEMBLE_METRICS).read_text(encoding="utf-8"))
    assert record["members"] == list(MEMBERS) and record["unsure_threshold"] == threshold
    dev = load_split(small_data_dir, "dev")
    dev_confidence = np.mean([m.predict_proba(dev.texts) for m in members.values()], axis=0).max(axis=1)
    assert (dev_confidence >= threshold).mean() == pytest.approx(TARGET_COVERAGE, abs=0.01)  # fitted on dev
    test_probs = np.mean([m.predict_proba(test_split.texts) for m in members.values()], axis=0)
    assert record["test"]["headlines"] == len(test_split)
    assert record["test"]["accuracy"] == pytest.approx(accuracy(test_probs, test_split.labels))
    assert set(record["test"]) == {"accuracy", "macro_f1", "ece", "nll", "headlines"}
    # the app and `load_predictor` take it up for exactly these members
    assert ensemble_record(tmp_path, list(members.values())) == record
    assert load_ensemble(list(members.values()), tmp_path).unsure_threshold == threshold
    assert ensemble_record(tmp_path, [members["textcnn"]]) is None


def run_main(checkpoint_dir, small_data_dir, out_dir, capsys, *args):
    """`python -m cls_core.evaluation.robustness` on the two members; (printed rows by model, figures)."""
    robustness.main(
        [arg for name in MEMBERS for arg in ("--checkpoint", str(checkpoint_dir / name))]
        + [
            "--checkpoints",
            str(out_dir),
            "--data-dir",
            str(small_data_dir),
            "--device",
            "cpu",
            "--json",
            str(out_dir / "robustness.json"),
            *args,
        ]
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "model",
        "test",
        "s2twp",
        "loss",
        "s2hk",
        "loss",
        "unseen15",
        "today",
        "unsure",
        "acc",
        "answered",
        "acc",
        "flagged",
    ]
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:4]}
    assert lines[-1] == f"figures written to {out_dir / 'robustness.json'}"
    return rows, json.loads((out_dir / "robustness.json").read_text(encoding="utf-8"))


def test_main_prints_the_figures_it_writes(checkpoint_dir, small_data_dir, tmp_path, capsys):
    rows, figures = run_main(checkpoint_dir, small_data_dir, tmp_path, capsys, "--write")
    assert (tmp_path / ENSEMBLE_METRICS).exists()
    assert list(rows) == list(figures) == ["textcnn", "linear", "ensemble"]
    for name, printed in rows.items():
        r, u = figures[name], figures[name]["unsure"]
        assert printed == [
            f"{r['test']:.2%}",
            f"{r['s2twp']:.2%}",
            f"{r['s2twp_loss_points']:.2f}",
            f"{r['s2hk']:.2%}",
            f"{r['s2hk_loss_points']:.2f}",
            f"{r['unseen15']:.2%}",
            f"{r['today']:.1%}",
            f"{u['flagged']:.1%}",
            f"{u['accuracy_answered']:.2%}",
            f"{u['accuracy_flagged']:.2%}",
        ]
    assert 0.05 < figures["ensemble"]["unsure"]["flagged"] < 0.3  # the threshold just fitted on dev


@pytest.mark.parametrize(
    "threshold, flagged, answered, in_flagged",
    [
        (1.01, "100.0%", "—", "accuracy"),  # no probability reaches it: nothing answered
        (0.0, "0.0%", "accuracy", "—"),  # every probability reaches it, and no rule flags these: nothing flagged
    ],
)
def test_the_table_shows_a_dash_where_there_is_no_headline(
    checkpoint_dir, small_data_dir, tmp_path, capsys, threshold, flagged, answered, in_flagged
):
    (tmp_path / ENSEMBLE_METRICS).write_text(json.dumps({"members": list(MEMBERS), "unsure_threshold": threshold}))
    rows, figures = run_main(checkpoint_dir, small_data_dir, tmp_path, capsys, "--today", str(tmp_path / "none.txt"))
    accuracy_shown = f"{figures['ensemble']['test']:.2%}"
    assert rows["ensemble"][6:] == [
        "—",
        flagged,
        accuracy_shown if answered == "accuracy" else "—",
        accuracy_shown if in_flagged == "accuracy" else "—",
    ]
