"""The Predict tab: each chosen model's answer side by side, a random test headline with its
true label, and a file of headlines predicted at once."""

import random
import time

import numpy as np

from cls_core.app.batch import predict_file
from cls_core.app.i18n import class_name, text
from cls_core.app.inputs import clean_headline
from cls_core.app.wording import UserError, model_label, read_as_notice, verdict_text


def predict(demo, headline, names, top_k=5, lang="en"):
    """(headline as cleaned, notice, results): for each model name, ({class as the page names
    it: probability} for the top_k, milliseconds, assessment dict with read_as,
    unknown_share, unsure and reason)."""
    if not names:
        raise UserError("error_choose_model")
    headline, notice = clean_headline(headline, lang)
    results = {}
    for name in names:
        probs, assessment, ms = model_answer(demo, name, headline)
        top = np.argsort(-probs[0])[: max(1, min(int(top_k), probs.shape[1]))]
        results[name] = (
            {class_name(demo.predictor(name).classes[i], lang): float(probs[0, i]) for i in top},
            ms,
            assessment.as_dict(),
        )
    return headline, notice, results


def model_answer(demo, name, headline):
    """(probabilities [1, C], assessment, milliseconds) of one model for one cleaned headline,
    computed once and kept a while (a correction of an answer just shown reuses it)."""
    predictor = demo.predictor(name)  # one model throughout: the key names its checkpoint
    return demo.recent.get(("predict", (name, predictor.sha256), headline), lambda: _answer(predictor, headline))


def _answer(predictor, headline):
    start = time.perf_counter()
    probs, (assessment,) = predictor.predict_assessed([headline])
    return probs, assessment, (time.perf_counter() - start) * 1000


def answer_panels(headline, notice, results, lang="en"):
    """(note markdown, [(panel label, top classes)]): each model's answer with its verdict."""
    notes = [text("note", lang, text=n) for n in (notice, read_as_notice(headline, results, lang)) if n]
    panels = [
        (text("panel_label", lang, model=model_label(name, lang), verdict=verdict_text(verdict, lang), ms=ms), top)
        for name, (top, ms, verdict) in results.items()
    ]
    return "  \n".join(notes), panels


def truth_line(true_class, results, lang="en", judged=None):
    """'True label: 体育 — TextCNN: ✓ right; …' for a test headline's answers, by the models
    named in judged (default all; a model of another label set cannot be right or wrong)."""
    truth = class_name(true_class, lang)
    verdicts = [
        text("right", lang, model=model_label(name, lang))
        if next(iter(top)) == truth
        else text("wrong", lang, model=model_label(name, lang), guess=next(iter(top)))
        for name, (top, _, _) in results.items()
        if judged is None or name in judged
    ]
    return text("true_label", lang, truth=truth, verdicts=text("list_separator", lang).join(verdicts))


def random_test_headline(demo, seed=None, name=None):
    """(headline, its true class) drawn from model name's test split (THUCNews's without one)."""
    test = demo.test_split(name)
    i = random.Random(seed).randrange(len(test))
    return test.texts[i], test.classes[test.labels[i]]


def predict_batch(demo, path, names, lang="en"):
    """The BatchResult (cls_core.app.batch) of an uploaded file predicted with the chosen
    models, its CSV worded in lang; batch_message says what was done."""
    if path is None:
        raise UserError("error_upload_first")
    if not names:
        raise UserError("error_choose_model")
    return predict_file(demo.registry, path, demo.downloads, names, lang)


def batch_message(headlines, skipped, names, lang="en"):
    """What a batch prediction did, in words."""
    models = ", ".join(model_label(m, lang) for m in names)
    done = text("batch_done", lang, n=headlines, models=models)
    return done + (" " + text("batch_skipped", lang, n=skipped) if skipped else "")
