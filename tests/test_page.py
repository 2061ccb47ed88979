"""The page without a browser: each tab draws its views from a visitor's state, a change of
language redraws them from kept results (no model runs again), and each visitor's views show
what that visitor asked for."""

from dataclasses import replace

import gradio as gr
import pytest

from cls_core.app import i18n
from cls_core.app.recent import Recent
from cls_core.app.service import Demo
from cls_core.app.tabs.common import Words, answer
from cls_core.app.tabs.evaluate import EvaluateTab
from cls_core.app.tabs.inside import InsideTab
from cls_core.app.tabs.predict import PredictTab
from cls_core.app.views import evaluate
from cls_core.app.visitor import Visitor
from cls_core.explain import attribution, counterfactual, inspection

HEADLINE = "国足3:0完胜泰国队 晋级世界杯预选赛"


def build(tab_type, demo, lang="zh-CN"):
    words = Words(lang)
    with gr.Blocks():
        tab = tab_type(demo, words)
    return tab, words


def values(updates):
    return {component: u.get("value") if isinstance(u, dict) else u for component, u in updates.items()}


def no_model_runs(monkeypatch, demo):
    """Every model of demo, and every explanation, fails if run from here on."""

    def refuse(*args, **kwargs):
        raise AssertionError("a model ran again")

    for predictor in demo.models.values():
        monkeypatch.setattr(predictor, "predict_assessed", refuse)
        monkeypatch.setattr(predictor, "predict_proba", refuse, raising=False)
    for module, names in (
        (inspection, ("occlusion", "reading", "inspect_bilstm", "inspect_textcnn", "inspect_linear")),
        (attribution, ("integrated_gradients", "method_scores")),
        (counterfactual, ("smallest_flip", "input_reduction")),
    ):
        for name in names:
            monkeypatch.setattr(module, name, refuse)


def test_recent_results_are_bounded_and_computed_once():
    recent, calls = Recent(size=2), []
    for key in ("a", "b", "a", "c", "a"):
        recent.get(key, lambda key=key: calls.append(key) or key.upper())
    assert calls == ["a", "b", "c"] and len(recent) == 2 and recent.keys() == {"a", "c"}


@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_a_tab_is_drawn_in_the_visitors_language(demo, lang):
    tab, _ = build(PredictTab, demo, lang)
    assert tab.predict_button.value == i18n.text("predict_button", lang)
    assert tab.headline.label == i18n.text("headline_label", lang, n=200)
    assert dict(tab.chosen.choices)[i18n.text("model_linear", lang)] == "Linear (TF-IDF + SVM)"


def test_a_language_switch_redraws_predict_and_inside_without_running_a_model(demo, monkeypatch):
    fresh = Demo(demo.registry, demo.data_dir)
    predict, _ = build(PredictTab, fresh)
    inside, _ = build(InsideTab, fresh)
    v = Visitor(
        lang="zh-CN",
        headline=HEADLINE,
        models=("TextCNN", "BiLSTM-attention"),
        predicted=True,
        inside_headline=HEADLINE,
        inside_model="BiLSTM-attention",
        looked=True,
    )
    zh = {**values(predict.render(v)), **values(inside.render(v))}
    assert "有把握" in predict.render(v)[predict.panels[0]]["label"] and "读了" in zh[inside.summary]
    no_model_runs(monkeypatch, demo)
    en = replace(v, lang="en")
    panel = predict.render(en)[predict.panels[0]]
    assert "✓ sure" in panel["label"] and "体育 sports" in panel["value"]
    redrawn = inside.render(en)
    assert "reads" in redrawn[inside.summary] and redrawn[inside.methods_plot]["visible"]
    assert redrawn[inside.methods_plot]["value"].layout.title.text.startswith("How each method credits")
    at_layer_one = inside.render(replace(en, layer=1, direction="backward"))  # another layer: kept results too
    assert "layer 1" in at_layer_one[inside.hidden_plot]["value"].layout.title.text


def test_each_visitor_sees_the_models_they_evaluated(demo):
    tab, _ = build(EvaluateTab, demo)
    evaluate.evaluation_report(demo, "TextCNN")
    evaluate.evaluation_report(demo, "Linear (TF-IDF + SVM)")  # another visitor's
    mine = tab.render(Visitor(lang="en", evaluated=("TextCNN",)))
    coverage = mine[tab.coverage]["value"]
    assert [t.name.split(" · ")[0] for t in coverage.data if t.name] == ["TextCNN"]
    assert all("Linear" not in (t.name or "") for t in mine[tab.by_length]["value"].data)
    nothing = tab.render(Visitor(lang="en"))
    assert nothing[tab.coverage]["visible"] is False and nothing[tab.per_class]["visible"] is False


def test_a_question_that_cannot_be_answered_leaves_a_hint_and_no_old_answer(demo):
    tab, _ = build(PredictTab, demo)
    state = gr.State()
    v = Visitor(lang="zh-CN", headline=HEADLINE, models=("TextCNN",), predicted=True)
    out = answer(tab, state, v, lambda v: replace(v, headline="   ", predicted=True))
    assert out[state].predicted is False and out[state].hints["predict"][0] == "error_empty"
    assert out[tab.hint]["visible"] and "请先输入一条标题" in out[tab.hint]["value"]
    assert all(out[panel]["visible"] is False for panel in tab.panels)
    again = answer(tab, state, out[state], lambda v: replace(v, headline=HEADLINE, predicted=True))
    assert again[tab.hint]["visible"] is False and "predict" not in again[state].hints


@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_a_hint_is_worded_in_the_visitors_language(demo, lang):
    tab, _ = build(PredictTab, demo)
    v = Visitor(lang=lang).with_hint("predict", type("E", (), {"key": "error_empty", "fields": {}})())
    assert i18n.text("error_empty", lang) in tab.render(v)[tab.hint]["value"]


def test_an_unexpected_failure_is_a_hint_in_the_visitors_language_not_a_trace(demo, monkeypatch):
    tab, _ = build(PredictTab, demo)
    state = gr.State()

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("cls_core.app.tabs.predict.predict", broken)
    out = answer(
        tab, state, Visitor(lang="zh-CN"), lambda v: replace(v, headline=HEADLINE, models=("TextCNN",), predicted=True)
    )
    assert out[tab.hint]["visible"] and "服务器出了点问题" in out[tab.hint]["value"]
    assert out[state].predicted is False


def test_evaluate_on_an_outlet_never_trained_on_and_back(demo):
    tab, _ = build(EvaluateTab, demo)
    report = evaluate.evaluation_report(demo, "TextCNN", test_set="outlet")
    assert report["headlines"] == 10_000 and report["test_set"] == "outlet"
    v = Visitor(lang="zh-CN", evaluated=("TextCNN",), test_set="outlet")
    out = tab.render(v)
    assert "从未学过的媒体" in out[tab.summary] and out[tab.test_set]["value"] == "outlet"
    assert out[tab.model]["value"] == "TextCNN" and out[tab.coverage]["visible"]
    finance, stocks = demo.classes.index("finance"), demo.classes.index("stocks")
    rows, message = evaluate.cell_headlines(demo, report, finance, finance, "en")
    assert rows and "true 财经 finance" in message
    # a finance headline answered stocks counts as right: it sits on the diagonal
    assert report["confusion"][finance][stocks] == 0
