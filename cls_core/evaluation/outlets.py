"""The shipped models on an outlet they never learned from: their "unsure" threshold fitted on
the *fit* halves, and their figures on the *report* halves, read once per checkpoint.

    python -m cls_core.evaluation.outlets threshold [--checkpoint F ...]   # refit, write into each checkpoint
    python -m cls_core.evaluation.robustness --write                      # the ensemble's, likewise
    python -m cls_core.evaluation.outlets report [--json checkpoints/outlets.json]

threshold: each model's unsure threshold becomes the lowest calibrated top probability at which
the Toutiao-fit headlines it answers are TARGET_ACCURACY right, but never one that flags more
than MAX_FLAGGED of THUCNews dev (a headline of the outlet it learned from is seldom in doubt).
report: for each shipped model and their ensemble, accuracy on THUCNews test, on the Toutiao
report half (8 channels mapped) and on the NLPCC dev report half (6 labels), and what "unsure"
buys on each (the share answered, and how often those answers are right). The halves and the
mapping are cls_core.data.outlets'.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from cls_core.data import DataFormatError, add_data_dir_argument, load_split, resolve_data_dir
from cls_core.data.outlets import load_outlet_set
from cls_core.evaluation.evaluate import scored_labels
from cls_core.models.checkpoint import CheckpointError, atomic_write_text, load_checkpoint, save_checkpoint
from cls_core.models.linear import LinearModel
from cls_core.models.precision import add_precision_argument
from cls_core.models.predictor import SHIPPED_MODELS, Ensemble, Predictor, add_device_argument, ensemble_record
from cls_core.models.unsure import answered_at

TARGET_ACCURACY = 0.91  # on Toutiao-fit; the goal is 90 % on the report half
MAX_FLAGGED = 0.2  # of THUCNews dev
REPORT_SETS = ("test", "toutiao-report", "nlpcc-report")


def threshold_for_accuracy(probs, labels, target):
    """The lowest top probability t such that the headlines with top probability >= t are at
    least `target` right (1.0 when no threshold reaches it)."""
    confidence = np.asarray(probs).max(axis=1)
    correct = np.asarray(probs).argmax(axis=1) == np.asarray(labels)
    order = np.argsort(-confidence, kind="stable")
    running = np.cumsum(correct[order]) / np.arange(1, len(order) + 1)
    reaching = np.flatnonzero(running >= target)
    return float(confidence[order][reaching[-1]]) if len(reaching) else 1.0


def fit_outlet_threshold(predictor, data_dir=None):
    """(threshold, figures): the unsure threshold of the module docstring, with what it does on
    the sets it was fitted on."""
    fit = load_outlet_set("toutiao-fit", predictor.classes, data_dir)
    probs = predictor.predict_proba(fit.texts)
    wanted = threshold_for_accuracy(probs, scored_labels(probs.argmax(axis=1), fit), TARGET_ACCURACY)
    dev = load_split(resolve_data_dir(data_dir), "dev")
    dev_top = predictor.predict_proba(dev.texts).max(axis=1)
    ceiling = float(np.quantile(dev_top, MAX_FLAGGED))
    threshold = min(wanted, ceiling)
    on_fit = answered_at(probs, scored_labels(probs.argmax(axis=1), fit), threshold)
    return threshold, {
        "toutiao_fit_answered": on_fit["coverage"],
        "toutiao_fit_accuracy_answered": on_fit["accuracy"],
        "dev_flagged": float((dev_top < threshold).mean()),
        "capped_by_dev": wanted > ceiling,
    }


def write_threshold(path, threshold):
    """Record a model's new unsure threshold in its checkpoint file (written atomically)."""
    if Path(path).suffix == ".npz":
        model = LinearModel.load(path)
        model.unsure_threshold = threshold
        model.save(path)
    else:
        payload = load_checkpoint(path)
        payload["unsure_threshold"] = threshold
        save_checkpoint(path, payload)


def refit_thresholds(paths, data_dir=None, device="cpu"):
    """Refit each single model's threshold, written into its checkpoint. (The ensemble's is
    fitted the same way by `python -m cls_core.evaluation.robustness --write`.)"""
    for path in paths:
        threshold, figures = fit_outlet_threshold(Predictor.load(path, device), data_dir)
        write_threshold(path, threshold)
        print(f"{path}: unsure below {threshold:.3f} ({figures})")


def figures_on(predictor, dataset):
    """{accuracy, headlines, answered, accuracy_answered} of a predictor on a test set."""
    probs = predictor.predict_proba(dataset.texts)
    labels = scored_labels(probs.argmax(axis=1), dataset)
    every, unsure_aside = answered_at(probs, labels, 0.0), answered_at(probs, labels, predictor.unsure_threshold or 0.0)
    return {
        "accuracy": round(every["accuracy"], 4),
        "headlines": len(dataset),
        "answered": round(unsure_aside["coverage"], 4),
        "accuracy_answered": None if unsure_aside["accuracy"] is None else round(unsure_aside["accuracy"], 4),
    }


def report(checkpoint_dir="checkpoints", data_dir=None, device="cpu", precision="auto"):
    """{model: {"sha256", set: figures}} for each shipped model and their ensemble."""
    members = {
        Path(file).stem: Predictor.load(Path(checkpoint_dir) / file, device, precision)
        for file in SHIPPED_MODELS.values()
    }
    record = ensemble_record(checkpoint_dir, list(members.values())) or {}
    everyone = dict(members, ensemble=Ensemble(list(members.values()), record.get("unsure_threshold")))
    sets = {}
    for name in REPORT_SETS:
        sets[name] = (
            load_split(resolve_data_dir(data_dir), "test")
            if name == "test"
            else load_outlet_set(name, next(iter(members.values())).classes, data_dir)
        )
    results = {}
    for name, predictor in everyone.items():
        row = {"sha256": predictor.sha256}
        for set_name, dataset in sets.items():
            row[set_name] = figures_on(predictor, dataset)
        results[name] = row
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m cls_core.evaluation.outlets",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=["threshold", "report"])
    parser.add_argument("--checkpoint", action="append", help="threshold: default the three shipped checkpoints")
    parser.add_argument("--checkpoints", default="checkpoints", help="folder of the shipped checkpoints")
    add_data_dir_argument(parser)
    add_device_argument(parser)
    add_precision_argument(parser)
    parser.add_argument("--json", help="report: write the figures here (the app reads checkpoints/outlets.json)")
    args = parser.parse_args(argv)
    try:
        if args.command == "threshold":
            paths = args.checkpoint or [str(Path(args.checkpoints) / f) for f in SHIPPED_MODELS.values()]
            refit_thresholds(paths, args.data_dir, args.device)
            return
        results = report(args.checkpoints, args.data_dir, args.device, args.precision)
    except (CheckpointError, DataFormatError, FileNotFoundError, ValueError) as e:
        sys.exit(f"error: {e}")
    print(f"{'model':<12}" + "".join(f"{s:>16}{'answered':>10}{'right':>8}" for s in REPORT_SETS))
    for name, row in results.items():
        print(
            f"{name:<12}"
            + "".join(
                f"{row[s]['accuracy']:>16.2%}{row[s]['answered']:>10.1%}"
                + (f"{row[s]['accuracy_answered']:>8.1%}" if row[s]["accuracy_answered"] is not None else f"{'—':>8}")
                for s in REPORT_SETS
            )
        )
    print(
        "answered = share not flagged unsure; right = accuracy of those answered. toutiao-report: 8 channels mapped "
        "(finance or stocks right for its finance channel); nlpcc-report: 6 labels (likewise for finance)"
    )
    if args.json:
        atomic_write_text(args.json, json.dumps(results, indent=1))
        print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
