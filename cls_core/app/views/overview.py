"""Overview: the data (headlines per class and split), the models (size, accuracy,
calibration, against the published reference) and their training curves. The data is
THUCNews's, or a models folder's of your own (its models' labels and splits); the published
reference compares only the shipped models, measured on the same THUCNews test split."""

import json
from pathlib import Path

import numpy as np
import pandas as pd

from cls_core.app import figures
from cls_core.app.i18n import class_name, text
from cls_core.app.registry import folder_ensemble_name
from cls_core.app.report.page import write_report
from cls_core.app.report.record import Records
from cls_core.app.wording import ENSEMBLE, UserError, model_label, outlet_line
from cls_core.data import DataFormatError, load_split
from cls_core.data.labelled import read_labelled_file
from cls_core.data.sources import source_name
from cls_core.models.networks import count_parameters
from cls_core.models.predictor import SHIPPED_MODELS, ensemble_record

# Figures from the reference project's README (THUCNews, 180k training headlines).
PUBLISHED = [("TextCNN", 0.9122), ("TextRNN", 0.9112), ("TextRNN_Att", 0.9090)]
CURVE_POINTS = 800  # most points of a training curve drawn
THUCNEWS = "THUCNews"  # the data set picker's value for THUCNews (the others: models folders)


def data_sets(registry):
    """[(label, value)] of the data sets whose counts the Overview shows: THUCNews, then each
    models folder of your own."""
    return [("THUCNews", THUCNEWS)] + [(folder, folder) for folder in registry.folders]


def recorded_counts(predictor):
    """{split: [count per class]} as a checkpoint recorded them ({} when it did not): its
    class_counts, or those of its data record (a model trained on your own data)."""
    extras = predictor.extras
    counts = extras.get("class_counts") or (extras.get("data") or {}).get("class_counts") or {}
    out = {}
    for split, value in counts.items() if isinstance(counts, dict) else ():
        if isinstance(value, dict):  # {label: count}: in the predictor's class order
            value = [value.get(c, 0) for c in predictor.classes]
        if isinstance(value, (list, tuple)) and len(value) == len(predictor.classes):
            out[split] = [int(v) for v in value]
    return out


def _data_set_models(demo, data_set):
    """(models folder or None for THUCNews, the models trained on data_set)."""
    folder = data_set if data_set in demo.registry.folders else None
    return folder, demo.registry.singles_in(folder)


def data_set_classes(demo, data_set=THUCNEWS):
    """The label names of a data set (THUCNEWS, or the name of a models folder)."""
    _, names = _data_set_models(demo, data_set)
    return demo.classes_of(names[0]) if names else demo.classes


def class_counts(demo, data_set=THUCNEWS):
    """{split: [count per class]}: train and dev as the checkpoints recorded them (else read
    from the data directory, or the models folder's dev.tsv, if there), test from the test
    split served. data_set: THUCNEWS, or the name of a models folder."""
    folder, names = _data_set_models(demo, data_set)
    if not names:
        return {}
    classes = demo.classes_of(names[0])
    recorded = next((c for c in map(recorded_counts, (demo.models[n] for n in names)) if c), {})
    counts = {}
    for split in ("train", "dev"):
        if split in recorded:
            counts[split] = list(recorded[split])
        elif folder is None and (demo.data_dir / f"{split}.txt").exists():
            try:
                data = load_split(demo.data_dir, split)
                counts[split] = np.bincount(data.labels, minlength=len(data.classes)).tolist()
            except DataFormatError:
                pass
        elif folder is not None and split == "dev" and (demo.registry.folders[folder] / "dev.tsv").exists():
            try:
                data = read_labelled_file(demo.registry.folders[folder] / "dev.tsv", classes=classes)
                counts[split] = np.bincount(data.labels, minlength=len(classes)).tolist()
            except DataFormatError:
                pass
    try:
        test = demo.test_split(names[0])
        counts["test"] = np.bincount(test.labels, minlength=len(test.classes)).tolist()
    except UserError:
        pass
    return counts


def class_count_rows(demo, counts, lang="en", data_set=THUCNEWS):
    """[class, count per split] for the table under the data sentence."""
    return [
        [class_name(c, lang)] + [counts[s][i] for s in counts] for i, c in enumerate(data_set_classes(demo, data_set))
    ]


def model_rows(registry):
    """{name, folder, parameters, megabytes, accuracy, ece} per loaded model, group by group
    (the shipped ones, then each models folder), each group's ensemble after its models
    when its figures were recorded for these very members (ensemble.metrics.json beside
    them). Accuracy is on the group's own test split, as the checkpoint recorded it."""
    rows = []
    for folder, names in registry.groups():
        group = []
        for name in names:
            p = registry.models[name]
            params = p.linear.parameters() if p.linear is not None else count_parameters(p.model)
            test = p.metrics.get("test", {})
            group.append(
                {
                    "name": name,
                    "folder": folder,
                    "parameters": params,
                    "megabytes": Path(p.path).stat().st_size / 1e6,
                    "accuracy": test.get("accuracy"),
                    "ece": (test.get("ece") or {}).get("after"),
                    "precision": p.precision,
                }
            )
        ensemble = ENSEMBLE if folder is None else folder_ensemble_name(folder)
        where = registry.checkpoint_dir if folder is None else registry.folders.get(folder)
        record = ensemble_record(where, [registry.models[n] for n in names]) if where else None
        if ensemble in registry.names() and record:
            test = record.get("test", {})
            group.append(
                {
                    "name": ensemble,
                    "folder": folder,
                    "parameters": sum(r["parameters"] for r in group),
                    "megabytes": sum(r["megabytes"] for r in group),
                    "accuracy": test.get("accuracy"),
                    "ece": (test.get("ece") or {}).get("after"),
                    "precision": " + ".join(r["precision"] for r in group),
                }
            )
        rows += group
    return rows


def model_table(rows, lang="en"):
    def share(x):
        return f"{x:.2%}" if x is not None else "—"

    return [
        [
            model_label(r["name"], lang),
            f"{r['parameters']:,}",
            f"{r['megabytes']:.1f}",
            share(r["accuracy"]),
            share(r["ece"]),
            r["precision"],
        ]
        for r in rows
    ]


def accuracy_bars(rows, lang="en"):
    """[(name, accuracy, note, ours)] for figures.accuracy_bars: the reference, then ours."""
    bars = [(text("reference_name", lang, model=m), acc, text("published_note", lang), False) for m, acc in PUBLISHED]
    return bars + [
        (model_label(r["name"], lang), r["accuracy"], text("ours_note", lang), True)
        for r in rows
        if r["accuracy"] and r.get("folder") is None
    ]  # THUCNews's test split only


OUTLET_RECORD = "outlets.json"  # python -m cls_core.evaluation.outlets report --json checkpoints/outlets.json


def outlet_figures(registry):
    """{display name: {"test", "toutiao-report", "nlpcc-report": figures}} of the shipped models
    (and their ensemble) whose checkpoints are the very ones the record measured (sha256)."""
    path = registry.checkpoint_dir / OUTLET_RECORD
    if not path.exists():
        return {}
    record = json.loads(path.read_text(encoding="utf-8"))
    keys = {name: Path(file).stem for name, file in SHIPPED_MODELS.items()} | {ENSEMBLE: "ensemble"}
    return {
        name: record[key]
        for name, key in keys.items()
        if name in registry.names() and key in record and record[key].get("sha256") == registry.predictor(name).sha256
    }


def outlet_sentences(registry, lang="en"):
    """Markdown: per shipped model, its accuracy on THUCNews's own test beside an outlet it never
    learned from, and what "unsure" buys on each ("" when nothing was recorded for them)."""
    lines = [outlet_line(model_label(name, lang), row, lang) for name, row in outlet_figures(registry).items()]
    return (text("outlet_intro", lang) + "\n\n" + "\n".join(lines)) if lines else ""


def sources_of(predictor):
    """[{"data", "headlines", "weight"}] of what a model learned from: THUCNews train (or a file
    of one's own) and each --extra-train source, as its checkpoint recorded them."""
    extras, metrics = predictor.extras, predictor.metrics
    own = extras.get("data") or {}
    counts = recorded_counts(predictor).get("train")
    extra = metrics.get("extra_train") or []
    if own.get("train_file"):
        first = {"data": Path(own["train_file"]["path"]).name, "headlines": (own.get("splits") or {}).get("train")}
    else:
        first = {"data": "THUCNews train", "headlines": sum(counts) if counts else None}
    return [dict(first, weight=1.0)] + [
        {
            "data": source_name(e["path"]),
            "headlines": e["headlines"],
            "weight": e.get("weight", 1.0),
            "classes": e.get("lines_per_class"),
        }
        for e in extra
    ]


def sources_sentence(registry, lang="en"):
    """The shipped models' training sources in one sentence ("" without a shipped model): each
    source with its headlines and weight, and which models learned from it that way."""
    shipped = [name for name in SHIPPED_MODELS if name in registry.models]
    uses = {}  # (data, headlines, weight) -> the models that learned from it so
    for name in shipped:
        for source in sources_of(registry.models[name]):
            uses.setdefault((source["data"], source["headlines"], source["weight"]), []).append(name)
    parts = []
    for (data, headlines, weight), names in uses.items():
        models = (
            text("all_models", lang) if len(names) == len(shipped) else ", ".join(model_label(n, lang) for n in names)
        )
        parts.append(
            text(
                "source_part",
                lang,
                data=data,
                n=headlines or 0,
                models=models,
                weight="" if weight == 1 else text("at_weight", lang, weight=weight),
            )
        )
    return text("sources_sentence", lang, sources=text("list_separator", lang).join(parts)) if parts else ""


def best_accuracy(registry):
    """The best THUCNews test accuracy of the shipped models (and their ensemble)."""
    return max((r["accuracy"] for r in model_rows(registry) if r["accuracy"] and r["folder"] is None), default=None)


def smoothed(values, window=None):
    """Trailing mean over `window` values (default: 1 % of them, at least 1)."""
    window = window or max(1, len(values) // 100)
    return pd.Series(np.asarray(values, dtype=float)).rolling(window, min_periods=1).mean().to_numpy()


def training_log(predictor):
    """The records of a checkpoint's NAME.log.jsonl beside it ([] without one)."""
    path = Path(predictor.path).with_suffix(".log.jsonl")
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def training_curve(registry, name, lang="en"):
    """The training curves of a network: the per-step loss its checkpoint recorded,
    smoothed (or the logged running means of older checkpoints), dev loss and accuracy
    per epoch from its log. None for a model trained in one pass (the linear one)."""
    predictor = registry.predictor(name)
    log = training_log(predictor)
    epochs = [r for r in log if r["type"] == "epoch"]
    losses = predictor.extras.get("train_loss_per_step")
    if losses is not None and len(losses):
        steps = np.arange(1, len(losses) + 1)
        keep = np.unique(np.linspace(0, len(losses) - 1, min(len(losses), CURVE_POINTS)).astype(int))
        train = (steps[keep], smoothed(losses)[keep], text("train_loss", lang))
    else:
        logged = [r for r in log if r["type"] == "step"]
        if not logged:
            return None
        train = ([r["step"] for r in logged], [r["train_loss"] for r in logged], text("train_loss_running", lang))
    return figures.training_curves(train, epochs, text("title_training", lang, model=model_label(name, lang)), lang)


def report_file(demo, lang="en"):
    """The report to hand out (cls_core.app.report) in lang, written from the records beside
    the served checkpoints into the downloads folder; its path. It runs no model."""
    try:
        records = Records.load(demo.checkpoint_dir)
    except FileNotFoundError:
        raise UserError("error_no_report") from None
    path = demo.downloads.new_path(f"headline-lens-report-{lang}.html")
    write_report(records, lang, path)
    return path
