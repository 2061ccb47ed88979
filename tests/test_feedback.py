"""Visitors' corrections: the store (WAL, fsync at each commit, schema versions, the size
cap), what the app refuses (nothing kept then), the rate limit, the export and the training
that folds it in; then the app as a process: a correction acknowledged survives `kill -9`,
and 50 from several gradio_client sessions at once are each kept once."""

import json
import os
import signal
import sqlite3
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
from conftest import start_app

from cls_core.app.api import flag_answer
from cls_core.app.corrections import Corrections, RateLimit, parse_topic
from cls_core.app.service import Demo
from cls_core.app.wording import ENSEMBLE, UserError
from cls_core.data import DataFormatError, read_named_split
from cls_core.feedback import SCHEMA_VERSION, Correction, FeedbackStore, StoreFull
from cls_core.feedback.__main__ import main as feedback_main
from cls_core.feedback.store import MIGRATIONS

HEADLINE = "国足3:0完胜泰国队 晋级世界杯预选赛下一阶段"  # every shipped model answers sports


def correction(headline="国足3:0完胜泰国队", correction="finance"):
    return Correction(headline, headline, "TextCNN", "sports", 0.9, correction, "abc123", "f" * 64)


@pytest.fixture
def store(tmp_path):
    s = FeedbackStore(tmp_path / "feedback.sqlite3")
    yield s
    s.close()


@pytest.fixture
def keeping(demo, store):
    """A Demo sharing the loaded models, keeping corrections in store."""
    return Demo(demo.registry, demo.data_dir, corrections=Corrections(store, commit="abc123"))


# --- the store ------------------------------------------------------------------------------


def test_the_store_logs_ahead_and_syncs_each_commit(store):
    assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store.schema_version() == SCHEMA_VERSION == len(MIGRATIONS)
    first, second = store.add(correction()), store.add(correction(correction="society"))
    assert (first, second) == (1, 2)
    row = store.rows()[-1]
    assert row["headline"] == "国足3:0完胜泰国队" and row["correction"] == "finance"
    assert row["app_commit"] == "abc123" and row["checkpoint_sha256"] == "f" * 64 and row["created"].endswith("+00:00")
    # nothing about the visitor is a column
    columns = {r[1] for r in store._db.execute("PRAGMA table_info(corrections)")}
    assert not {c for c in columns if "ip" == c or "user" in c or "login" in c or "session" in c}


def version_1_database(path):
    """A database of schema version 1 (before checkpoint_sha256) holding one correction."""
    db = sqlite3.connect(path)
    db.execute(MIGRATIONS[0])
    db.execute(
        "INSERT INTO corrections (created, headline, read_as, model, answer, probability, correction, "
        "app_commit) VALUES ('2026-01-01T00:00:00+00:00', '央行降准', '央行降准', 'TextCNN', 'stocks', 0.7, "
        "'finance', NULL)"
    )
    db.execute("PRAGMA user_version=1")
    db.commit()
    db.close()
    return path


def test_an_older_database_is_migrated_with_its_rows(tmp_path):
    path = version_1_database(tmp_path / "v1.sqlite3")
    store = FeedbackStore(path)
    assert store.schema_version() == SCHEMA_VERSION
    (old,) = store.rows()
    assert old["headline"] == "央行降准" and old["checkpoint_sha256"] is None
    assert store.add(correction()) == 2


def test_a_newer_database_is_refused_not_damaged(tmp_path):
    path = tmp_path / "future.sqlite3"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(ValueError, match="schema version"):
        FeedbackStore(path)


def test_a_full_database_says_so_and_keeps_nothing_more(tmp_path, demo):
    store = FeedbackStore(tmp_path / "small.sqlite3", max_mb=0.1)
    with pytest.raises(StoreFull):
        for i in range(10_000):
            store.add(correction(f"{HEADLINE} {i} " + "长" * 150))
    kept = store.count()
    assert 0 < kept < 10_000 and store.is_full()
    full = Demo(demo.registry, demo.data_dir, corrections=Corrections(store, commit=None))
    with pytest.raises(UserError) as refused:
        flag_answer(full, HEADLINE, "TextCNN", "finance")
    assert refused.value.key == "error_feedback_full" and "full" in str(refused.value)
    assert "满" in refused.value.text("zh-CN")
    assert store.count() == kept


def test_a_database_locked_by_another_program_is_a_message_and_nothing_kept(tmp_path, demo):
    """Another process holding the write lock (a backup, sqlite3 at a prompt) made /flag fail
    with sqlite3's own "database is locked"."""
    store = FeedbackStore(tmp_path / "feedback.sqlite3", busy_seconds=0.1)
    keeping = Demo(demo.registry, demo.data_dir, corrections=Corrections(store, commit="abc123"))
    other = sqlite3.connect(store.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(UserError) as refused:
            keeping.corrections.flag(keeping, HEADLINE, "TextCNN", "finance", "visitor")
        assert refused.value.key == "error_feedback_busy"
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert store.count() == 0
    assert keeping.corrections.flag(keeping, HEADLINE, "TextCNN", "finance", "visitor")[0] == 1  # free again
    store.close()


def test_fifty_concurrent_inserts_are_each_kept_once(store):
    headlines = [f"{HEADLINE} {i}" for i in range(50)]
    with ThreadPoolExecutor(50) as pool:
        ids = list(pool.map(lambda h: store.add(correction(h)), headlines))
    assert sorted(ids) == list(range(1, 51))
    assert sorted(r["headline"] for r in store.rows()) == sorted(headlines)


# --- what the app keeps, and refuses -------------------------------------------------------


def test_a_correction_keeps_the_models_answer_and_the_checkpoint(keeping, store):
    record_id, kept = flag_answer(keeping, "  国足3:0完胜泰国队\u200b ", "TextCNN", "财经")
    (row,) = store.rows()
    assert row["id"] == record_id and row["headline"] == "国足3:0完胜泰国队"  # as typed, cleaned
    assert row["answer"] == "sports" and 0.5 < row["probability"] <= 1 and row["correction"] == "finance"
    assert row["checkpoint_sha256"] == keeping.predictor("TextCNN").sha256 and row["app_commit"] == "abc123"
    assert kept.correction == "finance"
    _, by_all = flag_answer(keeping, HEADLINE, ENSEMBLE, "finance")
    assert by_all.checkpoint_sha256 == "+".join(p.sha256 for p in keeping.models.values())


@pytest.mark.parametrize("topic", ["finance", "FINANCE", "财经 finance", "财经", "財經"])
def test_a_topic_is_a_class_name_or_the_topic_as_any_page_shows_it(topic):
    assert parse_topic(topic, ["finance", "sports"]) == "finance"


@pytest.mark.parametrize(
    "headline, model, topic, key",
    [
        ("", "TextCNN", "finance", "error_empty"),
        (" \u200b\n ", "TextCNN", "finance", "error_empty"),
        ("长" * 201, "TextCNN", "finance", "error_feedback_too_long"),
        (HEADLINE, "NoSuchModel", "finance", "error_not_loaded"),
        (HEADLINE, "TextCNN", "weather", "error_unknown_topic"),
        (HEADLINE, "TextCNN", "", "error_unknown_topic"),
        (HEADLINE, "TextCNN", "sports", "error_feedback_same"),  # the model's own answer corrects nothing
    ],
)
def test_what_cannot_be_kept_gets_a_clear_message_and_nothing_is_kept(keeping, store, headline, model, topic, key):
    with pytest.raises(UserError) as refused:
        flag_answer(keeping, headline, model, topic)
    assert refused.value.key == key and str(refused.value)
    assert store.count() == 0


def test_without_feedback_nothing_can_be_kept(demo):
    with pytest.raises(UserError) as refused:
        flag_answer(Demo(demo.registry, demo.data_dir), HEADLINE, "TextCNN", "finance")
    assert refused.value.key == "error_feedback_off"


def test_a_flood_from_one_visitor_is_refused_and_kept_from_no_one_else(keeping, store):
    now = [0.0]
    keeping.corrections.rate = RateLimit(clock=lambda: now[0])
    for i in range(30):
        flag_answer(keeping, f"{HEADLINE}{i}", "TextCNN", "finance", session="flood")
    with pytest.raises(UserError) as refused:
        flag_answer(keeping, HEADLINE, "TextCNN", "finance", session="flood")
    assert refused.value.key == "error_feedback_rate"
    flag_answer(keeping, HEADLINE, "TextCNN", "finance", session="someone else")
    now[0] = 61.0  # a minute later
    flag_answer(keeping, HEADLINE, "TextCNN", "finance", session="flood")
    assert store.count() == 32
    assert set(keeping.corrections.rate._events) == {"flood"}  # the idle visitor is forgotten


def test_the_same_correction_is_kept_once_per_visitor(keeping, store):
    """Before, a visitor clicking "send" again kept every copy, and the export held each."""
    flag_answer(keeping, HEADLINE, "TextCNN", "finance", session="visitor")
    with pytest.raises(UserError) as again:
        flag_answer(keeping, HEADLINE, "TextCNN", "finance", session="visitor")
    assert again.value.key == "error_feedback_again"
    flag_answer(keeping, HEADLINE, "TextCNN", "society", session="visitor")  # another topic is another correction
    flag_answer(keeping, HEADLINE, "TextCNN", "finance", session="someone else")  # another visitor's counts
    assert store.count() == 3


def test_all_visitors_together_are_bounded_too(keeping, store):
    keeping.corrections.total = RateLimit(per_minute=3, clock=lambda: 0.0)
    for i in range(3):
        flag_answer(keeping, f"{HEADLINE}{i}", "TextCNN", "finance", session=f"visitor {i}")
    with pytest.raises(UserError) as refused:
        flag_answer(keeping, HEADLINE, "TextCNN", "finance", session="visitor 4")
    assert refused.value.key == "error_busy" and store.count() == 3


def test_the_commit_is_git_s_or_the_one_an_image_is_given(monkeypatch, tmp_path):
    from cls_core.feedback import app_commit

    monkeypatch.delenv("HEADLINE_LENS_COMMIT", raising=False)
    assert app_commit() is None or len(app_commit()) == 40
    assert app_commit(tmp_path) is None  # not a git checkout
    monkeypatch.setenv("HEADLINE_LENS_COMMIT", "0123abc")
    assert app_commit(tmp_path) == "0123abc"


# --- review and training -------------------------------------------------------------------


def test_export_writes_text_tab_class_name_that_training_reads(store, tmp_path, capsys):
    store.add(correction("国足3:0完胜泰国队", "society"))
    store.add(correction("央行宣布下调存款准备金率", "finance"))
    out = tmp_path / "corrections.tsv"
    feedback_main(["export", "--db", str(store.path), "--out", str(out)])
    assert out.read_text(encoding="utf-8") == "国足3:0完胜泰国队\tsociety\n央行宣布下调存款准备金率\tfinance\n"
    assert read_named_split(out, ["finance", "society"]) == (["国足3:0完胜泰国队", "央行宣布下调存款准备金率"], [1, 0])
    feedback_main(["list", "--db", str(store.path)])
    listed = capsys.readouterr().out
    assert "2 corrections" in listed and "sports -> society" in listed
    with pytest.raises(SystemExit, match="no feedback database"):
        feedback_main(["list", "--db", str(tmp_path / "none.sqlite3")])


def test_an_export_holds_one_label_set_and_says_which_model_each_line_corrected(store, tmp_path, capsys):
    store.add(correction("国足3:0完胜泰国队", "society"))
    own = Correction("我的第一条", "我的第一条", "mine/linear", "cats", 0.8, "dogs", "abc123", "e" * 64)
    store.add(own)
    out = tmp_path / "corrections.tsv"
    feedback_main(["export", "--db", str(store.path), "--out", str(out)])  # the shipped models' classes
    assert out.read_text(encoding="utf-8") == "国足3:0完胜泰国队\tsociety\n"
    assert "1 of other models or label sets left out" in capsys.readouterr().out
    assert (tmp_path / "corrections.models.tsv").read_text().splitlines() == [
        "line\tmodel\tcheckpoint_sha256",
        f"1\tTextCNN\t{'f' * 64}",
    ]
    # training reads it whole (before, the own model's `dogs` line made --extra-train refuse the file)
    from conftest import SHIPPED_DATA

    from cls_core.data import Dataset, read_classes, with_extra

    classes = read_classes(SHIPPED_DATA / "class.txt")
    assert with_extra(Dataset([], [], list(classes)), [str(out)]).texts == ["国足3:0完胜泰国队"]
    feedback_main(["export", "--db", str(store.path), "--out", str(out), "--model", "mine/linear"])
    assert out.read_text(encoding="utf-8") == "我的第一条\tdogs\n"


def test_list_and_export_leave_an_older_database_as_it_is(tmp_path, capsys):
    path = version_1_database(tmp_path / "v1.sqlite3")
    before = path.read_bytes()
    feedback_main(["list", "--db", str(path)])
    feedback_main(["export", "--db", str(path), "--out", str(tmp_path / "c.tsv")])
    assert "1 corrections" in capsys.readouterr().out
    assert (tmp_path / "c.tsv").read_text(encoding="utf-8") == "央行降准\tfinance\n"
    assert path.read_bytes() == before and sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 1


def test_training_folds_the_corrections_in_and_records_them(small_data_dir, tmp_path):
    from cls_core.data import sha256_file
    from cls_core.models.checkpoint import load_checkpoint
    from cls_core.training.train import main as train_main

    extra = tmp_path / "corrections.tsv"
    extra.write_text("翀翀翀夺冠\tsports\n翀翀翀降息\tfinance\n\n", encoding="utf-8")  # 翀: in no shipped headline
    out = tmp_path / "textcnn.pt"
    args = [
        "--model",
        "textcnn",
        "--data-dir",
        str(small_data_dir),
        "--train-limit",
        "100",
        "--epochs",
        "1",
        "--filters",
        "16",
        "--ema",
        "0",
        "--device",
        "cpu",
        "--out",
        str(out),
    ]
    train_main(args + ["--extra-train", str(extra)])
    payload = load_checkpoint(out)
    record = payload["metrics"]["extra_train"][0]
    assert {k: record[k] for k in ("path", "sha256", "headlines", "weight", "map")} == {
        "path": str(extra),
        "sha256": sha256_file(extra),
        "headlines": 2,
        "weight": 1.0,
        "map": None,
    }
    assert record["lines_per_class"] == {"finance": 1, "sports": 1}
    assert json.loads(out.with_suffix(".metrics.json").read_text())["extra_train"][0]["headlines"] == 2
    assert sum(payload["class_counts"]["train"]) == 100  # THUCNews train alone: the extra lines are recorded apart
    assert "翀" in payload["encoder"]  # the corrections' characters are in the vocabulary trained
    bad = tmp_path / "bad.tsv"
    bad.write_text("国足夺冠\t体育\n", encoding="utf-8")
    with pytest.raises(SystemExit, match=r"bad.tsv:1: label '体育' is not a class of class.txt"):
        train_main(args + ["--extra-train", str(bad)])
    with pytest.raises(DataFormatError, match="no tab"):
        bad.write_text("国足夺冠 sports\n", encoding="utf-8")
        read_named_split(bad, ["sports"])


# --- the app as a process --------------------------------------------------------------------


def http_flag(url, data, session=None):
    """One /flag over Gradio's HTTP call API: (the record id or None, the last event's text)."""
    body = {"data": data, **({"session_hash": session} if session else {})}
    request = urllib.request.Request(
        url + "gradio_api/call/flag", json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    event = json.load(urllib.request.urlopen(request, timeout=60))["event_id"]
    reply = urllib.request.urlopen(f"{url}gradio_api/call/flag/{event}", timeout=60).read().decode()
    if "event: complete" in reply:
        return json.loads(reply.rsplit("data:", 1)[1])[0], reply
    return None, reply


def test_an_acknowledged_correction_survives_kill_9_and_fifty_sessions_are_each_kept_once(
    checkpoint_dir, small_data_dir, tmp_path
):
    from gradio_client import Client

    db = tmp_path / "feedback.sqlite3"
    app_args = ["--data-dir", str(small_data_dir), "--checkpoints", str(checkpoint_dir), "--feedback-db", str(db)]
    process, url = start_app(tmp_path / "first.log", *app_args)
    try:
        record_id, _ = http_flag(url, [HEADLINE, "TextCNN", "财经"])
        os.kill(process.pid, signal.SIGKILL)  # at once: no shutdown, no checkpoint of the log
    finally:
        process.kill()
        process.wait(timeout=30)
    assert record_id == 1
    reread = FeedbackStore(db)
    assert [(r["id"], r["headline"], r["correction"]) for r in reread.rows()] == [(1, HEADLINE, "finance")]
    reread.close()

    process, url = start_app(tmp_path / "second.log", *app_args)
    try:
        clients = [Client(url, verbose=False) for _ in range(10)]

        def five(i):
            return [clients[i].predict(f"{HEADLINE} {i}-{j}", "TextCNN", "finance", api_name="/flag") for j in range(5)]

        with ThreadPoolExecutor(10) as pool:
            ids = [i for batch in pool.map(five, range(10)) for i in batch]
        assert sorted(ids) == list(range(2, 52))
        # one session's 31st correction in a minute is refused, and kept nowhere
        for j in range(25):
            clients[0].predict(f"{HEADLINE} flood {j}", "TextCNN", "finance", api_name="/flag")
        with pytest.raises(Exception, match="More than 30 corrections a minute"):
            clients[0].predict(f"{HEADLINE} flood 25", "TextCNN", "finance", api_name="/flag")
        refused, reply = http_flag(url, ["", "TextCNN", "finance"])
        assert refused is None and "Please type a headline first" in reply
    finally:
        process.terminate()
        process.wait(timeout=30)
    rows = FeedbackStore(db).rows()
    assert len(rows) == 76 and len({r["headline"] for r in rows}) == 76
    assert sum(r["headline"].startswith(f"{HEADLINE} ") and "flood" not in r["headline"] for r in rows) == 50


def test_review_on_a_share_link_without_a_login_is_refused(tmp_path, monkeypatch):
    import app as app_module

    monkeypatch.delenv("APP_AUTH", raising=False)
    db = ["--feedback-db", str(tmp_path / "f.sqlite3")]
    with pytest.raises(SystemExit, match="--review on a --share link needs --auth"):
        app_module.main(["--review", "--share", *db, "--checkpoints", str(tmp_path)])
    assert app_module.open_corrections(app_module.parse_args(["--review", *db]))[1] is True
    assert app_module.open_corrections(app_module.parse_args(["--review", "--no-feedback", *db])) == (None, False)


def test_the_box_shows_under_an_answer_only_while_corrections_are_kept(keeping, demo):
    import gradio as gr

    from cls_core.app.tabs.common import Words
    from cls_core.app.tabs.inside import InsideTab
    from cls_core.app.tabs.predict import PredictTab
    from cls_core.app.visitor import Visitor

    v = Visitor(
        lang="zh-TW",
        headline=HEADLINE,
        models=("TextCNN", "BiLSTM-attention"),
        predicted=True,
        inside_headline=HEADLINE,
        inside_model="TextCNN",
        looked=True,
    )
    for core, shown in ((keeping, True), (Demo(demo.registry, demo.data_dir), False)):
        with gr.Blocks():
            predict, inside = PredictTab(core, Words("zh-TW")), InsideTab(core, Words("zh-TW"))
        drawn = predict.render(v)
        assert drawn[predict.correct.row]["visible"] is shown
        assert drawn[predict.correct.model]["value"] == "TextCNN"
        assert ("體育", "sports") in predict.correct.topic.choices  # the topics as this visitor's page names them
        assert predict.render(Visitor(lang="zh-TW"))[predict.correct.row]["visible"] is False  # no answer: no box
        drawn = inside.render(v)
        assert drawn[inside.correct.row]["visible"] is shown and drawn[inside.correct.model]["value"] == "TextCNN"


def test_a_corrections_thanks_are_drawn_again_in_the_new_language(keeping):
    """The acknowledgement disappeared at a switch of language instead of being redrawn."""
    import gradio as gr

    from cls_core.app.tabs.common import Words
    from cls_core.app.tabs.predict import PredictTab
    from cls_core.app.visitor import Visitor

    kept = ("predict", HEADLINE, 7, "TextCNN", "sports", "finance")
    v = Visitor(headline=HEADLINE, models=("TextCNN",), predicted=True, acknowledged=kept)
    for lang, topic in (("en", "finance"), ("zh-CN", "财经"), ("zh-HK", "財經")):
        with gr.Blocks():
            predict = PredictTab(keeping, Words(lang))
        message = predict.render(replace(v, lang=lang))[predict.correct.message]
        assert message["visible"] and "7" in message["value"] and topic in message["value"], lang
    # another headline asked since: no thanks under its answer
    with gr.Blocks():
        predict = PredictTab(keeping, Words("en"))
    assert not predict.render(replace(v, headline="央行降息"))[predict.correct.message]["visible"]


def test_a_database_that_cannot_be_opened_stops_the_app_with_a_way_out(tmp_path):
    import app as app_module

    (tmp_path / "not-a-folder").write_text("")
    with pytest.raises(SystemExit, match="--no-feedback"):
        app_module.open_corrections(
            app_module.parse_args(["--feedback-db", str(tmp_path / "not-a-folder" / "f.sqlite3")])
        )
