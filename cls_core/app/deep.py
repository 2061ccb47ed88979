"""What the "look deeper" views answer for one model, without the app: one function per
view, each returning plain values and plotly figures (cls_core.app.deep_figures); the tabs'
views (cls_core.app.views) add the app's locks, gates and wording.

- `attributions(predictor, text)`          Inside: integrated gradients beside attention,
                                           occlusion and n-gram scores, their agreement,
                                           input reduction and the smallest flipping edit
- `agreement_view(summaries)`              Evaluate: "does attention explain the prediction?"
- `units_view(predictor, data_dir, ...)`   Hidden units: ranked units, a unit's track, its contexts
- `map_view(predictor, data_dir)`          The map of the test split
- `slices_view(predictors, reports)`       Evaluate: accuracy by length and unknown characters
- `experiments_view(path)`                 Experiments: checkpoints/experiments.json as figures

`python -m cls_core.bench --deep` times one full "look inside" as the app does it.
"""

import json
from concurrent.futures import Future
from pathlib import Path

import numpy as np

from cls_core.app import deep_figures
from cls_core.app.wording import UserError, pair_label
from cls_core.evaluation import slices
from cls_core.explain import attribution, counterfactual, projection, units

TOPIC_MAX_CHARS = 50  # of a topic named in an error message


def asked_topics(topic="", rather_than=""):
    """(topic, rather_than) as asked, each a class name or "" (the answer; none): the part
    of a question's key (demo.recent) that says what is explained."""
    return (topic or "").strip(), (rather_than or "").strip()


def topic_indices(predictor, topic="", rather_than=""):
    """(class index or None, class index or None) of the topics chosen by class name ("":
    the answer, and none); UserError for a name the model does not answer with, and for a
    topic compared with itself."""

    def index(name):
        if not name:
            return None
        if name not in predictor.classes:
            raise UserError("error_unknown_topic", topic=name[:TOPIC_MAX_CHARS], topics=", ".join(predictor.classes))
        return predictor.classes.index(name)

    t, r = (index(name) for name in asked_topics(topic, rather_than))
    if r is not None and r == t:
        raise UserError("error_same_topics", topic=predictor.classes[r])
    return t, r


def check_contrast(predictor, explained, rather_than):
    """UserError when the topic explained (the answer, when none was chosen) is the one it
    is to be compared with: nothing tells a topic from itself."""
    if rather_than is not None and explained == rather_than:
        raise UserError("error_same_topics", topic=predictor.classes[explained])


def attributions(predictor, text, lang="en", inside=None, ig=None, topic=None, rather_than=None):
    """{"chars", "class", "integrated_gradients", "ig_delta", "scores" {method: per char},
    "agreement" {"A vs B": rho}, "methods_plot", "reduction", "flip"} for one headline; with a
    topic chosen, "topic" and "rather_than" (class names) too.

    inside: what views.inside.inside returned for the same headline and model; what it
    computed (its "method_scores": occlusion, attention or n-gram scores, the headline
    without each character) is not computed again. ig: attribution.integrated_gradients for
    the text, or a Future of it (views.inside.look_inside computes it on another thread);
    the flip search, which does not need it, runs before it is awaited. topic, rather_than:
    class indices (None: the answer, and none): the methods explain the topic's logit, or
    logit(topic) - logit(rather_than); the flip search looks for the smallest edit that makes
    the answer the one of the two it is not; the reduction keeps the answer either way."""
    known = (inside or {}).get("method_scores")
    same = known is not None and list(known["chars"]) == list(predictor.read_as(text))
    probs = known["probabilities"] if same else predictor.predict_proba([text])[0]
    answer = int(np.argmax(probs))
    explained = answer if topic is None else topic
    check_contrast(predictor, explained, rather_than)
    to = rather_than if explained == answer else explained  # None: any other topic
    flip = counterfactual.smallest_flip(predictor, text, known=known, to=to)
    if isinstance(ig, Future):
        ig = ig.result()
    scored = attribution.method_scores(predictor, text, ig=ig, known=known, topic=explained, rather_than=rather_than)
    ig_scores = scored["scores"].get("integrated_gradients")
    # the reduction drops the characters that matter least to the answer first
    if explained == answer and rather_than is None:
        importance = ig_scores if ig_scores is not None else scored["scores"]["occlusion"]
    elif same and known.get("deletions") is not None:
        importance = probs[answer] - np.asarray(known["deletions"])[:, answer]  # occlusion of the answer
    else:
        importance = None  # input_reduction measures it
    out = {
        "chars": scored["chars"],
        "class": predictor.classes[answer],
        "integrated_gradients": None if ig_scores is None else [round(float(v), 5) for v in ig_scores],
        "ig_delta": scored["ig_delta"],
        "scores": scored["scores"],
        "agreement": attribution.agreement(scored, predictor.kind),
        "methods_plot": deep_figures.methods_chart(scored["chars"], scored["scores"], lang),
        "reduction": counterfactual.input_reduction(predictor, text, importance),
        "flip": flip,
    }
    if topic is not None or rather_than is not None:
        out["topic"] = predictor.classes[explained]
        out["rather_than"] = None if rather_than is None else predictor.classes[rather_than]
    return out


def agreement_view(summaries, lang="en"):
    """summaries: {model name: attribution.cached_agreement result}. {"figure", "rows":
    [model, method pair, mean ρ, median ρ, headlines]} in lang."""
    rows = [
        [name, pair_label(pair, lang), f"{v['mean']:+.3f}", f"{v['median']:+.3f}", v["n"]]
        for name, s in summaries.items()
        for pair, v in s["pairs"].items()
    ]
    return {"figure": deep_figures.agreement_chart(summaries, lang), "rows": rows}


def units_view(predictor, data_dir, text=None, layer=None, direction=None, unit=None, k=10, lang="en"):
    """{"units" (most topic-specific first), "unit" (layer, direction, unit), "contexts",
    "track_plot" (None without a text)}; without a unit, the most specific one."""
    index = units.unit_index(predictor, data_dir)
    ranked = units.ranked_units(index)
    if unit is None:
        layer, direction, unit = ranked[0]["layer"], ranked[0]["direction"], ranked[0]["unit"]
    out = {
        "units": ranked,
        "unit": (int(layer), direction, int(unit)),
        "contexts": units.unit_contexts(index, layer, direction, unit, k),
        "track_plot": None,
    }
    if text:
        track = units.unit_track(predictor, text, layer, direction, unit)
        out["track_plot"] = deep_figures.unit_track_chart(track["chars"], track["values"], layer, direction, unit, lang)
        out["track"] = track
    return out


def map_view(predictor, data_dir, method="tsne", lang="en", progress=None):
    """{"figure" (a point's customdata[0]: its test headline number), "texts", "seconds"};
    progress(fraction, stage) while a map is built (projection.STAGES), never when it is read."""
    points = projection.test_map(predictor, data_dir, method, progress)
    return {
        "figure": deep_figures.projection_scatter(points, method, lang),
        "texts": points["texts"],
        "seconds": float(points["seconds"]),
    }


def slices_view(predictors, reports, lang="en"):
    """predictors, reports: {model name: Predictor, evaluate report}; figures by length and
    by unknown share, and the numbers behind them."""
    results = {name: slices.accuracy_slices(predictors[name], reports[name]["predictions"]) for name in reports}
    return {
        "slices": results,
        "length_plot": deep_figures.slices_chart(results, "length", lang),
        "unknown_plot": deep_figures.slices_chart(results, "unknown_share", lang),
    }


def experiments_view(path="checkpoints/experiments.json", lang="en"):
    """{"results", "figures"}, or None when the experiments have not been run."""
    path = Path(path)
    if not path.exists():
        return None
    results = json.loads(path.read_text(encoding="utf-8"))
    return {"results": results, "figures": deep_figures.experiments_figures(results, lang)}
