"""The app's API (gradio_client, or plain HTTP): /predict, /inspect and /evaluate answer
with plain JSON, English class names and stable reason codes, whatever the page's language;
/flag keeps a visitor's correction and answers with its record's id; /models lists the
models served. A model of your own is named NAME/MODEL and answers with its own labels."""

from cls_core.app.views.evaluate import evaluation_report
from cls_core.app.views.inside import inspect_with_gradients
from cls_core.app.views.overview import sources_of
from cls_core.app.views.predict import predict
from cls_core.app.wording import UserError

REPORT_FIELDS = ("model", "headlines", "accuracy", "macro_f1", "ece", "nll", "confusion")


def predict_answer(demo, headline, model, top_k=5):
    """/predict: the top classes with calibrated probabilities, and the verdict."""
    headline, notice, results = predict(demo, headline, [model], top_k)
    top, ms, verdict = results[model]
    return {
        "headline": headline,
        "notice": notice,
        "model": model,
        "top": top,
        "milliseconds": ms,
        "read_as": verdict["read_as"],
        "unsure": verdict["unsure"],
        "reason": verdict["reason"],
        "unknown_share": verdict["unknown_share"],
    }


def inspect_answer(demo, headline, model):
    """/inspect: per-character weights and occlusion, and for a network integrated
    gradients (one float per character of the text as read) with Captum's convergence
    delta (in logits); both None for the linear model, whose n-gram scores are exact."""
    r, ig = inspect_with_gradients(demo, headline, model)
    return {
        "headline": r["text"],
        "class": r["class"],
        "probability": r["probability"],
        "weights": r["weights"],
        "occlusion": r["occlusion"],
        "integrated_gradients": None if ig is None else [round(float(v), 5) for v in ig["scores"]],
        "ig_delta": None if ig is None else ig["ig_delta"],
    }


def evaluate_answer(demo, model):
    """/evaluate: accuracy, macro-F1, ECE, NLL and the confusion matrix on the model's test
    split (its own, models/NAME/test.tsv, for a model of yours)."""
    report = evaluation_report(demo, model)
    return {k: report[k] for k in REPORT_FIELDS}


def models_answer(demo):
    """/models: [{"name", "classes", "kind", "folder", "sources"}] of every model served,
    ensembles included (kind "ensemble"); folder is None for the shipped ones; sources: what
    it learned from ({"data", "headlines", "weight"}, an ensemble its members')."""
    registry = demo.registry
    out = []
    for name in registry.names():
        predictor = registry.predictor(name)
        sources = {}
        for member in registry.members(name):
            for source in sources_of(registry.predictor(member)):
                sources.setdefault(source["data"], source)
        out.append(
            {
                "name": name,
                "classes": list(predictor.classes),
                "kind": predictor.kind,
                "folder": registry.folder_of(name),
                "sources": list(sources.values()),
            }
        )
    return out


def flag_answer(demo, headline, model, topic, session=None):
    """/flag: keep "model's answer to headline is wrong, it is topic" (a class name as in
    class.txt, or the topic as the page shows it in any language); (record id, Correction).
    `session` (the Gradio session hash) is only counted, in memory, for the rate limit."""
    if demo.corrections is None:
        raise UserError("error_feedback_off")
    return demo.corrections.flag(demo, headline, model, topic, session)
