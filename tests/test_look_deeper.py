"""The "look deeper" views as the app shows them (cls_core.app.views), without a browser:
integrated gradients beside the other methods, counterfactuals, hidden units, the map,
slices, the attention-agreement study and the experiments."""

import threading

import numpy as np
import pytest

from cls_core.app import api
from cls_core.app.registry import ModelRegistry
from cls_core.app.service import ENSEMBLE, Demo
from cls_core.app.views import evaluate as evaluate_view
from cls_core.app.views import inside as inside_view
from cls_core.app.views.deeper import deeper
from cls_core.app.views.experiments import experiment_figures
from cls_core.app.views.inside import inside, look_inside
from cls_core.app.views.map import draw_map, numbered_headline
from cls_core.app.views.units import unit_choices, unit_view
from cls_core.app.wording import UserError
from cls_core.explain import attribution, inspection

SINGLES = ["BiLSTM-attention", "TextCNN", "Linear (TF-IDF + SVM)"]
HEADLINE = "国足3:0完胜泰国队 晋级世界杯预选赛"


@pytest.mark.parametrize("name", SINGLES)
def test_every_method_side_by_side_with_its_agreement_and_counterfactuals(demo, name):
    r = deeper(demo, HEADLINE, name)
    methods = {trace.name for trace in r["methods_plot"].data}
    expected = {"occlusion", "n-gram scores"} if name.startswith("Linear") else {"occlusion", "integrated gradients"}
    assert expected <= methods
    assert "attention" in methods if name == "BiLSTM-attention" else "attention" not in methods
    assert r["agreement"].startswith("**Do the methods agree") and " vs " in r["agreement"]
    # the reduced headline keeps the answer and is made of the headline's own characters, in order
    reduction = r["attributions"]["reduction"]
    assert r["attributions"]["class"] == "sports" and reduction["class_index"] == 7
    kept = reduction["kept"]
    assert kept == sorted(kept) and "".join(HEADLINE[i] for i in kept) == reduction["text"]
    assert "Fewest characters that keep the answer" in r["counterfactuals"]
    assert "Smallest edit that changes the answer" in r["counterfactuals"]


def test_the_smallest_flip_is_shown_as_the_edited_headline(demo):
    r = deeper(demo, "基金经理谈后市", "TextCNN", "zh-CN")
    flip = r["attributions"]["flip"]["flip"]
    assert flip is not None and flip["class_index"] != r["attributions"]["flip"]["original_class_index"]
    assert flip["text"] in r["counterfactuals"] and "改变答案的最小改动" in r["counterfactuals"]


def test_look_deeper_refuses_the_ensemble(demo):
    with pytest.raises(UserError, match="one model"):
        deeper(demo, HEADLINE, ENSEMBLE)
    with pytest.raises(UserError, match="one model"):
        look_inside(demo, HEADLINE, ENSEMBLE)


def alike(a, b):
    """a == b, floats to 1e-6 (a batch of another size sums in another order)."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(alike(a[k], b[k]) for k in a)
    return a == pytest.approx(b, abs=1e-6) if isinstance(a, float) else a == b


@pytest.mark.parametrize("name", SINGLES)
def test_one_look_inside_reuses_what_it_computed_and_gives_the_same_answer(demo, name):
    """The Inside tab's one call (integrated gradients on a second thread, on the network's
    copy; the look deeper reusing the scores the inside view computed) gives what each part
    gives computed afresh."""
    shown, looked_deeper = look_inside(demo, HEADLINE, name)
    assert shown["text"] == HEADLINE and shown["weights"] == inside(demo, HEADLINE, name)["weights"]
    afresh = deeper(demo, HEADLINE, name)["attributions"]  # nothing reused
    got = looked_deeper["attributions"]
    assert got["class"] == afresh["class"] == shown["class"] == "sports"
    assert got["scores"].keys() == afresh["scores"].keys()
    for method, scores in afresh["scores"].items():
        np.testing.assert_allclose(got["scores"][method], scores, atol=1e-4, err_msg=method)
    assert alike(got["reduction"], afresh["reduction"]) and alike(got["flip"], afresh["flip"])
    assert got["agreement"] == pytest.approx(afresh["agreement"], nan_ok=True, abs=1e-4)
    if name.startswith("Linear"):
        assert got["integrated_gradients"] is None
    else:
        # the network itself carries no hook afterwards: prediction and inspection are unchanged
        network = demo.predictor(name).model
        assert not network.embedding._forward_hooks and not network.embedding.chars._forward_hooks


def test_a_look_inside_that_fails_waits_for_its_integrated_gradients(demo, monkeypatch):
    """Integrated gradients already started on the copy finish before the look gives up its
    lock, so that the next look cannot run on the copy at the same time."""
    copy = attribution.attribution_model(demo.predictor("BiLSTM-attention").model)

    def fails(*args):
        raise RuntimeError("inside failed")

    with monkeypatch.context() as patch:
        patch.setattr(inside_view, "_inside", fails)
        with pytest.raises(RuntimeError, match="inside failed"):
            look_inside(demo, HEADLINE, "BiLSTM-attention")
    assert not copy.embedding._forward_hooks  # Captum is done with it
    _, looked_deeper = look_inside(demo, HEADLINE, "BiLSTM-attention")
    assert abs(looked_deeper["attributions"]["ig_delta"]) <= 0.05


@pytest.mark.parametrize("name", SINGLES)
def test_the_inspect_api_adds_integrated_gradients(demo, name):
    answer = api.inspect_answer(demo, HEADLINE, name)
    if name.startswith("Linear"):  # its n-gram scores are exact; no gradients to integrate
        assert answer["integrated_gradients"] is None and answer["ig_delta"] is None
        return
    assert answer["class"] == "sports" and [c for c, _ in answer["weights"]] == list(HEADLINE.replace(" ", "␣"))
    ig = answer["integrated_gradients"]
    assert len(ig) == len(answer["headline"]) == len(answer["weights"])
    assert abs(answer["ig_delta"]) <= 0.05
    assert np.isfinite(ig).all() and max(ig) > 0  # something pushes toward the answer


def test_hidden_units_ranked_tracked_and_found_in_the_test_split(demo):
    choices = unit_choices(demo, "BiLSTM-attention")
    assert len(choices) >= 10 and all(key.count("/") == 2 for _, key in choices)
    assert choices[0][0].startswith("layer ")
    track, rows = unit_view(demo, HEADLINE, "BiLSTM-attention", choices[0][1])
    assert len(track.data[0].y) == len(HEADLINE)
    test, read = demo.test_split().texts, demo.predictor("BiLSTM-attention").normalize
    assert rows and all(row[1].replace("【", "").replace("】", "") in read(test[row[0]]) for row in rows)
    activations = [float(row[2]) for row in rows]
    assert activations == sorted(activations, reverse=True)


def test_hidden_units_only_for_the_bilstm(demo):
    with pytest.raises(UserError, match="only for the BiLSTM"):
        unit_choices(demo, "TextCNN")


@pytest.mark.parametrize("name", SINGLES[:2])
def test_the_map_numbers_each_point_by_its_test_headline(demo, name):
    figure, message = draw_map(demo, name)
    n = len(demo.test_split().texts)
    points = [p for trace in figure.data[:-1] for p in trace.customdata]  # the last trace marks mistakes
    assert sorted(int(p[0]) for p in points) == list(range(n))
    index, headline = int(points[0][0]), points[0][1]
    assert numbered_headline(demo, index) == headline  # what a click opens in Inside
    assert f"{n:,} test headlines" in message


def test_the_map_is_for_the_networks(demo):
    assert demo.registry.network_names() == SINGLES[:2]
    with pytest.raises(UserError, match="neural networks"):
        draw_map(demo, "Linear (TF-IDF + SVM)")


def test_a_headline_number_out_of_range_is_a_hint(demo):
    for bad in (-1, 10**6, "abc", None):
        with pytest.raises(UserError, match="between 0 and"):
            numbered_headline(demo, bad)


def test_slices_cover_the_models_a_visitor_evaluated(demo):
    fresh = Demo(demo.registry, demo.data_dir)
    assert evaluate_view.slices(fresh, ()) == (None, None)  # nothing evaluated yet
    evaluated = ("TextCNN", "Linear (TF-IDF + SVM)")
    by_length, by_unknown = evaluate_view.slices(fresh, evaluated)
    assert [t.name for t in by_length.data] == ["TextCNN", "Linear (TF-IDF + SVM)"]
    assert sum(by_length.data[0].customdata) == len(fresh.test_split().texts)
    assert len(by_unknown.data) == 2
    by_length, _ = evaluate_view.slices(fresh, evaluated, "zh-CN")  # the legend names the models as the page does
    assert [t.name for t in by_length.data] == ["TextCNN", "线性模型（TF-IDF + SVM）"]
    # another visitor who evaluated one model sees that one only, though both reports are kept
    assert [t.name for t in evaluate_view.slices(fresh, ("TextCNN",))[0].data] == ["TextCNN"]


def test_attention_agreement_for_each_network(demo):
    seen = []
    figure, rows = evaluate_view.attention_agreement(demo, sample=20, progress=lambda f, model: seen.append((f, model)))
    assert seen == [(0.0, "BiLSTM-attention"), (0.5, "TextCNN")]
    models = {row[0] for row in rows}
    assert models == {"BiLSTM-attention", "TextCNN"}  # the linear model's scores are exact: nothing to compare
    assert all(-1 <= float(row[2]) <= 1 and -1 <= float(row[3]) <= 1 and 0 < row[4] <= 20 for row in rows)
    assert "attention vs occlusion" in {row[1] for row in rows if row[0] == "BiLSTM-attention"}
    assert [bar.name for bar in figure.data] == SINGLES[:2]  # a bar per model and pair of methods
    assert [len(bar.y) for bar in figure.data] == [sum(row[0] == m for row in rows) for m in SINGLES[:2]]
    _, rows = evaluate_view.attention_agreement(demo, "zh-CN", sample=20)  # cached now; worded in Chinese
    assert "注意力 vs 遮挡" in {row[1] for row in rows}


def test_experiments_are_shown_from_the_shipped_results(demo, tmp_path):
    figures = experiment_figures(demo)
    assert set(figures) == {"cells", "pad_size", "batch_size", "gradients_trained", "gradients_init"}
    assert {t.name for t in figures["cells"].data} == {"bidirectional", "unidirectional"}
    not_run = Demo(ModelRegistry(demo.models, tmp_path), demo.data_dir)
    assert experiment_figures(not_run) is None  # the tab says how to run them


def test_one_request_at_a_time_runs_a_network(demo):
    """Integrated gradients put hooks on the embedding while they run; an inspection running
    meanwhile would read hooked outputs. The model's lock keeps them apart."""
    done = threading.Event()
    with demo.registry.lock("TextCNN").quick():
        worker = threading.Thread(target=lambda: (inside(demo, HEADLINE, "TextCNN"), done.set()))
        worker.start()
        assert not done.wait(1.0)  # waits for the lock
    worker.join(60)
    assert done.is_set()


def test_a_filter_that_fires_nowhere_wins_no_ngram(demo):
    predictor = demo.predictor("TextCNN")
    r = inspection.inspect_textcnn(predictor, "国足3:0完胜泰国队")
    out = predictor.model.inspect(*inspection._single_batch(predictor, "国足3:0完胜泰国队"))
    for window, raw in zip(r["windows"], out["windows"]):
        assert sum(s["filters"] for s in window["spans"]) == int((raw["value"][0] > 0).sum())
