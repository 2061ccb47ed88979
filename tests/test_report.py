"""The report to hand out and the model card (cls_core.app.report): written from what ships,
self-contained, in every language, and in agreement with the checkpoints' records."""

import json
import re
import shutil
import time
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest

from cls_core.app.i18n import LANGUAGES, convert
from cls_core.app.inputs import Downloads
from cls_core.app.report import model_card, words
from cls_core.app.report.page import write_report
from cls_core.app.report.record import CHECKPOINT_DIR, ROOT, Records
from cls_core.app.views.overview import report_file

MAX_BYTES, MAX_SECONDS = 10_000_000, 10.0


@pytest.fixture(scope="module")
def records():
    return Records.load()


@pytest.fixture(scope="module")
def reports(records, tmp_path_factory):
    """{lang: (path, bytes, seconds)} of the report written in each language."""
    folder = tmp_path_factory.mktemp("reports")
    out = {}
    for lang in LANGUAGES:
        start = time.perf_counter()
        size, _ = write_report(Records.load(), lang, folder / f"report-{lang}.html")  # records read each time
        out[lang] = (folder / f"report-{lang}.html", size, time.perf_counter() - start)
    return out


class Links(HTMLParser):
    """Every src and href of the document's tags (a script's own text is not parsed as tags)."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found += [(tag, name, value) for name, value in attrs if name in ("src", "href")]


def test_the_record_matches_the_shipped_checkpoints_and_their_metrics(records):
    assert records.problems == []
    for name, measured in records.measured["models"].items():
        assert measured["accuracy"] == pytest.approx(records.test_accuracy(name), abs=1e-9), name
    assert set(records.agreement) == {"BiLSTM-attention", "TextCNN"}


def test_a_changed_checkpoint_makes_the_record_stale(tmp_path):
    for path in CHECKPOINT_DIR.glob("*.json"):
        shutil.copy(path, tmp_path / path.name)
    for file in ("bilstm_att.pt", "linear.npz"):
        (tmp_path / file).symlink_to(CHECKPOINT_DIR / file)
    (tmp_path / "textcnn.pt").write_bytes(b"another checkpoint")
    problems = Records.load(tmp_path).problems
    assert len(problems) == 1 and "textcnn.pt" in problems[0] and "--record" in problems[0]


def test_the_report_is_one_file_that_fetches_nothing(reports):
    for lang, (path, _, _) in reports.items():
        document = path.read_text(encoding="utf-8")
        links = Links()
        links.feed(document)
        outside = [link for link in links.found if not link[2].startswith("#")]
        assert not outside, (lang, outside)
        assert document.count("<script") == 1 + document.count('class="plotly-graph-div"'), lang  # plotly.js once
        assert not re.search(r"<link\b|@import|url\(\s*['\"]?https?:", document), lang


def test_the_report_is_small_and_quick_to_write(reports):
    for lang, (_, size, seconds) in reports.items():
        assert size <= MAX_BYTES, (lang, size)
        assert seconds <= MAX_SECONDS, (lang, seconds)


def test_the_report_carries_the_accuracies_the_checkpoints_record(reports, records):
    for lang, (path, _, _) in reports.items():
        document = path.read_text(encoding="utf-8")
        for name in records.metrics:
            assert f"{records.test_accuracy(name):.2%}" in document, (lang, name)


def test_the_report_speaks_its_language(reports):
    for lang, (path, _, _) in reports.items():
        document = path.read_text(encoding="utf-8")
        title = words.say("title", lang)
        assert f"<title>{title}</title>".replace("&", "&amp;") in document or title in document, lang
        assert f"--lang {lang}" in document
    assert words.say("h_limits", "zh-TW") == convert(words.WORDS["h_limits"][1], "zh-TW") != words.WORDS["h_limits"][1]


def test_every_figure_says_which_command_reproduces_it(reports):
    document = reports["en"][0].read_text(encoding="utf-8")
    figures = document.count('class="plotly-graph-div"')
    assert figures >= 15
    assert document.count('class="command"') == figures


def test_every_report_word_exists_in_both_languages_with_the_same_fields():
    fields = re.compile(r"{(\w+)")
    for key, (english, simplified) in words.WORDS.items():
        assert english and simplified, key
        assert set(fields.findall(english)) == set(fields.findall(simplified)), key


def test_the_model_cards_agree_with_the_checkpoints(records):
    """The committed cards are what `python -m cls_core.report --model-card` writes now."""
    for lang, file in model_card.CARD_FILES.items():
        assert (ROOT / file).read_text(encoding="utf-8") == model_card.card(records, lang), (
            f"{file} disagrees with the checkpoints' records: python -m cls_core.report --model-card"
        )


def test_a_card_disagrees_once_a_record_changes(tmp_path):
    for path in CHECKPOINT_DIR.glob("*.json"):
        shutil.copy(path, tmp_path / path.name)
    shutil.copytree(CHECKPOINT_DIR / "shipped-cache", tmp_path / "shipped-cache")
    metrics = json.loads((tmp_path / "textcnn.metrics.json").read_text())
    metrics["test"]["accuracy"] = 0.9014
    (tmp_path / "textcnn.metrics.json").write_text(json.dumps(metrics))
    card = model_card.card(Records.load(tmp_path, check=False), "en")
    assert "90.14%" in card and card != (ROOT / "MODEL_CARD.md").read_text(encoding="utf-8")


def test_the_model_card_has_the_expected_sections(records):
    card = model_card.card(records, "en")
    for section in (
        "Model details",
        "Intended use and out-of-scope use",
        "Training data and its provenance",
        "Evaluation data and figures",
        "Calibration",
        "Robustness",
        "Limitations and risks",
        "Licences of the data and the embeddings",
        "How to reproduce",
    ):
        assert f"\n## {section}\n" in card
    assert "MIT" in card and "2005" in card


def test_the_overview_writes_the_report_in_the_visitors_language():
    demo = SimpleNamespace(checkpoint_dir=CHECKPOINT_DIR, downloads=Downloads())
    path = report_file(demo, "zh-HK")
    assert Path(path).name == "headline-lens-report-zh-HK.html"
    assert words.say("title", "zh-HK") in Path(path).read_text(encoding="utf-8")


def test_the_worked_examples_are_chosen_by_rule():
    """The first headline of a usual length the model gets right and is sure of, the first it
    gets wrong while sure, the first it is unsure of; too short or too long ones are passed over."""
    from cls_core.app.report.measure import choose_examples

    test = SimpleNamespace(
        texts=[
            "短",
            "十二个字的标题正确而有把握",
            "十二个字的标题错误但有把握",
            "十二个字的标题正确而没把握",
            "十二个字的标题正确而有把握",
        ],
        labels=[0, 0, 0, 0, 0],
    )
    record = {
        "at_threshold": {"threshold": 0.6},
        "predicted": [0, 0, 1, 0, 0],
        "probability": [0.9, 0.9, 0.8, 0.5, 0.9],
    }
    assert choose_examples(test, record) == [("right", 1), ("wrong", 2), ("unsure", 3)]
