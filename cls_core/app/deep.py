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

from cls_core.app import deep_figures
from cls_core.app.wording import pair_label
from cls_core.evaluation import slices
from cls_core.explain import attribution, counterfactual, projection, units


def attributions(predictor, text, lang="en", inside=None, ig=None):
    """{"chars", "class", "integrated_gradients", "ig_delta", "scores" {method: per char},
    "agreement" {"A vs B": rho}, "methods_plot", "reduction", "flip"} for one headline.

    inside: what views.inside.inside returned for the same headline and model; what it
    computed (its "method_scores": occlusion, attention or n-gram scores, the headline
    without each character) is not computed again. ig: attribution.integrated_gradients for
    the text, or a Future of it (views.inside.look_inside computes it on another thread);
    the flip search, which does not need it, runs before it is awaited."""
    known = (inside or {}).get("method_scores")
    flip = counterfactual.smallest_flip(predictor, text, known=known)
    if isinstance(ig, Future):
        ig = ig.result()
    scored = attribution.method_scores(predictor, text, ig=ig, known=known)
    c = scored["class_index"]
    ig_scores = scored["scores"].get("integrated_gradients")
    # the least important characters go first: integrated gradients where there are some
    importance = ig_scores if ig_scores is not None else scored["scores"]["occlusion"]
    return {
        "chars": scored["chars"],
        "class": predictor.classes[c],
        "integrated_gradients": None if ig_scores is None else [round(float(v), 5) for v in ig_scores],
        "ig_delta": scored["ig_delta"],
        "scores": scored["scores"],
        "agreement": attribution.agreement(scored, predictor.kind),
        "methods_plot": deep_figures.methods_chart(scored["chars"], scored["scores"], lang),
        "reduction": counterfactual.input_reduction(predictor, text, importance),
        "flip": flip,
    }


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
