import csv

import numpy as np
import pytest

from cls_core.evaluate import evaluate
from cls_core.service import ENSEMBLE, MAX_BATCH_LINES, MAX_CHARS, Demo, UserError, clean_headline

SINGLES = ["BiLSTM-attention", "TextCNN", "Linear (TF-IDF + SVM)"]


@pytest.fixture(scope="module")
def demo(checkpoint_dir, small_data_dir):
    core = Demo.load(checkpoint_dir, small_data_dir, device="cpu")
    assert core.problems == []
    return core


def test_clean_headline_is_friendly_and_literal():
    with pytest.raises(UserError, match="empty"):
        clean_headline("  \n\t ")
    with pytest.raises(UserError):
        clean_headline(None)
    assert clean_headline(" 国足\x00胜\u200b泰国\n ") == ("国足胜泰国", "")
    assert clean_headline("<script>alert(1)</script> 😀 GDP 3%")[0] == "<script>alert(1)</script> 😀 GDP 3%"
    text, notice = clean_headline("长" * 500)
    assert len(text) == MAX_CHARS and "500" in notice and str(MAX_CHARS) in notice


def test_predict_side_by_side(demo):
    text, notice, results = demo.predict("国足3:0完胜泰国队 晋级世界杯预选赛", demo.model_names())
    assert list(results) == SINGLES + [ENSEMBLE]
    for top, ms, verdict in results.values():
        assert len(top) == 5 and ms > 0
        assert verdict == {"read_as": "国足3:0完胜泰国队 晋级世界杯预选赛", "unknown_share": 0.0,
                           "unsure": False, "reason": ""}
        assert list(top.values()) == sorted(top.values(), reverse=True) and sum(top.values()) <= 1 + 1e-6
    assert next(iter(results["Linear (TF-IDF + SVM)"][0])) == "体育 sports"
    assert next(iter(results[ENSEMBLE][0])) == "体育 sports"
    assert len(demo.predict("国足", ["TextCNN"], top_k=99)[2]["TextCNN"][0]) == 10
    assert len(demo.predict("国足", ["TextCNN"], top_k=-3)[2]["TextCNN"][0]) == 1
    with pytest.raises(UserError, match="not loaded"):
        demo.predict("国足", ["GPT"])


@pytest.mark.parametrize("name", SINGLES)
def test_inside_maps_every_weight_to_a_character(demo, name):
    r = demo.inside("央行宣布下调存款准备金率0.5个百分点", name)
    n = len(r["text"])
    assert len(r["weights"]) == n and len(r["occlusion"]) == n
    assert all(-1 <= s <= 1 for _, s in r["weights"] + r["occlusion"])
    assert np.asarray(r["reading_plot"].data[0].y).shape == (n,)
    if name == "BiLSTM-attention":
        assert r["hidden_plot"] is not None and np.asarray(r["hidden_plot"].data[0].z).shape[1] == n
        assert sum(r["weights_plot"].data[0].y) == pytest.approx(1.0, abs=1e-5)
    else:
        assert r["table"] and r["hidden_plot"] is None
    if name == "TextCNN":
        assert [label for label, _ in r["windows"]] == [f"{k}-character windows" for k in (2, 3, 4)]
        assert all(len(pairs) == n for _, pairs in r["windows"])


def test_inside_refuses_the_ensemble(demo):
    with pytest.raises(UserError, match="one model"):
        demo.inside("国足胜泰国", ENSEMBLE)


def test_evaluate_is_cached_and_agrees_with_the_evaluator(demo, small_data_dir):
    seen = []
    first = demo.evaluate("TextCNN", progress=seen.append)
    assert seen and seen[-1] == 1.0
    again = demo.evaluate("TextCNN", progress=seen.append)
    assert again is first and seen[-1] == 1.0 and len(seen) == len(set(range(len(seen))))
    direct = evaluate(demo.predictor("TextCNN"), demo.test_split())
    assert first["accuracy"] == direct["accuracy"] and first["confusion"] == direct["confusion"]
    classes = demo.test_split().classes
    rows, total = demo.cell_headlines(first, classes, "finance", "stocks")
    assert total == first["confusion"][0][2]
    probabilities = [r[3] for r in rows]
    assert probabilities == sorted(probabilities, reverse=True)


def test_disagreements_and_csv(demo):
    names, rows, total = demo.disagreements()
    assert names == SINGLES and len(rows) == min(total, 200)
    assert all(len({r[2][:-2], r[3][:-2], r[4][:-2]}) > 1 for r in rows)
    report = demo.evaluate(ENSEMBLE)
    with open(demo.predictions_csv(report), encoding="utf-8") as f:
        lines = list(csv.reader(f))
    assert lines[0][:3] == ["headline", "true", "predicted"] and len(lines) == 1 + len(demo.test_split())


def test_predict_file_txt_and_csv(demo, tmp_path):
    txt = tmp_path / "in.txt"
    txt.write_text("国足胜泰国\n\n央行降息\n", encoding="utf-8")
    path, n = demo.predict_file(txt)
    rows = list(csv.reader(open(path, encoding="utf-8")))
    assert n == 2 and len(rows) == 3 and rows[1][0] == "国足胜泰国"
    table = tmp_path / "in.csv"
    table.write_text("id,headline\n1,国足胜泰国\n", encoding="utf-8")
    assert demo.predict_file(table)[1] == 1
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(UserError, match="UTF-8"):
        demo.predict_file(bad)
    many = tmp_path / "many.txt"
    many.write_text("标题\n" * (MAX_BATCH_LINES + 1), encoding="utf-8")
    with pytest.raises(UserError, match="limit"):
        demo.predict_file(many)


def test_a_corrupt_checkpoint_leaves_the_others_working(checkpoint_dir, tmp_path):
    for name in ("textcnn.pt", "linear.npz"):
        (tmp_path / name).write_bytes((checkpoint_dir / name).read_bytes())
    (tmp_path / "bilstm_att.pt").write_bytes(b"not a checkpoint")
    core = Demo.load(tmp_path, tmp_path / "no-data")
    assert list(core.models) == ["TextCNN", "Linear (TF-IDF + SVM)"]
    assert len(core.problems) == 1 and "BiLSTM-attention is unavailable" in core.problems[0]
    with pytest.raises(UserError, match="cls_core.data fetch"):
        core.random_test_headline()


def test_overview_numbers(demo):
    assert demo.class_counts()["test"] == [50] * 10
    rows = demo.model_rows()
    assert [r[0] for r in rows] == SINGLES
    assert all(r[3] > 0.85 for r in rows)  # recorded test accuracy of the shipped models
    assert demo.training_log("TextCNN")[-1]["type"] == "epoch"
