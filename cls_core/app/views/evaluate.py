"""Evaluate: a model's report on the whole test split (computed once, then kept), its
confusion matrix with the headlines behind each cell, calibration and coverage, accuracy by
slices, where the models disagree, and whether attention explains the predictions.

Each model is measured on its own test split with its own label names: the shipped models
on THUCNews's, a model of your own on models/NAME/test.tsv (Demo.test_file)."""

import numpy as np
import pandas as pd

from cls_core.app import deep, figures
from cls_core.app.evaluations import report_key
from cls_core.app.i18n import class_name, text
from cls_core.app.inputs import SpreadsheetWriter
from cls_core.app.wording import UserError, model_label
from cls_core.evaluation.evaluate import evaluate
from cls_core.explain import attribution


def evaluation_report(demo, name, progress=None, test_set="test"):
    """The full report of a model on a test set (cls_core.evaluation.evaluate, plus "model" and
    "test_set"): its test split, or test_set "outlet", an outlet it never trained on. Computed
    once per checkpoint files and test file; progress(fraction) while scoring."""
    predictor = demo.predictor(name)  # an unknown name stops here, before any file is read
    test = demo.test_split(name, test_set)
    members = demo.registry.members(name)
    key = report_key([demo.predictor(m).path for m in members], demo.test_file(name, test_set).path)

    def score():
        with demo.gates.evaluate():
            report = evaluate(predictor, test, progress=progress)
        return dict(report, model=name, test_set=test_set)

    return demo.evaluations.get(key, score)


def evaluation_summary(report, lang="en"):
    key = "eval_summary_outlet" if report.get("test_set") == "outlet" else "eval_summary"
    return text(
        key,
        lang,
        model=model_label(report["model"], lang),
        n=report["headlines"],
        acc=report["accuracy"],
        f1=report["macro_f1"],
        ece=report["ece"]["after"],
        seconds=report["seconds"],
    )


def per_class_rows(report, lang="en"):
    """[class, precision, recall, F1, support] per class, shares in per cent."""
    return [
        [class_name(r["class"], lang), f"{r['precision']:.1%}", f"{r['recall']:.1%}", f"{r['f1']:.1%}", r["support"]]
        for r in report["per_class"]
    ]


def confusion_table(demo, report, normalize=False, lang="en"):
    """The confusion matrix as a table coloured like a heatmap (a pandas Styler): rows are
    true classes, columns predictions; counts, or each row's shares in per cent."""
    counts = np.asarray(report["confusion"], dtype=float)
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    names = [class_name(c, lang) for c in demo.classes_of(report["model"])]
    cells = [[f"{s:.0%}" for s in row] for row in shares] if normalize else counts.astype(int).tolist()
    frame = pd.DataFrame([[n] + row for n, row in zip(names, cells)], columns=[text("confusion_corner", lang)] + names)
    colours = [[""] + [figures.heat_css(s) for s in row] for row in shares]
    return frame.style.apply(lambda _: pd.DataFrame(colours, columns=frame.columns), axis=None)


def cell_headlines(demo, report, true_index, predicted_index, lang="en", limit=200):
    """(rows, message) for one confusion cell: its headlines, most confident first (for
    mistakes: the most confident mistakes first)."""
    rows = [r for r in report["predictions"] if r["label"] == true_index and r["predicted"] == predicted_index]
    rows.sort(key=lambda r: -r["probability"])
    classes = demo.classes_of(report["model"])
    true_name, predicted_name = (class_name(classes[i], lang) for i in (true_index, predicted_index))
    table = [[r["text"], true_name, predicted_name, f"{r['probability']:.1%}"] for r in rows[:limit]]
    kind = text("cell_correct" if true_index == predicted_index else "cell_mistakes", lang)
    return table, text("cell_message", lang, total=len(rows), true=true_name, predicted=predicted_name, kind=kind)


def cell_question(demo, report, true_index, predicted_index):
    """(model, topic, rather_than) that Inside looks at a headline of one confusion cell with:
    the model evaluated (an ensemble's first member: Inside looks inside one model), why the
    predicted topic rather than the true one (rather_than "" on the diagonal: no mistake)."""
    classes = demo.classes_of(report["model"])
    rather_than = classes[true_index] if true_index != predicted_index else ""
    return demo.registry.members(report["model"])[0], classes[predicted_index], rather_than


def cell_inside_line(demo, report, true_index, predicted_index, lang="en"):
    """The line under a cell's headlines that says a click opens one in Inside, and what it explains."""
    _, topic, rather_than = cell_question(demo, report, true_index, predicted_index)
    what = class_name(topic, lang)
    if rather_than:
        what = text("contrast_name", lang, cls=what, other=class_name(rather_than, lang))
    return text("cell_open_inside", lang, what=what)


def coverage_curves(demo, names, lang="en", test_set="test"):
    """{model as the page names it: (coverage rows, chosen threshold's row)} for the models
    named (those one visitor evaluated: their reports are computed already)."""
    reports = [evaluation_report(demo, n, test_set=test_set) for n in names]
    return {model_label(r["model"], lang): (r["coverage"], r["at_threshold"]) for r in reports}


def predictions_csv(demo, report):
    """A CSV of every test headline with its true and predicted class; returns its path."""
    classes = demo.classes_of(report["model"])
    target = demo.downloads.new_path("test_predictions.csv")
    with open(target, "w", encoding="utf-8-sig", newline="") as f:
        writer = SpreadsheetWriter(f)
        writer.writerow(["headline", "true", "predicted", "probability", "correct"])
        for r in report["predictions"]:
            writer.writerow(
                [
                    r["text"],
                    classes[r["label"]],
                    classes[r["predicted"]],
                    f"{r['probability']:.4f}",
                    r["label"] == r["predicted"],
                ]
            )
    return target


def disagreements(demo, limit=200, lang="en", name=None, test_set="test"):
    """(the single models, rows, how many in all): test headlines on which the single models
    of one label set disagree (those beside model `name`; default the shipped ones), each
    with its true class and every model's answer."""
    names = demo.registry.singles_beside(name)
    if not names:
        raise UserError("error_not_loaded", name=repr(name))
    reports = [evaluation_report(demo, n, test_set=test_set) for n in names]
    classes = demo.classes_of(names[0])
    rows = []
    for i, base in enumerate(reports[0]["predictions"]):
        answers = [r["predictions"][i]["predicted"] for r in reports]
        if len(set(answers)) > 1:
            rows.append(
                [base["text"], class_name(classes[base["label"]], lang)]
                + [class_name(classes[a], lang) + (" ✓" if a == base["label"] else " ✗") for a in answers]
            )
    return names, rows[:limit], len(rows)


def slices(demo, names, lang="en", test_set="test"):
    """(by length, by unknown share): accuracy figures for the single models named (those one
    visitor evaluated; (None, None) without any)."""
    singles = tuple(n for n in names if n in demo.models)  # no ensemble
    if not singles:
        return None, None
    key = ("slices", tuple(demo.registry.identity(n) for n in singles), lang, test_set)
    return demo.recent.get(key, lambda: _slices(demo, singles, lang, test_set))


def _slices(demo, singles, lang, test_set):
    reports = {n: evaluation_report(demo, n, test_set=test_set) for n in singles}
    labels = {n: model_label(n, lang) for n in reports}  # the plots' legend, in the visitor's language
    view = deep.slices_view(
        {labels[n]: demo.predictor(n) for n in reports}, {labels[n]: r for n, r in reports.items()}, lang
    )
    return view["length_plot"], view["unknown_plot"]


def attention_agreement(demo, lang="en", progress=None, sample=attribution.SAMPLE):
    """(figure, rows) of "Does attention explain the prediction?": the methods' rank
    agreement over a sample of the test split, per network (computed once per checkpoint,
    then cached on disk), each over its own test split; progress(fraction, model) before
    each network."""
    networks = demo.registry.network_names()
    summaries = {}
    for i, name in enumerate(networks):
        demo.test_split(name)  # one that cannot be read says so (UserError) before the cache looks for it
        if progress:
            progress(i / len(networks), model_label(name, lang))
        with demo.gates.evaluate(), demo.registry.lock(name).long():
            summaries[model_label(name, lang)] = attribution.cached_agreement(
                demo.predictor(name), demo.test_file(name), sample
            )
    view = deep.agreement_view(summaries, lang)
    return view["figure"], view["rows"]
