import csv
import os
import threading
import time

import numpy as np
import pytest

from cls_core.app import service
from cls_core.data import DataFormatError
from cls_core.evaluation.evaluate import evaluate
from cls_core.app.service import (ENSEMBLE, MAX_BATCH_LINES, MAX_CHARS, Demo, Downloads, Gate, UserError,
                              attention_note, clean_headline, csv_safe, link_query, read_link)

SINGLES = ["BiLSTM-attention", "TextCNN", "Linear (TF-IDF + SVM)"]


@pytest.fixture(scope="module")
def demo(checkpoint_dir, small_data_dir):
    core = Demo.load(checkpoint_dir, small_data_dir, device="cpu")
    assert core.problems == []
    return core


@pytest.fixture(scope="module")
def fresh(checkpoint_dir, tmp_path_factory):
    """The demo as a fresh clone serves it: the shipped checkpoints and no dataset at all."""
    return Demo.load(checkpoint_dir, tmp_path_factory.mktemp("no-dataset"), device="cpu")


def test_clean_headline_is_friendly_and_literal():
    with pytest.raises(UserError, match="empty"):
        clean_headline("  \n\t ")
    with pytest.raises(UserError):
        clean_headline(None)
    assert clean_headline(" 国足\x00胜\u200b泰国\n ") == ("国足胜泰国", "")
    assert clean_headline("<script>alert(1)</script> 😀 GDP 3%")[0] == "<script>alert(1)</script> 😀 GDP 3%"
    text, notice = clean_headline("长" * 500)
    assert len(text) == MAX_CHARS and "500" in notice and str(MAX_CHARS) in notice
    assert "500" in clean_headline("长" * 500, "zh-CN")[1] and "字符" in clean_headline("长" * 500, "zh-CN")[1]


def test_user_errors_speak_the_visitors_language():
    e = UserError("error_too_many", n=6000, limit=MAX_BATCH_LINES)
    assert str(e) == f"The file holds 6000 headlines; the limit is {MAX_BATCH_LINES}."
    assert e.text("zh-CN") == f"文件有 6000 条标题；上限是 {MAX_BATCH_LINES} 条。"
    assert e.text("zh-TW").startswith("檔案有 6000")


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
    with pytest.raises(UserError, match="at least one model"):
        demo.predict("国足", [])


def test_answers_carry_verdicts_in_the_page_language(demo):
    headline, notice, results = demo.predict("國足3:0完勝泰國隊", ["TextCNN", ENSEMBLE], lang="zh-CN")
    note, panels = demo.answer_panels(headline, notice, results, "zh-CN")
    assert note == "**注意**：模型读作：国足3:0完胜泰国队"
    assert [label.split(" · ")[:2] for label, _ in panels] == [["TextCNN", "✓ 有把握"], ["集成（各模型平均）", "✓ 有把握"]]
    assert next(iter(panels[0][1])) == "体育"
    _, _, junk = demo.predict("<script>alert(1)</script>", ["TextCNN"])
    assert demo.answer_panels("x", "", junk, "en")[1][0][0].startswith("TextCNN · ⚠ unsure: not a Chinese headline")


def test_read_as_never_reaches_markdown_as_markup(demo):
    headline, notice, results = demo.predict("<img src=x onerror=alert(1)>股市ＡＢ大涨", ["TextCNN"])
    note, _ = demo.answer_panels(headline, notice, results)
    assert "<img" not in note and "&lt;img src=x onerror=alert\\(1\\)&gt;股市AB大涨" in note


def test_truth_line_says_right_or_wrong(demo):
    _, _, results = demo.predict("国足3:0完胜泰国队", ["TextCNN", "Linear (TF-IDF + SVM)"])
    assert demo.truth_line("sports", results) == ("**True label:** 体育 sports — TextCNN: ✓ right; "
                                                  "Linear (TF-IDF + SVM): ✓ right")
    _, _, results = demo.predict("国足3:0完胜泰国队", ["TextCNN", "Linear (TF-IDF + SVM)"], lang="zh-CN")
    line = demo.truth_line("game", results, "zh-CN")
    assert line.startswith("**真实类别**：游戏 — TextCNN：✗ 错误（体育）")


def test_api_predict_keeps_its_contract(demo):
    answer = demo.api_predict("國足3:0完勝泰國隊", "TextCNN", 2)
    assert set(answer) == {"headline", "notice", "model", "top", "milliseconds", "read_as", "unsure", "reason",
                           "unknown_share"}
    assert answer["read_as"] == "国足3:0完胜泰国队" and list(answer["top"])[0] == "体育 sports"


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
        even = r["weights_plot"].data[-1]  # the attention bars stand against the even share 1/n
        assert list(even.y) == [pytest.approx(1 / n)] * 2 and "1/n" in even.name
        assert r["attention_note"] and r["table"] == []
    else:
        assert r["table"] and r["hidden_plot"] is None and r["attention_note"] == ""
    if name == "TextCNN":
        assert [label for label, _ in r["windows"]] == [f"Winning n-grams, {k}-character windows" for k in (2, 3, 4)]
        assert all(len(pairs) == n for _, pairs in r["windows"])
        assert r["table_headers"] == ["window", "n-gram", "filters won", "contribution"]
    if name == "Linear (TF-IDF + SVM)":  # its own columns: no "filters won" (always 1) for the linear model
        assert r["table_headers"] == ["n-gram", "tf-idf × weight"] and all(len(row) == 2 for row in r["table"])


def test_ngram_tables_have_no_blank_ngram(demo):
    for name in ("TextCNN", "Linear (TF-IDF + SVM)"):
        table = demo.inside("国足 胜 泰国 晋级", name)["table"]
        column = 1 if name == "TextCNN" else 0
        assert table and all(row[column].strip() for row in table)


def test_signed_bars_use_one_colour_meaning(demo):
    from cls_core.app.figures import AWAY, TOWARD
    plot = demo.inside("央行宣布下调存款准备金率 国足", "TextCNN")["weights_plot"]
    toward, away = plot.data[0], plot.data[1]
    assert toward.marker.color == TOWARD and all(v >= 0 for v in toward.y) and toward.name.startswith("toward")
    assert away.marker.color == AWAY and all(v < 0 for v in away.y) and away.name.startswith("away from")


def test_attention_note_says_when_attention_is_nearly_uniform():
    chars = list("国足3比0完胜泰国队晋级世界杯预选赛下一阶段比赛")
    flat = np.full(len(chars), 1 / len(chars)) + np.linspace(-0.01, 0.015, len(chars))
    assert attention_note(chars, flat / flat.sum(), "en").startswith("Attention is nearly uniform")
    peaked = np.full(len(chars), 0.01)
    peaked[1] = 1 - 0.01 * (len(chars) - 1)
    assert "“足”" in attention_note(chars, peaked, "en") and "“足”" in attention_note(chars, peaked, "zh-CN")


def test_controls_follow_the_model(demo):
    assert demo.rnn_shape("BiLSTM-attention") == (2, 2)
    assert demo.rnn_shape("TextCNN") is None and demo.rnn_shape("Linear (TF-IDF + SVM)") is None
    assert demo.window_count() == 3


def test_long_input_keeps_axis_labels_apart(demo):
    r = demo.inside("股市" * 150, "TextCNN")
    assert len(r["text"]) == MAX_CHARS and r["notice"]
    assert len(r["weights_plot"].layout.xaxis.tickvals) <= 40


def test_inside_refuses_the_ensemble(demo):
    with pytest.raises(UserError, match="one model"):
        demo.inside("国足胜泰国", ENSEMBLE)


def test_evaluate_is_cached_and_agrees_with_the_evaluator(demo):
    seen = []
    first = demo.evaluate("TextCNN", progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0
    again = []
    assert demo.evaluate("TextCNN", progress=again.append) is first
    assert again == []  # served from the cache: nothing scored, no progress
    direct = evaluate(demo.predictor("TextCNN"), demo.test_split())
    assert first["accuracy"] == direct["accuracy"] and first["confusion"] == direct["confusion"]
    rows, message = demo.cell_headlines(first, 0, 2)
    assert message.startswith(f"{first['confusion'][0][2]} headlines: true 财经 finance, predicted 股票 stocks")
    assert all(r[3].endswith("%") for r in rows)
    probabilities = [float(r[3][:-1]) for r in rows]
    assert probabilities == sorted(probabilities, reverse=True)


def test_one_clickable_confusion_table_coloured_like_a_heatmap(demo):
    report = demo.evaluate("Linear (TF-IDF + SVM)")
    counts = demo.confusion_table(report).data
    assert list(counts.columns)[:2] == ["true \\ predicted", "财经 finance"]
    assert counts.iloc[:, 1:].to_numpy().sum() == 500
    shares = demo.confusion_table(report, normalize=True, lang="zh-CN")
    assert shares.data.columns[0] == "真实 \\ 预测" and shares.data.iloc[0, 0] == "财经"
    assert all(cell.endswith("%") for cell in shares.data.iloc[0, 1:])
    html = shares.to_html()
    assert "background-color: rgba(42, 122, 185" in html


def test_per_class_rows_are_percentages(demo):
    rows = demo.per_class_rows(demo.evaluate("Linear (TF-IDF + SVM)"), "zh-CN")
    assert rows[0][0] == "财经" and all(cell.endswith("%") for cell in rows[0][1:4]) and rows[0][4] == 50


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
    txt.write_text("国足胜泰国\n\n央行降息\n=HYPERLINK(\"http://x\")股市\n", encoding="utf-8")
    path, n, skipped = demo.predict_file(txt)
    rows = list(csv.reader(open(path, encoding="utf-8")))
    assert n == 3 and skipped == 1 and len(rows) == 4 and rows[1][0] == "国足胜泰国"
    assert rows[3][0] == "'=HYPERLINK(\"http://x\")股市" and rows[3][1].startswith("'=")  # no formula runs
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


def test_a_line_of_invisible_characters_is_skipped_like_a_blank_one(demo, tmp_path):
    """A zero-width space passes str.strip(); alone on a line it is still an empty line, not
    a reason to reject the whole file."""
    source = tmp_path / "in.txt"
    source.write_text("国足胜泰国\n\u200b\n\n央行降息\n \u200b\u200d \n", encoding="utf-8")
    path, n, skipped = demo.predict_file(source)
    rows = list(csv.reader(open(path, encoding="utf-8")))
    assert (n, skipped) == (2, 3) and [r[0] for r in rows[1:]] == ["国足胜泰国", "央行降息"]
    table = tmp_path / "in.csv"
    table.write_text("id,headline\n1,\u200b\n2,国足胜泰国\n", encoding="utf-8")
    assert demo.predict_file(table)[1:] == (1, 1)


def test_csv_cells_that_start_a_formula_are_escaped():
    assert [csv_safe(c) for c in ("=1+1", "+86", "-3", "@SUM(A1)", "\tx", "国足", "", 0.5)] == \
        ["'=1+1", "'+86", "'-3", "'@SUM(A1)", "'\tx", "国足", "", 0.5]


def test_downloads_are_cleaned_up(tmp_path):
    downloads = Downloads(max_age=60)
    old = downloads.new_path("old.csv")
    old.write_text("x")
    stale = time.time() - 120
    os.utime(old.parent, (stale, stale))
    fresh = downloads.new_path("new.csv")
    assert not old.parent.exists() and fresh.parent.exists() and fresh.name == "new.csv"


def test_a_gate_bounds_running_and_waiting_calls():
    gate, release, entered = Gate(running=1, waiting=1), threading.Event(), threading.Event()

    def hold():
        with gate():
            entered.set()
            release.wait(10)

    threads = [threading.Thread(target=hold) for _ in range(2)]
    for t in threads:
        t.start()
    entered.wait(10)
    time.sleep(0.1)  # the second call is now waiting for the slot
    with pytest.raises(UserError, match="busy"):
        with gate():
            pass
    release.set()
    for t in threads:
        t.join(10)
    with gate():  # free again
        pass


def test_concurrent_evaluations_of_one_model_score_it_once(demo, monkeypatch):
    """A second request for a report being computed waits for it and reuses it."""
    core = Demo(demo.models, [], demo.data_dir, demo.checkpoint_dir)  # nothing evaluated yet
    entered, release, calls = threading.Event(), threading.Event(), []

    def counting(*args, **kwargs):
        calls.append(args[0])
        entered.set()
        release.wait(10)  # the second request arrives while the first is scoring
        return evaluate(*args, **kwargs)
    monkeypatch.setattr(service, "evaluate", counting)
    reports = []
    threads = [threading.Thread(target=lambda: reports.append(core.evaluate("Linear (TF-IDF + SVM)")))
               for _ in range(2)]
    threads[0].start()
    assert entered.wait(10)
    threads[1].start()
    time.sleep(0.2)
    release.set()
    for t in threads:
        t.join(60)
    assert len(calls) == 1 and len(reports) == 2 and reports[0] is reports[1]


def test_heavy_work_waits_at_its_own_gate(demo):
    """The service throttles each kind of heavy work itself (app.py enters no gate): with
    the gate full, each such call is refused at once."""
    full = Gate(running=1, waiting=0)
    core = Demo(demo.models, [], demo.data_dir, demo.checkpoint_dir, inspect_gate=full, evaluate_gate=full)
    calls = {"look inside": lambda: core.look_inside("国足胜泰国", "TextCNN"),
             "/inspect": lambda: core.api_inspect("国足胜泰国", "TextCNN"),
             "units": lambda: core.unit_choices("BiLSTM-attention"),
             "map": lambda: core.test_map("TextCNN"),
             "evaluate": lambda: core.evaluate("TextCNN"),
             "agreement": lambda: core.attention_agreement(sample=4)}
    with full():
        for what, call in calls.items():
            with pytest.raises(UserError, match="busy"):
                call()
                pytest.fail(f"{what} ran past a full gate")


def test_a_corrupt_checkpoint_leaves_the_others_working(checkpoint_dir, tmp_path):
    for name in ("textcnn.pt", "linear.npz"):
        (tmp_path / name).write_bytes((checkpoint_dir / name).read_bytes())
    (tmp_path / "bilstm_att.pt").write_bytes(b"not a checkpoint")
    core = Demo.load(tmp_path, tmp_path / "no-data")
    assert list(core.models) == ["TextCNN", "Linear (TF-IDF + SVM)"]
    assert len(core.problems) == 1 and "BiLSTM-attention is unavailable" in core.problems[0]
    assert core.problem_lines("zh-CN")[0].startswith("BiLSTM-attention 无法加载")


def test_a_fresh_clone_serves_the_shipped_test_split(fresh):
    test = fresh.test_split()
    assert len(test) == 10_000 and test.classes[7] == "sports"
    headline, true_class = fresh.random_test_headline(seed=1)
    assert headline in test.texts and true_class in test.classes
    counts = fresh.class_counts()
    assert counts["test"] == [1000] * 10
    # train and dev as the checkpoints recorded them: the visitor has no train.txt or dev.txt
    assert sum(counts["train"]) == 45_000 and sum(counts["dev"]) == 10_000


def test_a_test_split_in_the_data_dir_wins(demo, small_data_dir):
    assert service.test_split_dir(small_data_dir) == small_data_dir and len(demo.test_split()) == 500


def test_the_shipped_split_is_verified(tmp_path):
    for name in service.DEMO_FILES:
        (tmp_path / name).write_bytes((service.DEMO_DATA_DIR / name).read_bytes())
    assert service.verified_demo_dir(tmp_path) == tmp_path
    with open(tmp_path / "test.txt", "a", encoding="utf-8") as f:
        f.write("多出来的一行\t0\n")
    with pytest.raises(DataFormatError, match="sha256"):
        service.verified_demo_dir(tmp_path)


def test_overview_numbers(fresh):
    rows = fresh.model_rows()
    assert [r["name"] for r in rows] == SINGLES + [ENSEMBLE]
    assert all(r["accuracy"] > 0.85 for r in rows)  # recorded test accuracy of the shipped models
    table = fresh.model_table(rows, "zh-CN")
    assert table[-1][0] == "集成（各模型平均）" and table[-1][3].endswith("%")
    bars = fresh.accuracy_bars(rows)
    assert len(bars) == len(service.PUBLISHED) + 4 and bars[-1][3] is True


def test_training_curves_smooth_the_recorded_per_step_loss(fresh):
    curve = fresh.training_curve("BiLSTM-attention")
    train = curve.data[0]
    assert train.name == "train loss (smoothed per step)" and 100 < len(train.x) <= 800
    recorded = np.asarray(fresh.models["BiLSTM-attention"].extras["train_loss_per_step"], dtype=float)
    assert train.x[-1] == len(recorded)
    # no step at an epoch boundary: a smoothed curve moves little from one shown point to the next
    assert np.max(np.abs(np.diff(train.y))) < 0.2
    assert fresh.training_curve("Linear (TF-IDF + SVM)") is None


def test_smoothed_is_a_trailing_mean():
    np.testing.assert_allclose(service.smoothed([1, 3, 5, 7], window=2), [1, 2, 4, 6])


def test_links_name_a_view_and_junk_is_ignored():
    query = link_query("inside", "国足3:0完胜泰国队", ["TextCNN"], "zh-CN")
    assert query.startswith("?tab=inside&model=TextCNN&headline=")
    from urllib.parse import parse_qsl
    asked = read_link(dict(parse_qsl(query[1:])), SINGLES)
    assert asked == {"tab": "inside", "headline": "国足3:0完胜泰国队", "models": ["TextCNN"], "lang": "zh-CN"}
    junk = read_link({"tab": "admin", "model": "GPT,TextCNN", "headline": "长" * 999, "lang": "xx"}, SINGLES)
    assert junk == {"tab": "predict", "headline": "长" * MAX_CHARS, "models": ["TextCNN"], "lang": None}
