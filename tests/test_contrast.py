"""Why this topic and not that one? (issue 29): every explanation of a headline can explain a
topic chosen instead of the answer, or what tells one topic from another (the difference of
their logits); the flip search looks for the edit that makes the answer the chosen topic;
/inspect, links and Evaluate's confusion cells ask for it."""

from dataclasses import replace
from urllib.parse import parse_qsl

import gradio as gr
import numpy as np
import pytest
import torch

from cls_core.app import api, i18n
from cls_core.app.links import link_query, read_link, read_topics
from cls_core.app.service import ENSEMBLE
from cls_core.app.tabs.common import Words, answer
from cls_core.app.tabs.evaluate import EvaluateTab
from cls_core.app.tabs.inside import InsideTab
from cls_core.app.views import evaluate as evaluate_view
from cls_core.app.views.deeper import deeper
from cls_core.app.views.inside import inside
from cls_core.app.visitor import Visitor
from cls_core.app.wording import UserError
from cls_core.data import pad_batch
from cls_core.explain import attribution, counterfactual, inspection
from cls_core.models.predictor import SHIPPED_MODELS, Predictor

# finance or stocks? The BiLSTM answers finance, the TextCNN and the linear model stocks.
HEADLINE = "央行宣布下调存款准备金率"
LINEAR = "Linear (TF-IDF + SVM)"
# the words this feature added to the page (cls_core.app.i18n), with the fields they take
WORDS = {
    "explain_topic_label": {},
    "rather_than_label": {},
    "topic_answer": {},
    "topic_any": {},
    "contrast_name": dict(cls="股票", other="财经"),
    "explaining_topic": dict(cls="股票", p=0.2),
    "explaining_contrast": dict(cls="股票", other="财经", d=1.5),
    "title_occlusion_contrast": dict(cls="股票", other="财经"),
    "axis_logit_difference_drop": {},
    "title_reading_contrast": dict(cls="股票", other="财经"),
    "axis_logit_difference": {},
    "weights_textcnn_for": dict(cls="股票"),
    "title_textcnn_for": dict(cls="股票"),
    "flip_to_line": dict(cls="财经", edit="x", text="y", p=0.5, was="股票"),
    "flip_to_none": dict(cls="财经", n=64),
    "error_same_topics": dict(topic="stocks"),
    "cell_open_inside": dict(what="股票"),
}


@pytest.fixture(scope="module")
def models(checkpoint_dir):
    return {
        kind: Predictor.load(checkpoint_dir / filename, "cpu", "fp32")  # exact comparisons
        for kind, filename in zip(("bilstm_att", "textcnn", "linear"), SHIPPED_MODELS.values())
    }


def logits(predictor, text, baseline=False):
    chars, bigrams, lengths = pad_batch([predictor.encoder.encode(text)])
    if baseline:
        chars, bigrams = torch.zeros_like(chars), torch.zeros_like(bigrams)
    with torch.no_grad():
        return predictor.model(chars, bigrams, lengths)[0].numpy().astype(float)


def answer_and_runner_up(predictor, text):
    order = np.argsort(-predictor.predict_proba([text])[0])
    return int(order[0]), int(order[1])


@pytest.mark.parametrize("kind", ["bilstm_att", "textcnn"])
def test_integrated_gradients_are_complete_for_another_topic_and_for_a_difference(models, kind):
    """The scores sum to the change, from the all-padding baseline to the headline, of the
    chosen topic's logit, or of the difference of two topics' logits, within the delta."""
    predictor = models[kind]
    answer, other = answer_and_runner_up(predictor, HEADLINE)
    change = logits(predictor, HEADLINE) - logits(predictor, HEADLINE, baseline=True)
    for target, rather_than, expected in (
        (other, None, change[other]),
        (other, answer, change[other] - change[answer]),
        (answer, other, change[answer] - change[other]),
    ):
        ig = attribution.integrated_gradients(predictor, HEADLINE, target=target, rather_than=rather_than)
        assert ig["class_index"] == target and ig["rather_than"] == rather_than
        assert abs(ig["ig_delta"]) <= attribution.MAX_DELTA
        assert ig["scores"].sum() == pytest.approx(expected + ig["ig_delta"], abs=1e-3)
        assert abs(ig["scores"].sum() - expected) <= attribution.MAX_DELTA + 1e-4


@pytest.mark.parametrize("kind", ["bilstm_att", "textcnn"])
def test_attributions_differ_between_targets(models, kind):
    predictor = models[kind]
    answer, other = answer_and_runner_up(predictor, HEADLINE)
    batch = attribution.integrated_gradients_batch(
        predictor, [HEADLINE] * 3, targets=[answer, other, other], rather_than=[None, None, answer]
    )
    alone = attribution.integrated_gradients(predictor, HEADLINE, target=other, rather_than=answer)
    np.testing.assert_allclose(batch[2]["scores"], alone["scores"], atol=1e-4)  # a batch mixes them rightly
    for a, b in ((0, 1), (1, 2), (0, 2)):
        assert not np.allclose(batch[a]["scores"], batch[b]["scores"], atol=1e-3), (a, b)
    # the difference of two topics is explained against each other: swapped, the scores change sign
    swapped = attribution.integrated_gradients(predictor, HEADLINE, target=answer, rather_than=other)
    np.testing.assert_allclose(swapped["scores"], -alone["scores"], atol=0.05)


@pytest.mark.parametrize("kind", ["bilstm_att", "textcnn", "linear"])
def test_occlusion_for_a_pair_measures_the_change_of_the_logit_difference(models, kind):
    predictor = models[kind]
    answer, other = answer_and_runner_up(predictor, HEADLINE)
    r = inspection.occlusion(predictor, HEADLINE, other, answer)
    scores = np.asarray(predictor.scores([HEADLINE, HEADLINE[1:], HEADLINE[:-1]]), dtype=float)
    difference = scores[:, other] - scores[:, answer]
    assert r["measure"] == "logit_difference" and r["rather_than"] == answer
    assert r["value"] == pytest.approx(difference[0], abs=1e-4)
    assert r["drop"][0] == pytest.approx(difference[0] - difference[1], abs=1e-4)
    assert r["drop"][-1] == pytest.approx(difference[0] - difference[2], abs=1e-4)
    # the answer's probabilities stay what the flip search reuses
    np.testing.assert_allclose(r["probs"], predictor.predict_proba([HEADLINE])[0], atol=1e-6)
    assert inspection.occlusion(predictor, HEADLINE)["measure"] == "probability"


def test_ngram_scores_for_a_pair_add_up_to_the_difference(models):
    linear, textcnn = models["linear"], models["textcnn"]
    answer, other = answer_and_runner_up(linear, HEADLINE)
    r = inspection.inspect_linear(linear, HEADLINE, other, answer)
    scores = linear.scores([HEADLINE])[0]
    assert r["char_scores"].sum() + r["intercept"] == pytest.approx(scores[other] - scores[answer], abs=1e-5)
    assert sum(v for _, v in r["ngrams"]) + r["intercept"] == pytest.approx(scores[other] - scores[answer], abs=1e-5)
    answer, other = answer_and_runner_up(textcnn, HEADLINE)
    pair = inspection.inspect_textcnn(textcnn, HEADLINE, other, answer)["char_scores"]
    each = [inspection.inspect_textcnn(textcnn, HEADLINE, c)["char_scores"] for c in (other, answer)]
    np.testing.assert_allclose(pair, each[0] - each[1], atol=1e-5)


@pytest.mark.parametrize("kind", ["bilstm_att", "textcnn", "linear"])
def test_a_flip_toward_a_chosen_topic_really_gives_that_topic(models, kind):
    predictor = models[kind]
    found = 0
    for text in (HEADLINE, "房企融资渠道收紧", "基金经理谈后市"):
        answer, other = answer_and_runner_up(predictor, text)
        result = counterfactual.smallest_flip(predictor, text, to=other)
        assert result["to"] == other and result["original_class_index"] == answer
        assert result["evaluations"] <= counterfactual.flip_budget(predictor)
        flip = result["flip"]
        if flip is None:
            continue
        found += 1
        probs = predictor.predict_proba([flip["text"]])[0]
        assert int(probs.argmax()) == flip["class_index"] == other
        assert probs[other] == pytest.approx(flip["probability"], abs=1e-5)
    assert found >= 1
    # "to" the answer itself: any other topic, as without it
    answer, _ = answer_and_runner_up(predictor, HEADLINE)
    assert counterfactual.smallest_flip(predictor, HEADLINE, 40, to=answer) == dict(
        counterfactual.smallest_flip(predictor, HEADLINE, 40), to=None
    )


def test_method_scores_explain_the_topic_asked(models):
    predictor = models["textcnn"]
    answer, other = answer_and_runner_up(predictor, HEADLINE)
    scored = attribution.method_scores(predictor, HEADLINE, topic=other, rather_than=answer)
    assert scored["class_index"] == other and scored["rather_than"] == answer
    occluded = inspection.occlusion(predictor, HEADLINE, other, answer)
    np.testing.assert_allclose(scored["scores"]["occlusion"], occluded["drop"])
    # scores known for the answer are not taken for another question
    known = attribution.method_scores(predictor, HEADLINE)
    known = dict(known, scores={m: v for m, v in known["scores"].items() if m != "integrated_gradients"})
    again = attribution.method_scores(predictor, HEADLINE, known=known, topic=other, rather_than=answer)
    np.testing.assert_allclose(again["scores"]["occlusion"], occluded["drop"])


def test_inside_explains_the_topics_chosen_and_keys_its_results_by_them(demo):
    default = inside(demo, HEADLINE, "TextCNN")
    assert default["topic"] == default["class"] == "stocks" and default["rather_than"] is None
    chosen = inside(demo, HEADLINE, "TextCNN", topic="finance", rather_than="stocks")
    assert chosen["class"] == "stocks" and chosen["topic"] == "finance" and chosen["rather_than"] == "stocks"
    assert chosen["logit_difference"] < 0  # the answer is stocks: finance is behind
    assert chosen["method_scores"]["class_index"] == 0 and chosen["method_scores"]["rather_than"] == 2
    assert "logit(" in chosen["occlusion_plot"].layout.title.text
    for plot in ("occlusion_plot", "weights_plot", "reading_plot"):  # red toward one topic, violet the other
        assert {trace.name for trace in chosen[plot].data} <= {"toward 财经 finance", "toward 股票 stocks"}, plot
    assert "logit(" in chosen["reading_plot"].layout.title.text
    assert chosen["occlusion"] != default["occlusion"]
    keys = demo.recent.keys()
    asked = [k[3] for k in keys if k[0] == "occlusion" and k[1][0] == "TextCNN" and k[2] == HEADLINE]
    assert ("", "") in asked and ("finance", "stocks") in asked
    # one topic chosen: the reading shows it among the likeliest
    one = inside(demo, HEADLINE, "TextCNN", topic="politics")
    assert "时政 politics" in [trace.name for trace in one["reading_plot"].data]


def test_deeper_looks_for_the_edit_that_makes_the_answer_the_chosen_topic(demo):
    r = deeper(demo, HEADLINE, "TextCNN", topic="stocks", rather_than="finance")
    result = r["attributions"]
    assert result["class"] == "stocks" and result["topic"] == "stocks" and result["rather_than"] == "finance"
    assert result["flip"]["to"] == 0  # the answer is stocks: what would make it finance?
    assert "Smallest edit that makes it 财经 finance" in r["counterfactuals"]
    assert "Fewest characters that keep the answer" in r["counterfactuals"]
    flip = result["flip"]["flip"]
    assert flip is not None and demo.predictor("TextCNN").predict([flip["text"]], 1)[0][0][0] == "finance"


def test_the_inspect_api_takes_a_topic_and_one_to_compare_it_with(demo):
    plain = api.inspect_answer(demo, HEADLINE, "TextCNN")
    assert plain["topic"] == plain["class"] == "stocks" and plain["rather_than"] is None
    asked = api.inspect_answer(demo, HEADLINE, "TextCNN", "finance", "stocks")
    assert asked["class"] == "stocks" and asked["topic"] == "finance" and asked["rather_than"] == "stocks"
    assert abs(asked["ig_delta"]) <= attribution.MAX_DELTA
    predictor = demo.predictor("TextCNN")
    change = logits(predictor, HEADLINE) - logits(predictor, HEADLINE, baseline=True)
    assert sum(asked["integrated_gradients"]) == pytest.approx(change[0] - change[2], abs=attribution.MAX_DELTA)
    assert asked["integrated_gradients"] != plain["integrated_gradients"]
    linear = api.inspect_answer(demo, HEADLINE, LINEAR, rather_than="finance")
    assert linear["topic"] == "stocks" and linear["rather_than"] == "finance" and linear["ig_delta"] is None


@pytest.mark.parametrize(
    "topic, rather_than, message",
    [
        ("crypto", "", "Unknown topic “crypto”; give one of: finance, realty, stocks"),
        ("stocks", "Finance", "Unknown topic “Finance”"),
        ("finance", "finance", "“finance” rather than itself explains nothing"),
        ("", "stocks", "“stocks” rather than itself"),  # the answer, rather than itself
    ],
)
def test_the_inspect_api_rejects_topics_it_cannot_explain_with_a_clear_message(demo, topic, rather_than, message):
    with pytest.raises(UserError, match=message):
        api.inspect_answer(demo, HEADLINE, "TextCNN", topic, rather_than)


def test_the_tool_text_describes_the_new_arguments():
    text = api.TOOL_TEXTS["inspect"]
    assert set(text.args) == {"headline", "model", "topic", "rather_than"}
    assert "rather than" in text.summary and "rather_than" in text.returns


def build(tab_type, demo, lang="en"):
    with gr.Blocks():
        return tab_type(demo, Words(lang))


def test_a_link_with_topics_opens_inside_with_them_chosen(demo):
    query = link_query("inside", HEADLINE, ["TextCNN"], "en", "finance", "stocks")
    assert "&topic=finance&rather_than=stocks" in query
    params = dict(parse_qsl(query[1:]))
    asked, topics = read_link(params, demo.model_names()), read_topics(params)
    assert topics == {"topic": "finance", "rather_than": "stocks"}
    assert read_topics({"tab": "inside"}) == {"topic": "", "rather_than": ""}
    assert len(read_topics({"topic": "长" * 999})["topic"]) == 50
    v = Visitor(
        tab="inside",
        inside_headline=asked["headline"],
        inside_model=asked["models"][0],
        looked=True,
        **topics,
    )
    tab = build(InsideTab, demo)
    out = tab.render(v)
    assert out[tab.topic]["value"] == "finance" and out[tab.rather_than]["value"] == "stocks"
    assert ("财经 finance", "finance") in out[tab.topic]["choices"] and out[tab.topic]["choices"][0] == (
        "the answer",
        "",
    )
    assert "Explaining **财经 finance** rather than **股票 stocks**" in out[tab.summary]
    assert "makes it 财经 finance" in out[tab.counterfactuals]
    # a topic the model does not answer with: a hint, and no old answer
    state = gr.State()
    wrong = answer(tab, state, v, lambda v: replace(v, topic="crypto"))
    assert "Unknown topic" in wrong[tab.hint]["value"] and wrong[state].looked is False


def test_a_headline_of_a_confusion_cell_opens_inside_with_the_cells_topics(demo):
    report = evaluate_view.evaluation_report(demo, "TextCNN")
    finance, stocks = 0, 2
    assert evaluate_view.cell_question(demo, report, finance, stocks) == ("TextCNN", "stocks", "finance")
    assert evaluate_view.cell_question(demo, report, stocks, stocks) == ("TextCNN", "stocks", "")
    ensemble = dict(report, model=ENSEMBLE)  # Inside looks inside one of its models
    assert evaluate_view.cell_question(demo, ensemble, finance, stocks)[0] in demo.registry.members(ENSEMBLE)
    assert "股票 stocks rather than 财经 finance" in evaluate_view.cell_inside_line(demo, report, finance, stocks)
    with gr.Blocks():
        words = Words("en")
        tabs = gr.Tabs()
        evaluate_tab, inside_tab, state = EvaluateTab(demo, words), InsideTab(demo, words), gr.State()
        evaluate_tab.wire(state, inside_tab, tabs)
    confusion = np.array(report["confusion"]) * (1 - np.eye(len(report["confusion"])))
    true, predicted = np.unravel_index(int(confusion.argmax()), confusion.shape)  # the most frequent mistake
    v = Visitor(evaluated=("TextCNN",), cell=(int(true), int(predicted)))
    assert "Click a headline to look inside" in evaluate_tab.render(v)[evaluate_tab.cell_message]
    rows, _ = evaluate_view.cell_headlines(demo, report, *v.cell)
    model, topic, rather_than = evaluate_view.cell_question(demo, report, *v.cell)
    opened = inside_tab.opened(state, v, rows[0][0], model, topic, rather_than)
    looked = opened[state]
    assert (looked.inside_headline, looked.topic, looked.rather_than) == (rows[0][0], topic, rather_than)
    assert looked.looked and topic != rather_than != ""
    assert f"rather than **{i18n.class_name(rather_than)}**" in opened[inside_tab.summary]


@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_the_words_exist_in_every_page_language(demo, lang):
    for key, fields in WORDS.items():
        worded = i18n.text(key, lang, **fields)
        assert worded and worded == i18n.template(key, lang).format(**fields), key
        if lang != "en":
            assert worded != i18n.text(key, "en", **fields), key
    tab = build(InsideTab, demo, lang)
    assert tab.topic.label == i18n.text("explain_topic_label", lang)
    assert tab.rather_than.label == i18n.text("rather_than_label", lang)
    assert tab.rather_than.choices[0] == (i18n.text("topic_any", lang), "")
