"""The report's story in one language: its sections in order, each a list of blocks
(Markdown prose, a figure with the command that reproduces it, a table), gathered from the
shipped records (cls_core.app.report.record) with the app's own figures
(cls_core.app.figures, cls_core.app.deep_figures) and wording.

    story = tell(Records.load(), "zh-CN")
    [section.title for section in story]

Nothing here runs a model: every number comes from a record, and every figure is drawn from
those numbers.
"""

from dataclasses import dataclass, field

import numpy as np

from cls_core.app import deep_figures, figures
from cls_core.app.i18n import class_name, text
from cls_core.app.report.record import CHECKPOINT_FILES, RECORD_COMMAND
from cls_core.app.report.words import say
from cls_core.app.wording import (
    ENSEMBLE,
    agreement_text,
    attention_note,
    counterfactual_text,
    markdown_literal,
    model_label,
    outlet_line,
)
from cls_core.data import load_split
from cls_core.data.splits import DEMO_DATA_DIR

REPORT_COMMAND = "python -m cls_core.report --lang {lang} --out report.html"
FOCUS = ENSEMBLE  # the model whose matrix, calibration and mistakes are shown
PUBLISHED_TRAIN, TRAIN = 180_000, 45_000  # training headlines: the reference project's, ours
EVALUATE_ALL = (
    "python -m cls_core.evaluate --checkpoint checkpoints/bilstm_att.pt "
    "--checkpoint checkpoints/textcnn.pt --checkpoint checkpoints/linear.npz"
)
OUTLETS_COMMAND = "python -m cls_core.evaluation.outlets report --json checkpoints/outlets.json"
ROBUSTNESS_COMMAND = "python -m cls_core.evaluation.robustness --write --json checkpoints/robustness.json"
AGREEMENT_COMMAND = "python -m cls_core.explain.shipped"
EXPERIMENTS_COMMAND = "python -m cls_core.training.experiments"
CONFUSIONS, EXAMPLES_PER_CONFUSION = 5, 2


@dataclass
class Figure:
    figure: object  # a plotly figure
    command: str  # the command that reproduces its numbers


@dataclass
class Table:
    headers: list
    rows: list


@dataclass
class Section:
    key: str  # the anchor of the section in the page
    title: str
    blocks: list = field(default_factory=list)  # Markdown strings, Figure and Table objects


def tell(records, lang="en"):
    """The report's sections, in order, in lang."""
    test = load_split(DEMO_DATA_DIR, "test")
    sections = [
        what_and_for_whom(records, lang),
        accuracy(records, lang),
        per_class(records, test, lang),
        calibration(records, lang),
        robustness(records, lang),
        slices(records, lang),
        attention(records, lang),
        worked_examples(records, lang),
        experiments(records, lang),
        limitations(records, test, lang),
        reproduce(lang),
    ]
    return [s for s in sections if s is not None]


def _models(records):
    """The models measured, as the page names them: the three, then the ensemble."""
    return list(records.measured["models"])


def what_and_for_whom(records, lang):
    classes = (
        "、".join(class_name(c, lang) for c in records.classes)
        if lang != "en"
        else ", ".join(class_name(c, lang) for c in records.classes)
    )
    warnings = [say("stale", lang, problem=p) for p in records.problems]
    return Section("what", say("h_what", lang), warnings + [say("what", lang, classes=classes)])


def accuracy(records, lang):
    models = _models(records)
    rows = []
    for name in models:
        test = records.metrics[name]["test"]
        parameters = records.metrics[name].get("parameters")
        rows.append(
            [
                model_label(name, lang),
                f"{test['accuracy']:.2%}",
                f"{test['macro_f1']:.2%}",
                f"{test['ece']['after']:.2%} ({test['ece']['before']:.2%})",
                f"{parameters / 1e6:.2f} M" if parameters else "—",
            ]
        )
    bars = [
        (text("reference_name", lang, model=m), acc, text("published_note", lang), False)
        for m, acc in records.measured["published_reference"]
    ]
    bars += [(model_label(n, lang), records.test_accuracy(n), text("ours_note", lang), True) for n in models]
    linear, cnn, rnn = (records.test_accuracy(n) for n in ("Linear (TF-IDF + SVM)", "TextCNN", "BiLSTM-attention"))
    prose = say(
        "accuracy",
        lang,
        n=records.metrics[models[0]]["test"]["headlines"],
        train=TRAIN,
        reference_train=PUBLISHED_TRAIN,
        cnn_gain=100 * (cnn - linear),
        rnn_gain=100 * (rnn - linear),
    )
    headers = [say(k, lang) for k in ("col_model", "col_accuracy", "col_macro_f1", "col_ece", "col_parameters")]
    figure = figures.accuracy_bars(bars, text("title_accuracy", lang), lang=lang)
    commands = "; ".join(f"python -m cls_core.evaluate --checkpoint checkpoints/{f}" for f in CHECKPOINT_FILES.values())
    return Section(
        "accuracy",
        say("h_accuracy", lang),
        [prose, Table(headers, rows), Figure(figure, f"{commands}; {EVALUATE_ALL}")] + other_outlets(records, lang),
    )


def other_outlets(records, lang):
    """In plain words, each model on THUCNews' own test beside an outlet it never learned from
    (outlets.json), with what "unsure" buys on each; [] without the record."""
    lines = []
    for name in _models(records):
        if row := records.outlets_of(name):
            lines.append(outlet_line(model_label(name, lang), row, lang))
    if not lines:
        return []
    return [
        text("outlet_intro", lang)
        + "\n\n"
        + "\n".join(lines)
        + f"\n\n{say('reproduce', lang, command=OUTLETS_COMMAND)}"
    ]


def per_class(records, test, lang):
    measured = records.measured["models"]
    f1 = {model_label(n, lang): [row["f1"] for row in r["per_class"]] for n, r in measured.items()}
    bars = figures.per_class_bars(f1, records.classes, say("title_f1", lang), "F1", lang)
    focus = model_label(FOCUS, lang)
    matrix = figures.confusion_heatmap(
        measured[FOCUS]["confusion"],
        records.classes,
        say("title_confusion", lang, model=focus),
        say("axis_true", lang),
        say("axis_predicted", lang),
        lang,
    )
    blocks = [
        say("classes", lang, model=focus),
        Figure(bars, RECORD_COMMAND),
        Figure(matrix, EVALUATE_ALL),
        f"#### {say('h_confusions', lang)}",
        confusion_examples(records, test, lang),
    ]
    return Section("classes", say("h_classes", lang), blocks)


def confusion_examples(records, test, lang):
    """The focus model's most frequent confusions, each with its most confident mistakes."""
    r = records.measured["models"][FOCUS]
    counts = np.array(r["confusion"])
    np.fill_diagonal(counts, 0)
    predicted, probability, labels = np.array(r["predicted"]), np.array(r["probability"]), np.array(records.labels)
    lines = []
    for flat in np.argsort(-counts, axis=None)[:CONFUSIONS]:
        t, p = np.unravel_index(flat, counts.shape)
        cell = np.flatnonzero((labels == t) & (predicted == p))
        cell = cell[np.argsort(-probability[cell])][:EXAMPLES_PER_CONFUSION]
        lines.append(
            "- "
            + say(
                "confusion_line",
                lang,
                true=class_name(records.classes[t], lang),
                predicted=class_name(records.classes[p], lang),
                count=int(counts[t, p]),
            )
        )
        lines += [
            "  - " + say("confusion_example", lang, text=markdown_literal(test.texts[i]), p=probability[i])
            for i in cell
        ]
    return "\n".join(lines)


def calibration(records, lang):
    measured = records.measured["models"]
    focus = measured[FOCUS]
    unsure = records.robustness_of(FOCUS)["unsure"]
    curves = {model_label(n, lang): (r["coverage"], r["at_threshold"]) for n, r in measured.items()}
    blocks = [
        say(
            "calibration",
            lang,
            model=model_label(FOCUS, lang),
            ece=focus["ece"]["after"],
            ece_before=focus["ece"]["before"],
        ),
        Figure(figures.reliability_diagram(focus["reliability"], lang), EVALUATE_ALL),
        say(
            "unsure",
            lang,
            model=model_label(FOCUS, lang),
            flagged=unsure["flagged"],
            answered=unsure["accuracy_answered"],
            all=unsure["accuracy_all"],
            wrong_flagged=unsure["accuracy_flagged"],
        ),
        Figure(figures.coverage_chart(curves, lang), RECORD_COMMAND),
    ]
    return Section("calibration", say("h_calibration", lang), blocks)


def robustness(records, lang):
    variants = ["test", "s2twp", "s2hk", "unseen15", "today"]
    rows = {
        model_label(n, lang): {v: records.robustness_of(n).get(v) for v in variants}
        for n in _models(records)
        if records.robustness_of(n)
    }
    if not rows:
        return None
    labelled = [(v, say(f"variant_{v}", lang)) for v in variants]
    script_loss = max(r[k] for r in records.robustness.values() for k in ("s2twp_loss_points", "s2hk_loss_points"))
    today_loss = [100 * (r["test"] - r["today"]) for r in records.robustness.values() if r.get("today") is not None]
    prose = say(
        "robustness",
        lang,
        today=next(iter(records.robustness.values())).get("today_headlines", 0),
        worst_script=script_loss,
        today_loss=min(today_loss),
        today_loss_max=max(today_loss),
    )
    figure = figures.variant_bars(rows, labelled, say("title_robustness", lang), lang)
    return Section("robustness", say("h_robustness", lang), [prose, Figure(figure, ROBUSTNESS_COMMAND)])


def slices(records, lang):
    results = {model_label(n, lang): r["slices"] for n, r in records.measured["models"].items() if "slices" in r}
    bilstm = records.measured["models"]["BiLSTM-attention"]["slices"]
    prose = say(
        "slices",
        lang,
        model=model_label("BiLSTM-attention", lang),
        short=bilstm["length"][0]["accuracy"],
        long=bilstm["length"][-1]["accuracy"],
        unknown=bilstm["unknown_share"][-1]["accuracy"],
        unknown_n=bilstm["unknown_share"][-1]["headlines"],
    )
    return Section(
        "slices",
        say("h_slices", lang),
        [
            prose,
            Figure(deep_figures.slices_chart(results, "length", lang), RECORD_COMMAND),
            Figure(deep_figures.slices_chart(results, "unknown_share", lang), RECORD_COMMAND),
        ],
    )


def attention(records, lang):
    if not records.agreement:
        return None
    summaries = {model_label(n, lang): s for n, s in records.agreement.items()}
    pairs = records.agreement.get("BiLSTM-attention", {}).get("pairs", {})
    if not pairs:
        return None
    prose = say(
        "attention",
        lang,
        n=next(iter(pairs.values()))["n"],
        att_occ=pairs["attention vs occlusion"]["mean"],
        ig_occ=pairs["integrated_gradients vs occlusion"]["mean"],
    )
    return Section(
        "attention",
        say("h_attention", lang),
        [prose, Figure(deep_figures.agreement_chart(summaries, lang), AGREEMENT_COMMAND)],
    )


def worked_examples(records, lang):
    measured, classes = records.measured, records.classes
    model = model_label(measured["example_model"], lang)
    blocks = [say("examples", lang, model=model)]
    for example in measured["examples"]:
        chars = example["chars"]
        c = classes.index(example["class"])
        p = measured["models"][measured["example_model"]]["probability"][example["index"]]
        lines = [
            f"#### {say('example_' + example['kind'], lang)}",
            say(
                "example_head",
                lang,
                headline=markdown_literal(example["text"]),
                truth=class_name(classes[example["label"]], lang),
                answer=class_name(classes[c], lang),
                p=p,
            ),
        ]
        if "attention" in example["scores"]:
            lines.append(attention_note(chars, np.array(example["scores"]["attention"]), lang))
        lines += [agreement_text(example["agreement"], lang), counterfactual_text(example, classes, lang)]
        blocks += [
            "\n\n".join(line for line in lines if line),
            Figure(
                deep_figures.methods_chart(chars, {m: np.array(v) for m, v in example["scores"].items()}, lang),
                RECORD_COMMAND,
            ),
        ]
    return Section("examples", say("h_examples", lang), blocks)


def experiments(records, lang):
    results = records.experiments
    if not results:
        return None
    schedule = results["schedule"]
    blocks = [say("experiments", lang, train=schedule["train_limit"], epochs=schedule["epochs"], seed=schedule["seed"])]
    blocks += [Figure(f, EXPERIMENTS_COMMAND) for f in deep_figures.experiments_figures(results, lang).values()]
    return Section("experiments", say("h_experiments", lang), blocks)


def limitations(records, test, lang):
    focus = records.measured["models"][FOCUS]
    classes = records.classes
    confusion = np.array(focus["confusion"])
    finance, stocks = classes.index("finance"), classes.index("stocks")
    today = records.measured["today"]
    wrong = [r for r in today if r["predicted"] != r["label"]]
    wrong_lines = "\n".join(
        say(
            "today_wrong",
            lang,
            text=markdown_literal(r["text"]),
            truth=class_name(classes[r["label"]], lang),
            answer=class_name(classes[r["predicted"]], lang),
            p=r["probability"],
            unsure=say("unsure_mark", lang) if r["unsure"] else "",
        )
        for r in wrong[:4]
    )
    prose = say(
        "limits",
        lang,
        train=TRAIN,
        model=model_label(FOCUS, lang),
        fs=int(confusion[finance, stocks] + confusion[stocks, finance]),
        errors=int(confusion.sum() - np.trace(confusion)),
        today=len(today),
        today_acc=1 - len(wrong) / len(today),
        test_acc=records.test_accuracy(FOCUS),
        today_unsure=sum(r["unsure"] for r in today),
        today_wrong=wrong_lines,
    )
    return Section("limits", say("h_limits", lang), [prose])


def reproduce(lang):
    commands = [
        "python -m cls_core.data fetch",
        "N=PATH/TO/nlpcc2017/train.tsv; MAP=data/sources/nlpcc2017-train.map",
        "SRC=$N,map=$MAP,weight=0.3,per_label=4000,marked",
        "python -m cls_core.train --model textcnn --epochs 5 --char-dropout 0.1 --seed 2 --max-bigrams 90000 "
        "--extra-train $SRC --out checkpoints/textcnn.pt",
        "python -m cls_core.training.oof --model textcnn --folds 3 --out textcnn-oof.npy "
        "-- --epochs 6 --char-dropout 0.1",
        "python -m cls_core.train --model bilstm_att --epochs 10 --char-dropout 0.1 --teacher linear-oof "
        "--teacher textcnn-oof.npy --max-bigrams 84000 --extra-train $SRC --out checkpoints/bilstm_att.pt",
        "python -m cls_core.train --model linear --extra-train $N,map=$MAP,weight=0.4,marked "
        "--out checkpoints/linear.npz",
        "python -m cls_core.evaluation.outlets threshold",
        EVALUATE_ALL,
        ROBUSTNESS_COMMAND,
        OUTLETS_COMMAND,
        AGREEMENT_COMMAND,
        EXPERIMENTS_COMMAND,
        RECORD_COMMAND,
        REPORT_COMMAND.format(lang=lang),
        "python -m cls_core.report --model-card",
    ]
    return Section(
        "reproduce", say("h_reproduce", lang), [say("reproduce_all", lang), "```bash\n" + "\n".join(commands) + "\n```"]
    )
