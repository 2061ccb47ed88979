"""MODEL_CARD.md (English) and MODEL_CARD.zh-CN.md, written from the checkpoints' records
(cls_core.app.report.record) in the sections people expect of a model card. The words are
the report's (cls_core.app.report.words); every figure is read from a record, so a card
that no longer matches the checkpoints is caught by writing it again and comparing
(tests/test_report.py).

    python -m cls_core.report --model-card
"""

from pathlib import Path

from cls_core.app.i18n import class_name
from cls_core.app.report.record import CHECKPOINT_FILES, RECORD_COMMAND, ROOT
from cls_core.app.report.story import EVALUATE_ALL, FOCUS, OUTLETS_COMMAND, ROBUSTNESS_COMMAND, TRAIN, reproduce
from cls_core.app.report.words import say
from cls_core.app.wording import model_label
from cls_core.data.sources import source_name

CARD_COMMAND = "python -m cls_core.report --model-card"
CARD_FILES = {"en": "MODEL_CARD.md", "zh-CN": "MODEL_CARD.zh-CN.md"}


def _table(headers, rows):
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    return "\n".join(lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows])


def details(records, lang):
    rows = []
    for name, m in records.metrics.items():
        if name not in CHECKPOINT_FILES:  # the ensemble has no weights of its own
            continue
        rows.append(
            [
                model_label(name, lang),
                f"{m['parameters']:,}" if m.get("parameters") else "—",
                m.get("epochs", "—"),
                f"{m['train_seconds']:,.0f} s" if m.get("train_seconds") else "—",
                f"{m['temperature']:.3f}" if m.get("temperature") else "—",
                f"{m['dev']['accuracy']:.2%}" if m.get("dev") else "—",
            ]
        )
    headers = [
        say(k, lang)
        for k in (
            "col_model",
            "col_parameters",
            "col_epochs",
            "col_train_seconds",
            "col_temperature",
            "col_dev_accuracy",
        )
    ]
    return [say("card_details", lang), _table(headers, rows)]


OUTLET_SETS = {"test": "col_set_test", "toutiao-report": "col_set_toutiao", "nlpcc-report": "col_set_nlpcc"}


def sources(records, lang):
    """The training sources of each model, as its metrics record holds them."""
    rows = []
    for name, m in records.metrics.items():
        if name not in CHECKPOINT_FILES:
            continue
        extra = m.get("extra_train") or []
        rows.append([model_label(name, lang), "THUCNews train", f"{TRAIN:,}", "1", "—"])
        for e in extra:
            per_class = ", ".join(
                f"{' | '.join(class_name(c, lang) for c in classes.split('|'))} {n:,}"
                for classes, n in (e.get("lines_per_class") or {}).items()
            )
            rows.append(
                [
                    "",
                    source_name(e["path"]) + (f" ({say('marked', lang)})" if e.get("marked") else ""),
                    f"{e['headlines']:,}",
                    f"{e.get('weight', 1.0):g}",
                    per_class or "—",
                ]
            )
    headers = [say(k, lang) for k in ("col_model", "col_source", "col_headlines", "col_weight", "col_lines_per_class")]
    return [say("card_sources", lang), _table(headers, rows)]


def outlets(records, lang):
    """THUCNews test beside the other outlets' report halves (outlets.json), [] without it."""
    if not records.outlets:
        return []
    rows = []
    for name in records.metrics:
        row = records.outlets_of(name)
        if not row:
            continue
        cells = []
        for s in OUTLET_SETS:
            f = row[s]
            right = f"{f['accuracy_answered']:.1%}" if f.get("accuracy_answered") is not None else "—"
            cells.append(f"**{f['accuracy']:.2%}** ({right} / {f['answered']:.0%})")
        rows.append([model_label(name, lang)] + cells)
    headers = [say("col_model", lang)] + [say(k, lang) for k in OUTLET_SETS.values()]
    return [say("card_outlets", lang, command=OUTLETS_COMMAND), _table(headers, rows)]


def evaluation(records, lang):
    rows = [
        [
            model_label(name, lang),
            f"{m['test']['accuracy']:.2%}",
            f"{m['test']['macro_f1']:.2%}",
            f"{m['test']['ece']['after']:.2%} ({m['test']['ece']['before']:.2%})",
        ]
        for name, m in records.metrics.items()
    ]
    models = list(records.measured["models"])
    per_class = [
        [class_name(c, lang)] + [f"{records.measured['models'][n]['per_class'][i]['f1']:.2%}" for n in models]
        for i, c in enumerate(records.classes)
    ]
    test = records.metrics[models[0]]["test"]["headlines"]
    return [
        say("card_evaluation", lang, test=test, ensemble=EVALUATE_ALL),
        _table([say(k, lang) for k in ("col_model", "col_accuracy", "col_macro_f1", "col_ece")], rows),
        say("card_per_class", lang, command=RECORD_COMMAND),
        _table([""] + [model_label(n, lang) for n in models], per_class),
    ] + outlets(records, lang)


def calibration(records, lang):
    rows = []
    for name in records.metrics:
        threshold = (records.measured["models"][name].get("at_threshold") or {}).get("threshold")
        unsure = (records.robustness_of(name) or {}).get("unsure", {})
        rows.append(
            [
                model_label(name, lang),
                f"{threshold:.2f}" if threshold else "—",
                f"{unsure['flagged']:.1%}" if unsure else "—",
                f"{unsure['accuracy_answered']:.2%}" if unsure else "—",
                f"{unsure['accuracy_flagged']:.1%}" if unsure else "—",
            ]
        )
    headers = [
        say(k, lang) for k in ("col_model", "col_threshold", "col_flagged", "col_answered", "col_accuracy_flagged")
    ]
    return [say("card_calibration", lang, command=ROBUSTNESS_COMMAND), _table(headers, rows)]


def robustness(records, lang):
    variants = ("test", "s2twp", "s2hk", "unseen15", "today")
    rows = [
        [model_label(name, lang)] + [f"{r[v]:.2%}" if r.get(v) is not None else "—" for v in variants]
        for name in records.metrics
        if (r := records.robustness_of(name))
    ]
    today = next(iter(records.robustness.values()), {}).get("today_headlines", 0)
    return [
        say("card_robustness", lang, command=ROBUSTNESS_COMMAND, today=today),
        _table([say("col_model", lang)] + [say(f"variant_{v}", lang) for v in variants], rows),
    ]


def limitations(records, lang):
    confusion = records.measured["models"][FOCUS]["confusion"]
    finance, stocks = records.classes.index("finance"), records.classes.index("stocks")
    today = records.measured["today"]
    errors = sum(sum(row) for row in confusion) - sum(confusion[i][i] for i in range(len(confusion)))
    return [
        say(
            "card_limits",
            lang,
            today_acc=sum(r["predicted"] == r["label"] for r in today) / len(today),
            test_acc=records.test_accuracy(FOCUS),
            train=TRAIN,
            errors=errors,
            fs=confusion[finance][stocks] + confusion[stocks][finance],
            flagged=records.robustness_of(FOCUS)["unsure"]["flagged"],
        )
    ]


def card(records, lang="en"):
    """The model card in lang, as Markdown."""
    train = records.metrics["Linear (TF-IDF + SVM)"].get("train_sha256", "—")
    other = " · ".join(f"[{code}]({file})" for code, file in CARD_FILES.items() if code != lang)
    sections = [
        ("card_h_details", details(records, lang)),
        ("card_h_use", [say("card_use", lang)]),
        (
            "card_h_training",
            [
                say(
                    "card_training",
                    lang,
                    train=TRAIN,
                    train_sha=train,
                    dev=records.metrics["TextCNN"]["dev"]["headlines"],
                    test=len(records.labels),
                )
            ]
            + sources(records, lang),
        ),
        ("card_h_evaluation", evaluation(records, lang)),
        ("card_h_calibration", calibration(records, lang)),
        ("card_h_robustness", robustness(records, lang)),
        ("card_h_limits", limitations(records, lang)),
        ("card_h_licences", [say("card_licences", lang)]),
        ("card_h_reproduce", reproduce(lang).blocks),
    ]
    measured = records.measured
    version = say(
        "card_version",
        lang,
        checkpoints=", ".join(f"`{file}` {sha[:12]}" for file, sha in measured["checkpoints"].items()),
        date=measured.get("written", "—"),
        record=RECORD_COMMAND,
    )
    parts = [f"# {say('card_title', lang)}", say("card_generated", lang, command=CARD_COMMAND, other=other), version]
    for key, blocks in sections:
        parts.append(f"## {say(key, lang)}")
        parts += blocks
    return "\n\n".join(parts) + "\n"


def write_cards(records, folder=ROOT):
    """Write every language's card into folder; returns their paths."""
    paths = []
    for lang, file in CARD_FILES.items():
        path = Path(folder) / file
        path.write_text(card(records, lang), encoding="utf-8")
        paths.append(path)
    return paths
