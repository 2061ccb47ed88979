"""Every answer says when not to trust it; Traditional script reads like Simplified."""

import csv

import numpy as np
import pytest

from cls_core.app.batch import predict_file
from cls_core.app.service import ENSEMBLE
from cls_core.app.views.predict import predict
from cls_core.data import load_split
from cls_core.data.normalize import opencc_converter
from cls_core.models.unsure import answered_at, fit_confidence_threshold, looks_chinese, token_counts, verdict

JUNK = ["<script>alert(1)</script>", "😀😀😀", "aaaaaaaa", "Fed raises interest rates", "12345678", "!!!???"]


@pytest.mark.parametrize(
    "text, chinese, tokens",
    [
        ("苹果发布新一代iPhone", 7, 8),  # a Latin word is one token
        ("Fed raises interest rates", 0, 4),
        ("😀😀😀", 0, 3),
        ("国足3:0胜泰国", 5, 7),  # the numbers 3 and 0 are a token each; ':' is punctuation
    ],
)
def test_token_counts(text, chinese, tokens):
    assert token_counts(text) == (chinese, tokens)


def test_the_rules_in_order():
    assert verdict("苹果发布新一代iPhone", 0.9, 0.0, 0.5) == (False, "")
    assert verdict("Fed raises rates 降息", 0.9, 0.0, 0.5) == (True, "not_chinese")
    assert verdict("龘靐齉爩", 0.9, 0.75, 0.5) == (True, "unknown_chars")
    assert verdict("国足胜泰国", 0.3, 0.0, 0.5) == (True, "low_confidence")
    assert verdict("国足胜泰国", 0.3, 0.0, None) == (False, "")  # no threshold recorded: never low
    assert looks_chinese("央行降准") and not looks_chinese("央")


def test_threshold_keeps_the_target_coverage():
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(10) * 0.3, size=2000)
    labels = probs.argmax(axis=1)
    t = fit_confidence_threshold(probs, 0.9)
    assert answered_at(probs, labels, t)["coverage"] == pytest.approx(0.9, abs=0.01)


@pytest.mark.parametrize("junk", JUNK)
def test_junk_is_flagged_by_every_model(demo, junk):
    _, _, results = predict(demo, junk, demo.model_names())
    assert {name: r[2]["reason"] for name, r in results.items()} == {n: "not_chinese" for n in demo.model_names()}


def test_real_headlines_are_mostly_answered_and_answered_ones_are_more_accurate(demo, data_dir):
    test = load_split(data_dir, "test")
    texts, labels = test.texts[::4], np.asarray(test.labels[::4])
    for name in demo.model_names():
        predictor = demo.predictor(name)
        assert predictor.unsure_threshold is not None, name
        probs, verdicts = predictor.predict_assessed(texts)
        unsure = np.array([v.unsure for v in verdicts])
        correct = probs.argmax(axis=1) == labels
        assert 0.02 < unsure.mean() <= 0.2, name
        assert correct[~unsure].mean() > correct.mean() + 0.02, name


@pytest.mark.parametrize("name", ["BiLSTM-attention", "TextCNN", "Linear (TF-IDF + SVM)", ENSEMBLE])
def test_traditional_script_gets_the_same_answer(demo, data_dir, name):
    texts = load_split(data_dir, "test").texts[::50]
    predictor = demo.predictor(name)
    for config in ("s2twp", "s2hk"):
        traditional = [opencc_converter(config).convert(t) for t in texts]
        assert traditional != texts
        same = predictor.predict_proba(texts).argmax(1) == predictor.predict_proba(traditional).argmax(1)
        assert same.mean() >= 0.97, (config, same.mean())
    simplified = predict(demo, "国足3:0完胜泰国队", [name])[2][name]
    traditional = predict(demo, "國足３：０完勝泰國隊", [name])[2][name]
    assert next(iter(simplified[0])) == next(iter(traditional[0])) == "体育 sports"
    assert traditional[2]["read_as"] == "国足3:0完胜泰国队"


def test_batch_csv_carries_the_verdicts(demo, tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("國足３：０完勝泰國隊\n😀😀😀\n周杰伦新专辑首发 歌迷排队数小时\n", encoding="utf-8")
    path, n, _ = predict_file(demo.registry, source, demo.downloads)
    rows = list(csv.DictReader(open(path, encoding="utf-8-sig")))
    assert n == 3 and rows[0]["read as"] == "国足3:0完胜泰国队"
    for name in demo.model_names():
        assert [r[f"{name}: unsure"] for r in rows] == ["no", "yes", "no"]
        assert rows[1][f"{name}: reason"] == "not a Chinese headline" and rows[0][f"{name}: reason"] == ""
