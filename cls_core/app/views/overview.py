"""Overview: the data (headlines per class and split), the models (size, accuracy,
calibration, against the published reference) and their training curves."""

import json
from pathlib import Path

import numpy as np
import pandas as pd

from cls_core.app import figures
from cls_core.app.i18n import class_name, text
from cls_core.app.report.page import write_report
from cls_core.app.report.record import Records
from cls_core.app.wording import ENSEMBLE, UserError, model_label
from cls_core.data import DataFormatError, load_split
from cls_core.models.networks import count_parameters
from cls_core.models.predictor import ensemble_record

# Figures from the reference project's README (THUCNews, 180k training headlines).
PUBLISHED = [("TextCNN", 0.9122), ("TextRNN", 0.9112), ("TextRNN_Att", 0.9090)]
CURVE_POINTS = 800  # most points of a training curve drawn


def class_counts(demo):
    """{split: [count per class]}: train and dev as the checkpoints recorded them (else read
    from the data directory, if there), test from the test split served."""
    counts = {}
    recorded = next((p.extras["class_counts"] for p in demo.models.values() if p.extras.get("class_counts")), {})
    for split in ("train", "dev"):
        if split in recorded:
            counts[split] = list(recorded[split])
        elif (demo.data_dir / f"{split}.txt").exists():
            try:
                data = load_split(demo.data_dir, split)
                counts[split] = np.bincount(data.labels, minlength=len(data.classes)).tolist()
            except DataFormatError:
                pass
    try:
        test = demo.test_split()
        counts["test"] = np.bincount(test.labels, minlength=len(test.classes)).tolist()
    except UserError:
        pass
    return counts


def class_count_rows(demo, counts, lang="en"):
    """[class, count per split] for the table under the data sentence."""
    return [[class_name(c, lang)] + [counts[s][i] for s in counts] for i, c in enumerate(demo.classes)]


def model_rows(registry):
    """{name, parameters, megabytes, accuracy, ece} per loaded model, then the ensemble (its
    figures from checkpoints/ensemble.metrics.json, when recorded for these very members)."""
    rows = []
    for name, p in registry.models.items():
        params = p.linear.parameters() if p.linear is not None else count_parameters(p.model)
        test = p.metrics.get("test", {})
        rows.append({"name": name, "parameters": params, "megabytes": Path(p.path).stat().st_size / 1e6,
                     "accuracy": test.get("accuracy"), "ece": (test.get("ece") or {}).get("after"),
                     "precision": p.precision})
    record = ensemble_record(registry.checkpoint_dir, list(registry.models.values()))
    if ENSEMBLE in registry.names() and record:
        test = record.get("test", {})
        rows.append({"name": ENSEMBLE, "parameters": sum(r["parameters"] for r in rows),
                     "megabytes": sum(r["megabytes"] for r in rows), "accuracy": test.get("accuracy"),
                     "ece": (test.get("ece") or {}).get("after"), "precision": " + ".join(r["precision"] for r in rows)})
    return rows


def model_table(rows, lang="en"):
    def share(x):
        return f"{x:.2%}" if x is not None else "—"
    return [[model_label(r["name"], lang), f"{r['parameters']:,}", f"{r['megabytes']:.1f}", share(r["accuracy"]),
             share(r["ece"]), r["precision"]] for r in rows]


def accuracy_bars(rows, lang="en"):
    """[(name, accuracy, note, ours)] for figures.accuracy_bars: the reference, then ours."""
    bars = [(text("reference_name", lang, model=m), acc, text("published_note", lang), False) for m, acc in PUBLISHED]
    return bars + [(model_label(r["name"], lang), r["accuracy"], text("ours_note", lang), True)
                   for r in rows if r["accuracy"]]


def best_accuracy(registry):
    return max((r["accuracy"] for r in model_rows(registry) if r["accuracy"]), default=None)


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
