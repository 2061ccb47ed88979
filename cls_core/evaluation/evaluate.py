"""Score a checkpoint (or an average of several) on a split.

    python -m cls_core.evaluate --checkpoint checkpoints/textcnn.pt [--split test] [--json out.json]
    python -m cls_core.evaluate --checkpoint a.pt --checkpoint b.pt --checkpoint c.npz   # ensemble

Reports accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix (all
from scikit-learn), expected calibration error and NLL before and after temperature
scaling, and every headline's prediction for drill-down.
"""

import argparse
import json
import sys
import time

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, log_loss, precision_recall_fscore_support

from cls_core.data import DataFormatError, add_data_dir_argument, load_split, resolve_data_dir
from cls_core.data.outlets import OUTLET_SETS, load_outlet_set
from cls_core.models.calibration import expected_calibration_error, reliability_bins
from cls_core.models.checkpoint import CheckpointError, atomic_write_text
from cls_core.models.precision import add_precision_argument
from cls_core.models.predictor import add_device_argument, load_predictor
from cls_core.models.unsure import answered_at, coverage_curve


def classification_report(probs, labels, classes):
    """Every metric the app and the note show, from calibrated probabilities [N, C]."""
    labels = np.asarray(labels)
    predicted = np.asarray(probs).argmax(axis=1)
    everything = list(range(len(classes)))
    precision, recall, f1, support = precision_recall_fscore_support(
        labels, predicted, labels=everything, zero_division=0
    )
    # macro-F1 averages the classes the set holds: another outlet's set may lack some (Toutiao's
    # mapped channels have no society or politics), which are no F1 of 0 of the model's
    return {
        "accuracy": float(accuracy_score(labels, predicted)),
        "macro_f1": float(f1[support > 0].mean()),
        "per_class": [
            {"class": c, "precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for c, p, r, f, s in zip(classes, precision, recall, f1, support)
        ],
        "confusion": confusion_matrix(labels, predicted, labels=everything).tolist(),
    }


def scored_labels(predicted, dataset):
    """The label each headline is scored against. A headline that may rightly be several
    classes (dataset.label_sets: NLPCC's finance, "finance or stocks") counts as right when the
    answer is any of them: its label is the answer then, else the set's first class."""
    if dataset.label_sets is None:
        return np.asarray(dataset.labels)
    return np.array([p if p in allowed else allowed[0] for p, allowed in zip(predicted, dataset.label_sets)])


def evaluate(predictor, dataset, with_predictions=True, progress=None, chunk=1000):
    """Run predictor over a Dataset and return the report dict (JSON-ready).

    progress, if given, is called with the fraction done after each chunk of headlines.
    A dataset with label sets is scored by scored_labels.
    """
    if list(predictor.classes) != list(dataset.classes):
        raise ValueError(f"the model's classes {predictor.classes} differ from the data's {dataset.classes}")
    start = time.perf_counter()
    # Shortest first: a chunk's texts are padded to its longest, so chunks of like lengths
    # compute little padding. The probabilities are put back in the dataset's order.
    order = np.argsort([len(t) for t in dataset.texts], kind="stable")
    parts = []
    for i in range(0, len(dataset), chunk):
        parts.append(predictor.probabilities([dataset.texts[j] for j in order[i : i + chunk]]))
        if progress:
            progress(min(1.0, (i + chunk) / len(dataset)))
    back = np.argsort(order)
    calibrated, uncalibrated = (np.concatenate([p[k] for p in parts])[back] for k in (0, 1))
    seconds = time.perf_counter() - start
    report = {
        "model": predictor.name,
        "headlines": len(dataset),
        "seconds": round(seconds, 3),
        "precision": getattr(predictor, "precision", None),
    }
    predicted = calibrated.argmax(axis=1)
    labels = scored_labels(predicted, dataset)
    report.update(classification_report(calibrated, labels, dataset.classes))
    report["ece"] = {
        "before": expected_calibration_error(uncalibrated, labels),
        "after": expected_calibration_error(calibrated, labels),
    }
    everything = list(range(len(dataset.classes)))  # a class absent from the labels still counts
    report["nll"] = {
        "before": float(log_loss(labels, uncalibrated, labels=everything)),
        "after": float(log_loss(labels, calibrated, labels=everything)),
    }
    report["reliability"] = reliability_bins(calibrated, labels)
    report["coverage"] = coverage_curve(calibrated, labels)
    threshold = getattr(predictor, "unsure_threshold", None)
    report["at_threshold"] = answered_at(calibrated, labels, threshold) if threshold is not None else None
    if with_predictions:
        report["predictions"] = [
            {
                "text": t,
                "label": int(y),
                "predicted": int(p),
                "probability": float(row[p]),
                "true_probability": float(row[y]),
            }
            for t, y, p, row in zip(dataset.texts, labels, predicted, calibrated)
        ]
    return report


def summary(report):
    """The headline numbers of a report, as stored in checkpoints."""
    keys = ("accuracy", "macro_f1", "ece", "nll", "headlines")
    return {k: report[k] for k in keys}


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m cls_core.evaluate", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--checkpoint",
        action="append",
        required=True,
        help="checkpoint (.pt network or .npz linear); repeat to evaluate their average",
    )
    parser.add_argument(
        "--split",
        action="append",
        choices=["train", "dev", "test", "outlet", *OUTLET_SETS],
        help="default test; repeat for several. toutiao-fit|report, nlpcc-fit|report: the other "
        "outlets' halves (cls_core.data.outlets); outlet: the Toutiao slice that ships",
    )
    add_data_dir_argument(parser)
    add_device_argument(parser)
    add_precision_argument(parser)
    parser.add_argument("--json", help="write the full report (with every prediction) here")
    parser.add_argument("--summary-json", help="write only the headline figures here, as {split: {...}}")
    args = parser.parse_args(argv)
    splits = args.split or ["test"]
    if (args.json or args.summary_json) and len(splits) > 1:
        parser.error("--json and --summary-json take one --split")
    try:
        predictor = load_predictor(args.checkpoint, args.device, args.precision)
        for split in splits:
            report = evaluate(predictor, named_split(split, predictor.classes, args.data_dir))
            print_report(report, split, brief=len(splits) > 1)
    except (CheckpointError, DataFormatError, FileNotFoundError, ValueError, RuntimeError) as e:
        sys.exit(f"error: {e}")
    if args.json:
        atomic_write_text(args.json, json.dumps(report, ensure_ascii=False, indent=1))
        print(f"report written to {args.json}")
    if args.summary_json:
        atomic_write_text(args.summary_json, json.dumps({splits[0]: summary(report)}, indent=1))
        print(f"summary written to {args.summary_json}")


def named_split(name, classes, data_dir=None):
    """A THUCNews split ('train', 'dev', 'test') or another outlet's set (cls_core.data.outlets)."""
    if name in ("train", "dev", "test"):
        return load_split(resolve_data_dir(data_dir), name)
    return load_outlet_set(name, classes, data_dir)


def print_report(report, split, brief=False):
    """The figures of one report; brief: one line (accuracy, and what the unsure verdict buys)."""
    at = report["at_threshold"]
    unsure = (
        f"; not unsure: {at['accuracy']:.2%} right, {at['coverage']:.1%} answered"
        if at and at["accuracy"] is not None
        else ""
    )
    if brief:
        print(
            f"{report['model']} on {split}: accuracy {report['accuracy']:.2%} ({report['headlines']} headlines){unsure}"
        )
        return
    print(f"{report['model']} on {split} ({report['headlines']} headlines, {report['seconds']:.1f} s)")
    print(f"  accuracy {report['accuracy']:.2%}   macro-F1 {report['macro_f1']:.2%}")
    print(
        f"  ECE {report['ece']['before']:.2%} -> {report['ece']['after']:.2%} after calibration;"
        f" NLL {report['nll']['before']:.4f} -> {report['nll']['after']:.4f}"
    )
    print(f"  {'class':<14}{'precision':>10}{'recall':>8}{'F1':>8}")
    for row in report["per_class"]:
        print(f"  {row['class']:<14}{row['precision']:>10.2%}{row['recall']:>8.2%}{row['f1']:>8.2%}")
    if unsure:
        print(f"  {unsure[2:]}")


if __name__ == "__main__":
    main()
