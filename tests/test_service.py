"""The app's state and the views of its tabs, as the page and the API use them, without a
browser: cls_core.app.service.Demo, cls_core.app.views, cls_core.app.api and their parts."""

import csv
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import torch

from cls_core.app import api
from cls_core.app.batch import predict_file
from cls_core.app.concurrency import INSPECT, Gate, Gates, Limit
from cls_core.app.i18n import CLASS_GLOSS, class_name, text
from cls_core.app.inputs import MAX_BATCH_LINES, MAX_CHARS, Downloads, clean_headline, csv_safe
from cls_core.app.links import link_query, read_link
from cls_core.app.service import ENSEMBLE, Demo
from cls_core.app.views import evaluate as evaluate_view
from cls_core.app.views import overview
from cls_core.app.views.inside import inside, look_inside
from cls_core.app.views.map import draw_map
from cls_core.app.views.predict import (
    answer_panels,
    batch_message,
    predict,
    predict_batch,
    random_test_headline,
    truth_line,
)
from cls_core.app.views.units import unit_choices
from cls_core.app.wording import UserError, attention_note
from cls_core.data import DataFormatError, splits
from cls_core.evaluation.evaluate import evaluate

SINGLES = ["BiLSTM-attention", "TextCNN", "Linear (TF-IDF + SVM)"]


@pytest.fixture(scope="module")
def fresh(checkpoint_dir, tmp_path_factory):
    """The demo as a fresh clone serves it: the shipped checkpoints and no dataset at all."""
    return Demo.load(checkpoint_dir, tmp_path_factory.mktemp("no-dataset"), device="cpu")


def test_every_shipped_model_loads(demo):
    assert list(demo.models) == SINGLES and demo.registry.unavailable == {}
    assert demo.model_names() == SINGLES + [ENSEMBLE] and demo.model_names(ensemble=False) == SINGLES
    assert demo.registry.choices("zh-CN", networks=True) == [(n, n) for n in SINGLES[:2]]
    assert demo.registry.choices("zh-CN")[2:] == [
        ("线性模型（TF-IDF + SVM）", SINGLES[2]),
        ("集成（各模型平均）", ENSEMBLE),
    ]


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
    text, notice, results = predict(demo, "国足3:0完胜泰国队 晋级世界杯预选赛", demo.model_names())
    assert list(results) == SINGLES + [ENSEMBLE]
    for top, ms, verdict in results.values():
        assert len(top) == 5 and ms > 0
        assert verdict == {
            "read_as": "国足3:0完胜泰国队 晋级世界杯预选赛",
            "unknown_share": 0.0,
            "unsure": False,
            "reason": "",
        }
        assert list(top.values()) == sorted(top.values(), reverse=True) and sum(top.values()) <= 1 + 1e-6
    assert next(iter(results["Linear (TF-IDF + SVM)"][0])) == "体育 sports"
    assert next(iter(results[ENSEMBLE][0])) == "体育 sports"
    assert len(predict(demo, "国足", ["TextCNN"], top_k=99)[2]["TextCNN"][0]) == 10
    assert len(predict(demo, "国足", ["TextCNN"], top_k=-3)[2]["TextCNN"][0]) == 1
    with pytest.raises(UserError, match="not loaded"):
        predict(demo, "国足", ["GPT"])
    with pytest.raises(UserError, match="at least one model"):
        predict(demo, "国足", [])


def test_answers_carry_verdicts_in_the_page_language(demo):
    headline, notice, results = predict(demo, "國足3:0完勝泰國隊", ["TextCNN", ENSEMBLE], lang="zh-CN")
    note, panels = answer_panels(headline, notice, results, "zh-CN")
    assert note == "**注意**：模型读作：国足3:0完胜泰国队"
    assert [label.split(" · ")[:2] for label, _ in panels] == [
        ["TextCNN", "✓ 有把握"],
        ["集成（各模型平均）", "✓ 有把握"],
    ]
    assert next(iter(panels[0][1])) == "体育"
    _, _, junk = predict(demo, "<script>alert(1)</script>", ["TextCNN"])
    assert answer_panels("x", "", junk, "en")[1][0][0].startswith("TextCNN · ⚠ unsure: not a Chinese headline")


def test_read_as_never_reaches_markdown_as_markup(demo):
    headline, notice, results = predict(demo, "<img src=x onerror=alert(1)>股市ＡＢ大涨", ["TextCNN"])
    note, _ = answer_panels(headline, notice, results)
    assert "<img" not in note and "&lt;img src=x onerror=alert\\(1\\)&gt;股市AB大涨" in note


def test_truth_line_says_right_or_wrong(demo):
    _, _, results = predict(demo, "国足3:0完胜泰国队", ["TextCNN", "Linear (TF-IDF + SVM)"])
    assert truth_line("sports", results) == (
        "**True label:** 体育 sports — TextCNN: ✓ right; Linear (TF-IDF + SVM): ✓ right"
    )
    _, _, results = predict(demo, "国足3:0完胜泰国队", ["TextCNN", "Linear (TF-IDF + SVM)"], lang="zh-CN")
    line = truth_line("game", results, "zh-CN")
    assert line.startswith("**真实类别**：游戏 — TextCNN：✗ 错误（体育）；线性模型")


def test_api_predict_keeps_its_contract(demo):
    answer = api.predict_answer(demo, "國足3:0完勝泰國隊", "TextCNN", 2)
    assert set(answer) == {
        "headline",
        "notice",
        "model",
        "top",
        "milliseconds",
        "read_as",
        "unsure",
        "reason",
        "unknown_share",
    }
    assert answer["read_as"] == "国足3:0完胜泰国队" and list(answer["top"])[0] == "体育 sports"


@pytest.mark.parametrize("name", SINGLES)
def test_inside_maps_every_weight_to_a_character(demo, name):
    r = inside(demo, "央行宣布下调存款准备金率0.5个百分点", name)
    n = len(r["text"])
    assert len(r["weights"]) == n and len(r["occlusion"]) == n
    assert all(-1 <= s <= 1 for _, s in r["weights"] + r["occlusion"])
    assert np.asarray(r["reading_plot"].data[0].y).shape == (n,)
    if name == "BiLSTM-attention":
        assert r["hidden_plot"] is not None and np.asarray(r["hidden_plot"].data[0].z).shape[1] == n
        assert sum(r["weights_plot"].data[0].y) == pytest.approx(1.0, abs=1e-5)
        (even,) = r["weights_plot"].layout.shapes  # the attention bars stand against the even share 1/n
        assert even.y0 == even.y1 == pytest.approx(1 / n) and "1/n" in even.name and even.showlegend
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
        table = inside(demo, "国足 胜 泰国 晋级", name)["table"]
        column = 1 if name == "TextCNN" else 0
        assert table and all(row[column].strip() for row in table)


def test_signed_bars_use_one_colour_meaning(demo):
    from cls_core.app.figures import AWAY, TOWARD

    plot = inside(demo, "央行宣布下调存款准备金率 国足", "TextCNN")["weights_plot"]
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
    assert demo.registry.rnn_shape("BiLSTM-attention") == (2, 2) and demo.registry.has_units("BiLSTM-attention")
    assert demo.registry.rnn_shape("TextCNN") is None and demo.registry.rnn_shape("Linear (TF-IDF + SVM)") is None
    assert demo.registry.window_count() == 3


def test_long_input_keeps_axis_labels_apart(demo):
    r = inside(demo, "股市" * 150, "TextCNN")
    assert len(r["text"]) == MAX_CHARS and r["notice"]
    axis = r["weights_plot"].layout.xaxis  # a category axis: plotly labels what fits, upright
    assert axis.type == "category" and axis.tickangle == 0


def test_inside_refuses_the_ensemble(demo):
    with pytest.raises(UserError, match="one model"):
        inside(demo, "国足胜泰国", ENSEMBLE)


def test_evaluate_is_cached_and_agrees_with_the_evaluator(demo):
    core = Demo(demo.registry, demo.data_dir)  # nothing evaluated yet
    seen = []
    first = evaluate_view.evaluation_report(core, "TextCNN", progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0
    again = []
    assert evaluate_view.evaluation_report(core, "TextCNN", progress=again.append) is first
    assert again == []  # served from the cache: nothing scored, no progress
    direct = evaluate(demo.predictor("TextCNN"), demo.test_split())
    assert first["accuracy"] == direct["accuracy"] and first["confusion"] == direct["confusion"]
    assert api.evaluate_answer(core, "TextCNN") == {k: first[k] for k in api.REPORT_FIELDS}
    rows, message = evaluate_view.cell_headlines(core, first, 0, 2)
    assert message.startswith(f"{first['confusion'][0][2]} headlines: true 财经 finance, predicted 股票 stocks")
    assert all(r[3].endswith("%") for r in rows)
    probabilities = [float(r[3][:-1]) for r in rows]
    assert probabilities == sorted(probabilities, reverse=True)


def test_one_clickable_confusion_table_coloured_like_a_heatmap(demo):
    report = evaluate_view.evaluation_report(demo, "Linear (TF-IDF + SVM)")
    counts = evaluate_view.confusion_table(demo, report).data
    assert list(counts.columns)[:2] == ["true \\ predicted", "财经 finance"]
    assert counts.iloc[:, 1:].to_numpy().sum() == 500
    shares = evaluate_view.confusion_table(demo, report, normalize=True, lang="zh-CN")
    assert shares.data.columns[0] == "真实 \\ 预测" and shares.data.iloc[0, 0] == "财经"
    assert all(cell.endswith("%") for cell in shares.data.iloc[0, 1:])
    html = shares.to_html()
    assert "background-color: rgba(42, 122, 185" in html


def test_per_class_rows_are_percentages(demo):
    rows = evaluate_view.per_class_rows(evaluate_view.evaluation_report(demo, "Linear (TF-IDF + SVM)"), "zh-CN")
    assert rows[0][0] == "财经" and all(cell.endswith("%") for cell in rows[0][1:4]) and rows[0][4] == 50


def test_disagreements_and_csv(demo):
    names, rows, total = evaluate_view.disagreements(demo)
    assert names == SINGLES and len(rows) == min(total, 200)
    assert all(len({r[2][:-2], r[3][:-2], r[4][:-2]}) > 1 for r in rows)
    report = evaluate_view.evaluation_report(demo, ENSEMBLE)
    with open(evaluate_view.predictions_csv(demo, report), encoding="utf-8-sig") as f:
        lines = list(csv.reader(f))
    assert lines[0][:3] == ["headline", "true", "predicted"] and len(lines) == 1 + len(demo.test_split())


def test_predict_file_txt_and_csv(demo, tmp_path):
    txt = tmp_path / "in.txt"
    txt.write_text('国足胜泰国\n\n央行降息\n=HYPERLINK("http://x")股市\n', encoding="utf-8")
    path, n, skipped = predict_file(demo.registry, txt, demo.downloads)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # a BOM: Excel reads the file as UTF-8
    rows = list(csv.reader(open(path, encoding="utf-8-sig")))
    # every model's probability of each of its classes, not only the last model's
    models, classes = demo.model_names(), demo.classes
    assert len(rows[0]) == 2 + 4 * len(models) + len(models) * len(classes)
    assert sum(header.endswith(f"p({class_name(classes[0], 'en')})") for header in rows[0]) == len(models)
    assert n == 3 and skipped == 1 and len(rows) == 4 and rows[1][0] == "国足胜泰国"
    assert rows[3][0] == '\'=HYPERLINK("http://x")股市' and rows[3][1].startswith("'=")  # no formula runs
    table = tmp_path / "in.csv"
    table.write_text("id,headline\n1,国足胜泰国\n", encoding="utf-8")
    assert predict_file(demo.registry, table, demo.downloads).headlines == 1
    table.write_text("编号,标题\n1,国足胜泰国\n2,央行降息\n", encoding="utf-8")
    assert predict_file(demo.registry, table, demo.downloads).headlines == 2
    # before, a .csv without a headline column was read, silently, from its first column
    table.write_text("id,title\n1,国足胜泰国\n", encoding="utf-8")
    with pytest.raises(UserError, match="column named headline.*id, title"):
        predict_file(demo.registry, table, demo.downloads)
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(UserError, match="UTF-8"):
        predict_file(demo.registry, bad, demo.downloads)
    many = tmp_path / "many.txt"
    many.write_text("标题\n" * (MAX_BATCH_LINES + 1), encoding="utf-8")
    with pytest.raises(UserError, match="limit"):
        predict_file(demo.registry, many, demo.downloads)


@pytest.mark.parametrize("lang", ["en", "zh-CN", "zh-TW", "zh-HK"])
def test_inside_gives_predicts_verdict_first(demo, lang):
    """Inside on emoji said "reads 5 characters and answers 财经 (23.0%)" with full charts,
    while Predict said "unsure: not a Chinese headline"."""
    from cls_core.app.views.inside import inside, inside_summary
    from cls_core.app.wording import verdict_text

    r = inside(demo, "😀😀😀🔥🔥", "TextCNN", lang=lang)
    _, (assessment,) = demo.predictor("TextCNN").predict_assessed(["😀😀😀🔥🔥"])
    first = inside_summary(r, "TextCNN", lang).splitlines()[0]
    assert assessment.unsure and verdict_text(assessment.as_dict(), lang) in first
    assert verdict_text(assessment.as_dict(), lang) == text("unsure", lang, reason=text("reason_not_chinese", lang))
    sure = inside(demo, "国足3:0完胜泰国队", "TextCNN", lang=lang)
    assert text("unsure", lang, reason="").split("{")[0][:3] not in inside_summary(sure, "TextCNN", lang)


def test_a_batch_file_of_another_type_is_worded_beside_the_upload(demo, tmp_path):
    """Gradio refused other file types with a toast in English over the model checkboxes; a
    non-UTF-8 file's error showed at the top of Predict, far from the upload."""
    import gradio as gr

    from cls_core.app.tabs.common import Words
    from cls_core.app.tabs.predict import BATCH_HINT, PredictTab
    from cls_core.app.visitor import Visitor

    sheet = tmp_path / "headlines.xlsx"
    sheet.write_bytes(b"PK\x03\x04 a spreadsheet")
    with pytest.raises(UserError) as refused:
        predict_file(demo.registry, sheet, demo.downloads)
    assert refused.value.key == "error_batch_file_type" and ".xlsx" in refused.value.text("zh-CN")
    for lang in ("en", "zh-TW"):
        with gr.Blocks():
            tab = PredictTab(demo, Words(lang))
        drawn = tab.render(Visitor(lang=lang).with_hint(BATCH_HINT, refused.value))
        assert refused.value.text(lang) in drawn[tab.batch_message]
        assert not drawn[tab.hint]["visible"]  # nothing at the top of the tab


def test_a_line_of_invisible_characters_is_skipped_like_a_blank_one(demo, tmp_path):
    """A zero-width space passes str.strip(); alone on a line it is still an empty line, not
    a reason to reject the whole file."""
    source = tmp_path / "in.txt"
    source.write_text("国足胜泰国\n\u200b\n\n央行降息\n \u200b\u200d \n", encoding="utf-8")
    path, n, skipped = predict_file(demo.registry, source, demo.downloads)
    rows = list(csv.reader(open(path, encoding="utf-8-sig")))
    assert (n, skipped) == (2, 3) and [r[0] for r in rows[1:]] == ["国足胜泰国", "央行降息"]
    table = tmp_path / "in.csv"
    table.write_text("id,headline\n1,\u200b\n2,国足胜泰国\n", encoding="utf-8")
    assert predict_file(demo.registry, table, demo.downloads)[1:] == (1, 1)
    result = predict_batch(demo, source, demo.model_names(), "en")
    message = batch_message(result.headlines, result.skipped, demo.model_names(), "en")
    assert message.startswith("Predicted 2 headlines with BiLSTM-attention,") and message.endswith(
        " 3 empty lines skipped."
    )
    assert batch_message(2, 3, ["TextCNN"], "zh-CN") == "已用 TextCNN 预测 2 条标题。 跳过了 3 个空行。"
    with pytest.raises(UserError, match="Upload"):
        predict_batch(demo, None, ["TextCNN"])
    with pytest.raises(UserError, match="model"):
        predict_batch(demo, source, [])


def test_a_batch_file_from_a_chinese_page_is_worded_in_chinese_with_the_ticked_models(demo, tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("国足3:0完胜泰国队\n央行宣布下调存款准备金率\n", encoding="utf-8")
    path = predict_batch(demo, source, ["TextCNN", "Linear (TF-IDF + SVM)"], "zh-CN").path
    rows = list(csv.reader(open(path, encoding="utf-8-sig")))
    assert rows[0][:4] == ["标题", "模型读作", "TextCNN：预测", "线性模型（TF-IDF + SVM）：预测"]
    assert not any("BiLSTM" in h for h in rows[0])  # only the models ticked
    assert rows[1][2] == "体育" and rows[2][2] in CLASS_GLOSS.values()


def test_csv_cells_that_start_a_formula_are_escaped():
    assert [csv_safe(c) for c in ("=1+1", "+86", "-3", "@SUM(A1)", "\tx", "国足", "", 0.5)] == [
        "'=1+1",
        "'+86",
        "'-3",
        "'@SUM(A1)",
        "'\tx",
        "国足",
        "",
        0.5,
    ]


def test_downloads_are_cleaned_up(tmp_path):
    downloads = Downloads(max_age=60)
    old = downloads.new_path("old.csv")
    old.write_text("x")
    stale = time.time() - 120
    os.utime(old.parent, (stale, stale))
    fresh = downloads.new_path("new.csv")
    assert not old.parent.exists() and fresh.parent.exists() and fresh.name == "new.csv"


def test_downloads_made_at_once_each_get_their_folder_while_the_old_ones_go(monkeypatch):
    """Two visitors' downloads at once both cleaned up the same stale folders: the one that
    listed a folder the other had just removed raised FileNotFoundError at its stat()."""
    downloads = Downloads(max_age=60)
    stale = time.time() - 120
    for i in range(300):
        folder = downloads.new_path(f"old{i}.csv").parent
        os.utime(folder, (stale, stale))
    listed = Path.iterdir
    # the other clean-up's work, made certain: a folder listed, then gone before its stat()
    monkeypatch.setattr(Path, "iterdir", lambda self: [*listed(self), self / "removed-meanwhile"])
    one = downloads.new_path("one.csv")
    assert one.parent.is_dir()
    monkeypatch.undo()
    start = threading.Barrier(8)

    def download(i):
        start.wait()
        return downloads.new_path(f"new{i}.csv")

    with ThreadPoolExecutor(8) as pool:
        paths = list(pool.map(download, range(8)))
    assert len({p.parent for p in paths}) == 8 and all(p.parent.is_dir() for p in paths)
    assert sorted(p.name for p in downloads.folder.iterdir()) == sorted(p.parent.name for p in [one, *paths])


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


def test_every_event_of_every_visitors_page_joins_a_shared_concurrency_group(demo, tmp_path):
    """The page is drawn for each visitor (gr.render). An event without a concurrency_id got a
    group of its own on each drawing: its limit held per visitor, and the groups piled up."""
    import gradio as gr

    from cls_core.app.concurrency import EVENT_GROUPS
    from cls_core.app.tabs.page import draw_page
    from cls_core.app.training_jobs import TrainingQueue
    from cls_core.app.visitor import Visitor

    core = Demo(demo.registry, demo.data_dir)
    core.training = TrainingQueue(tmp_path / "models")  # the Train tab's events too
    try:
        with gr.Blocks() as page:
            state, language = gr.State(None), gr.Dropdown(choices=["en"])
            before = len(page.fns)
            for lang in ("en", "zh-CN"):  # two visitors' pages
                draw_page(core, state, language, Visitor(lang=lang))
            drawn = list(page.fns.values())[before:]
    finally:
        core.training.close()
    assert len(drawn) > 40
    loose = sorted({f"{fn.name} ({fn.concurrency_id})" for fn in drawn if fn.concurrency_id not in EVENT_GROUPS})
    assert not loose, f"events in a group of their own: {loose}"


def test_a_gate_hands_freed_memory_back_when_its_last_call_leaves():
    """The soak's resident memory grew from round to round over HTTP, held free by malloc
    (flat after malloc_trim): a gate trims when its heavy work is done."""
    from cls_core.app.allocator import glibc, release_free_memory

    idle = []
    gate = Gate(running=2, waiting=0, on_idle=lambda: idle.append(1))
    with gate():
        with gate():
            pass
        assert idle == []  # one call still inside
    assert idle == [1]
    assert Gates().inspect.on_idle is release_free_memory and Gates().evaluate.on_idle is release_free_memory
    if glibc() is not None:
        trim = release_free_memory()
        trim.join(10)
        assert not trim.is_alive()


def test_concurrent_evaluations_of_one_model_score_it_once(demo, monkeypatch):
    """A second request for a report being computed waits for it and reuses it."""
    core = Demo(demo.registry, demo.data_dir)  # nothing evaluated yet
    entered, release, calls = threading.Event(), threading.Event(), []

    def counting(*args, **kwargs):
        calls.append(args[0])
        entered.set()
        release.wait(10)  # the second request arrives while the first is scoring
        return evaluate(*args, **kwargs)

    monkeypatch.setattr(evaluate_view, "evaluate", counting)
    reports = []
    threads = [
        threading.Thread(target=lambda: reports.append(evaluate_view.evaluation_report(core, SINGLES[2])))
        for _ in range(2)
    ]
    threads[0].start()
    assert entered.wait(10)
    threads[1].start()
    time.sleep(0.2)
    release.set()
    for t in threads:
        t.join(60)
    assert len(calls) == 1 and len(reports) == 2 and reports[0] is reports[1]


def test_heavy_work_waits_at_its_own_gate(demo):
    """The views throttle each kind of heavy work themselves (app.py enters no gate): with
    the gates full, each such call is refused at once."""
    core = Demo(demo.registry, demo.data_dir, gates=Gates(inspect=Limit(1, 0), evaluate=Limit(1, 0)))
    calls = {
        "look inside": lambda: look_inside(core, "国足胜泰国", "TextCNN"),
        "/inspect": lambda: api.inspect_answer(core, "国足胜泰国", "TextCNN"),
        "units": lambda: unit_choices(core, "BiLSTM-attention"),
        "map": lambda: draw_map(core, "TextCNN"),
        "evaluate": lambda: evaluate_view.evaluation_report(core, "TextCNN"),
        "agreement": lambda: evaluate_view.attention_agreement(core, sample=4),
    }
    with core.gates.inspect(), core.gates.evaluate():
        for what, call in calls.items():
            with pytest.raises(UserError, match="busy"):
                call()
                pytest.fail(f"{what} ran past a full gate")
    # integrated gradients get one thread per look the inspect gate lets run
    assert Gates().attributing._max_workers == INSPECT.running


def test_a_look_inside_meeting_a_cache_build_is_refused_at_once(demo):
    """The map, the unit index and the agreement held the model's lock for their whole build
    (minutes at first use) while a look inside waited behind it, holding an inspect slot."""
    core = Demo(demo.registry, demo.data_dir)
    building, done = threading.Event(), threading.Event()

    def build():
        with core.registry.lock("TextCNN").long():
            building.set()
            done.wait(30)

    builder = threading.Thread(target=build)
    builder.start()
    try:
        assert building.wait(10)
        start = time.monotonic()
        for look in (
            lambda: look_inside(core, "国足胜泰国", "TextCNN"),
            lambda: api.inspect_answer(core, "国足胜泰国", "TextCNN"),
        ):
            with pytest.raises(UserError, match="busy"):
                look()
        assert time.monotonic() - start < 5  # refused, not queued behind the build
        look_inside(core, "国足胜泰国", "Linear (TF-IDF + SVM)")  # another model's lock is free
    finally:
        done.set()
        builder.join(10)
    look_inside(core, "国足胜泰国", "TextCNN")  # and once the build is done, the look runs


def test_quick_holders_of_a_model_lock_wait_for_each_other():
    from cls_core.app.concurrency import ModelLock

    lock, order = ModelLock(), []

    def hold(i):
        with lock.quick():
            order.append(i)
            time.sleep(0.1)
            order.append(i)

    threads = [threading.Thread(target=hold, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(order) == 6 and all(order[k] == order[k + 1] for k in range(0, 6, 2))  # one at a time
    with lock.quick(), lock.quick():  # re-entrant in one thread
        pass


def test_a_corrupt_checkpoint_leaves_the_others_working(checkpoint_dir, tmp_path):
    for name in ("textcnn.pt", "linear.npz"):
        (tmp_path / name).write_bytes((checkpoint_dir / name).read_bytes())
    (tmp_path / "bilstm_att.pt").write_bytes(b"not a checkpoint")
    core = Demo.load(tmp_path, tmp_path / "no-data")
    assert list(core.models) == ["TextCNN", "Linear (TF-IDF + SVM)"] and list(core.registry.unavailable) == SINGLES[:1]
    problems = core.registry.problem_lines()
    assert len(problems) == 1 and problems[0].startswith("BiLSTM-attention is unavailable: ")
    assert core.registry.problem_lines("zh-CN")[0].startswith("BiLSTM-attention 无法加载")


def test_a_fresh_clone_serves_the_shipped_test_split(fresh):
    test = fresh.test_split()
    assert len(test) == 10_000 and test.classes[7] == "sports"
    headline, true_class = random_test_headline(fresh, seed=1)
    assert headline in test.texts and true_class in test.classes
    counts = overview.class_counts(fresh)
    assert counts["test"] == [1000] * 10
    # train and dev as the checkpoints recorded them: the visitor has no train.txt or dev.txt
    assert sum(counts["train"]) == 45_000 and sum(counts["dev"]) == 10_000


def test_a_test_split_in_the_data_dir_wins(demo, small_data_dir):
    assert splits.folder_of_test_split(small_data_dir) == small_data_dir and len(demo.test_split()) == 500


def test_the_shipped_split_is_verified(tmp_path):
    for name in splits.DEMO_FILES:
        (tmp_path / name).write_bytes((splits.DEMO_DATA_DIR / name).read_bytes())
    assert splits.verified_demo_dir(tmp_path) == tmp_path
    with open(tmp_path / "test.txt", "a", encoding="utf-8") as f:
        f.write("多出来的一行\t0\n")
    with pytest.raises(DataFormatError, match="sha256"):
        splits.verified_demo_dir(tmp_path)


def test_overview_numbers(fresh):
    rows = fresh.model_rows()
    assert [r["name"] for r in rows] == SINGLES + [ENSEMBLE]
    assert all(r["accuracy"] > 0.85 for r in rows)  # recorded test accuracy of the shipped models
    table = overview.model_table(rows, "zh-CN")
    assert table[-1][0] == "集成（各模型平均）" and table[-1][3].endswith("%")
    # what each model computes in, as loaded: the networks as the machine's probe chose, the linear model in fp64
    precisions = fresh.registry.precisions()
    assert [row[-1] for row in table[:-1]] == [precisions[r["name"]] for r in rows[:-1]]
    assert precisions["Linear (TF-IDF + SVM)"] == "fp64" and precisions["TextCNN"] in ("fp32", "bf16")
    bars = overview.accuracy_bars(rows)
    assert len(bars) == len(overview.PUBLISHED) + 4 and bars[-1][3] is True
    assert overview.best_accuracy(fresh.registry) == max(r["accuracy"] for r in rows)


def test_training_curves_smooth_the_recorded_per_step_loss(fresh):
    curve = overview.training_curve(fresh.registry, "BiLSTM-attention")
    train = curve.data[0]
    assert train.name == "train loss (smoothed per step)" and 100 < len(train.x) <= 800
    recorded = np.asarray(fresh.models["BiLSTM-attention"].extras["train_loss_per_step"], dtype=float)
    assert train.x[-1] == len(recorded)
    # no step at an epoch boundary: a smoothed curve moves little from one shown point to the next
    assert np.max(np.abs(np.diff(train.y))) < 0.2
    assert overview.training_curve(fresh.registry, "Linear (TF-IDF + SVM)") is None


def test_training_curves_fall_back_to_the_logged_running_means(checkpoint_dir, tmp_path):
    """A checkpoint that recorded no per-step loss (older ones): the running means its
    NAME.log.jsonl logged every few steps are drawn instead."""
    payload = torch.load(checkpoint_dir / "bilstm_att.pt", weights_only=True)
    assert payload.pop("train_loss_per_step") is not None
    torch.save(payload, tmp_path / "bilstm_att.pt")
    for name in ("bilstm_att.log.jsonl", "linear.npz"):
        (tmp_path / name).write_bytes((checkpoint_dir / name).read_bytes())
    older = Demo.load(tmp_path, tmp_path, "cpu")
    logged = [r for r in overview.training_log(older.predictor("BiLSTM-attention")) if r["type"] == "step"]
    train = overview.training_curve(older.registry, "BiLSTM-attention").data[0]
    assert train.name == "train loss (running mean per epoch)" and len(logged) > 10
    assert list(train.x) == [r["step"] for r in logged] and list(train.y) == [r["train_loss"] for r in logged]
    assert overview.training_curve(older.registry, "Linear (TF-IDF + SVM)") is None


def test_smoothed_is_a_trailing_mean():
    np.testing.assert_allclose(overview.smoothed([1, 3, 5, 7], window=2), [1, 2, 4, 6])
    values = np.arange(1.0, 201.0)  # the default window: 1 % of 200 values, 2
    np.testing.assert_allclose(overview.smoothed(values), np.r_[1.0, values[1:] - 0.5])


def test_links_name_a_view_and_junk_is_ignored():
    query = link_query("inside", "国足3:0完胜泰国队", ["TextCNN"], "zh-CN")
    assert query.startswith("?tab=inside&model=TextCNN&headline=")
    from urllib.parse import parse_qsl

    asked = read_link(dict(parse_qsl(query[1:])), SINGLES)
    assert asked == {"tab": "inside", "headline": "国足3:0完胜泰国队", "models": ["TextCNN"], "lang": "zh-CN"}
    junk = read_link({"tab": "admin", "model": "GPT,TextCNN", "headline": "长" * 999, "lang": "xx"}, SINGLES)
    assert junk == {"tab": "predict", "headline": "长" * MAX_CHARS, "models": ["TextCNN"], "lang": None}


def test_label_names_that_start_a_formula_are_escaped_in_every_spreadsheet_csv(tmp_path):
    """Visitors who train a model choose its label names: "=HYPERLINK(...)" must reach a
    spreadsheet as text, in the batch CSV and in Evaluate's, like the headlines."""
    from cls_core.app.registry import ModelRegistry
    from cls_core.models.linear import LinearModel
    from cls_core.models.predictor import Predictor

    classes = ['=HYPERLINK("http://x","ok")', "+86 体育"]
    texts = ["国足夺冠", "央行降息", "国足胜泰国", "股市大涨"] * 3
    model = LinearModel.fit(texts, [1, 0, 1, 0] * 3, classes)
    path = tmp_path / "two.npz"
    model.save(path)
    registry = ModelRegistry({"mine/linear": Predictor.load(path, "cpu")}, tmp_path)
    source = tmp_path / "in.txt"
    source.write_text("国足夺冠\n", encoding="utf-8")
    result = predict_file(registry, source, Downloads(), names=["mine/linear"])
    raw = result.path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM: Excel opens it as UTF-8
    rows = list(csv.reader(open(result.path, encoding="utf-8-sig")))
    assert rows[1][2] == "'+86 体育"
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    report = {"model": "mine/linear", "predictions": [{"text": "-1", "label": 0, "predicted": 1, "probability": 0.6}]}
    written = evaluate_view.predictions_csv(Demo(registry, tmp_path), report)
    rows = list(csv.reader(open(written, encoding="utf-8-sig")))
    assert rows[1][:3] == ["'-1", '\'=HYPERLINK("http://x","ok")', "'+86 体育"]


def test_the_overview_says_each_shipped_model_on_its_own_test_and_on_an_outlet_never_learned_from(demo):
    figures = overview.outlet_figures(demo.registry)
    assert set(figures) == set(demo.model_names())  # the record was measured on these very checkpoints
    sentences = overview.outlet_sentences(demo.registry, "en")
    for name, row in figures.items():
        assert f"on an outlet it never learned from **{row['toutiao-report']['accuracy']:.1%}**" in sentences
    assert "从未学过的媒体" in overview.outlet_sentences(demo.registry, "zh-CN")
    sentence = overview.sources_sentence(demo.registry, "en")
    assert "THUCNews train, 45,000 headlines (all models)" in sentence
    chinese = overview.sources_sentence(demo.registry, "zh-CN")
    assert "; " not in chinese and "（所有模型）；nlpcc2017" in chinese  # a Chinese sentence lists with ；
    for predictor in demo.registry.models.values():  # each source as its checkpoint records it, in both languages
        for source in overview.sources_of(predictor):
            if source["weight"] != 1:
                assert f"{source['data']}, {source['headlines']:,} headlines at weight {source['weight']}" in sentence
                assert f"{source['data']}，{source['headlines']:,} 条标题，权重 {source['weight']}" in chinese
