"""How the models fare on headlines as people write them, and when they say "unsure".

    python -m cls_core.evaluation.robustness                 # the shipped models and their ensemble
    python -m cls_core.evaluation.robustness --write         # ... and fit the ensemble's threshold (on Toutiao-fit),
                                                  # recording it in checkpoints/ensemble.metrics.json
    python -m cls_core.evaluation.robustness --choose        # which OpenCC configuration to normalise with

For every model it prints test accuracy on the test split as published, converted to
Traditional script with OpenCC `s2twp` (Taiwan phrasing) and `s2hk` (Hong Kong), each read
through the model's own normalisation, the difference to the published split, the accuracy
on the hand-written headlines of today's style (data/today/headlines.txt), what the
unsure verdict does on test: the share it flags and the accuracy of the answered rest and of
the flagged headlines ("—" where there are none), and the seconds one pass over the test
split takes.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from cls_core.data import DataFormatError, add_data_dir_argument, load_split, read_split, resolve_data_dir
from cls_core.data.normalize import clean_characters, normalize_headline, opencc_converter
from cls_core.evaluation.evaluate import evaluate, summary
from cls_core.evaluation.outlets import fit_outlet_threshold
from cls_core.models.checkpoint import CheckpointError, atomic_write_text
from cls_core.models.precision import add_precision_argument
from cls_core.models.predictor import (
    ENSEMBLE_METRICS,
    SHIPPED_MODELS,
    Ensemble,
    Predictor,
    add_device_argument,
    assess,
    ensemble_record,
)
from cls_core.models.unsure import fit_confidence_threshold

CONVERSIONS = ("s2twp", "s2hk")
CANDIDATES = ("t2s", "tw2s", "tw2sp", "hk2s")
TODAY = Path(__file__).resolve().parents[2] / "data" / "today" / "headlines.txt"


def convert(texts, config):
    converter = opencc_converter(config)
    return [converter.convert(t) for t in texts]


UNSEEN = "\U00030000"  # a CJK Extension G character: in no vocabulary, kept by normalisation


def hide_characters(texts, share, seed=0):
    """Each character replaced, with probability `share`, by one no model has seen: a stand-in
    for the new words, names and brands of today's headlines."""
    rng = np.random.default_rng(seed)
    return ["".join(UNSEEN if rng.random() < share else ch for ch in t) for t in texts]


def choose_opencc(dev_texts):
    """Share of dev headlines that each candidate restores exactly from each conversion, and
    the share of untouched (Simplified) headlines it leaves unchanged."""
    texts = [clean_characters(t) for t in dev_texts]
    rows = {}
    for back in CANDIDATES:
        row = {
            src: float(np.mean([normalize_headline(t, back) == o for t, o in zip(convert(texts, src), texts)]))
            for src in CONVERSIONS
        }
        row["simplified_unchanged"] = float(np.mean([normalize_headline(t, back) == t for t in texts]))
        rows[back] = row
    return rows


def unsure_figures(predictor, texts, labels, probs):
    """Share flagged unsure (and by which reason), coverage and accuracy of the answered rest."""
    verdicts = assess(predictor, texts, probs)
    unsure = np.array([v.unsure for v in verdicts])
    correct = probs.argmax(axis=1) == np.asarray(labels)
    reasons = {}
    for v in verdicts:
        if v.reason:
            reasons[v.reason] = reasons.get(v.reason, 0) + 1
    return {
        "flagged": float(unsure.mean()),
        "reasons": reasons,
        "accuracy_all": float(correct.mean()),
        "accuracy_answered": float(correct[~unsure].mean()) if (~unsure).any() else None,
        "accuracy_flagged": float(correct[unsure].mean()) if unsure.any() else None,
    }


def measure(members, data_dir, today_path=TODAY, ensemble_threshold=None, split="test"):
    """{model name: figures} for each predictor and, when there are several, their average,
    on the test split (or dev, for choices)."""
    test = load_split(data_dir, split)
    variants = {"test": test.texts}
    for config in CONVERSIONS:
        variants[config] = convert(test.texts, config)
    variants["unseen15"] = hide_characters(test.texts, 0.15)
    today = read_split(today_path, len(test.classes)) if Path(today_path).exists() else None
    probs, results, seconds = {}, {}, {}
    for name, predictor in members.items():
        start = time.perf_counter()
        probs[name] = {v: predictor.predict_proba(texts) for v, texts in variants.items()}
        seconds[name] = (time.perf_counter() - start) / len(variants)  # each variant is one pass
        if today:
            probs[name]["today"] = predictor.predict_proba(today[0])
    everyone = dict(members)
    if len(members) > 1:
        ensemble = Ensemble(list(members.values()), ensemble_threshold)
        everyone["ensemble"] = ensemble
        probs["ensemble"] = {v: np.mean([probs[n][v] for n in members], axis=0) for v in probs[next(iter(members))]}
    labels = np.asarray(test.labels)
    for name, predictor in everyone.items():
        p = probs[name]
        accuracy = {v: float((p[v].argmax(axis=1) == labels).mean()) for v in variants}
        row = {"test": accuracy["test"]}
        for config in CONVERSIONS:
            row[config] = accuracy[config]
            row[f"{config}_loss_points"] = round(100 * (accuracy["test"] - accuracy[config]), 2)
        row["unseen15"] = accuracy["unseen15"]
        if today:
            row["today"] = float((p["today"].argmax(axis=1) == np.asarray(today[1])).mean())
            row["today_headlines"] = len(today[0])
        row["unsure"] = unsure_figures(predictor, test.texts, test.labels, p["test"])
        if name in seconds:
            row["seconds_per_test_pass"] = round(seconds[name], 2)
        results[name] = row
    return results


def fit_ensemble(members, data_dir, checkpoint_dir):
    """Fit the ensemble's confidence threshold as each shipped model's is fitted (on the
    other outlet's fit half: cls_core.evaluation.outlets) and record it with its test summary.
    Without the other outlets (a data folder of THUCNews alone) it answers TARGET_COVERAGE of
    dev, as training fits a single model's."""
    ensemble = Ensemble(list(members.values()))
    try:
        threshold, _ = fit_outlet_threshold(ensemble, data_dir)
    except FileNotFoundError as e:
        print(f"the ensemble's threshold is fitted on dev: {e}", file=sys.stderr)
        threshold = fit_confidence_threshold(ensemble.predict_proba(load_split(data_dir, "dev").texts))
    ensemble.unsure_threshold = threshold
    record = {
        "members": [Path(m.path).name for m in members.values()],
        "unsure_threshold": threshold,
        "test": summary(evaluate(ensemble, load_split(data_dir, "test"), with_predictions=False)),
    }
    atomic_write_text(Path(checkpoint_dir) / ENSEMBLE_METRICS, json.dumps(record, indent=1))
    return threshold


def percent(share, width, digits=2):
    """A share as a percentage, right-aligned in width; "—" where there is none to give (no
    headline answered, none flagged, no today file): 0.00 % would be a claim."""
    return f"{share:>{width}.{digits}%}" if share is not None else f"{'—':>{width}}"


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m cls_core.evaluation.robustness",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--checkpoint", action="append", help="default: the three shipped checkpoints")
    parser.add_argument("--checkpoints", default="checkpoints", help="folder of the shipped checkpoints")
    add_data_dir_argument(parser)
    parser.add_argument("--today", default=str(TODAY), help="hand-written headlines of today's style")
    add_device_argument(parser)
    add_precision_argument(parser)
    parser.add_argument("--choose", action="store_true", help="compare OpenCC configurations on dev")
    parser.add_argument(
        "--write",
        action="store_true",
        help=f"fit the ensemble's threshold (cls_core.evaluation.outlets) and write {ENSEMBLE_METRICS}",
    )
    parser.add_argument("--split", default="test", choices=["dev", "test"], help="dev for choices, test to report")
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args(argv)
    data_dir = resolve_data_dir(args.data_dir)
    try:
        if args.choose:
            rows = choose_opencc(load_split(data_dir, "dev").texts)
            print(
                f"{'config':<8}" + "".join(f"{c + ' restored':>18}" for c in CONVERSIONS) + f"{'simplified kept':>18}"
            )
            for config, row in rows.items():
                print(
                    f"{config:<8}"
                    + "".join(f"{row[c]:>18.2%}" for c in CONVERSIONS)
                    + f"{row['simplified_unchanged']:>18.2%}"
                )
            return
        paths = args.checkpoint or [str(Path(args.checkpoints) / f) for f in SHIPPED_MODELS.values()]
        members = {Path(p).stem: Predictor.load(p, args.device, args.precision) for p in paths}
        threshold = (
            fit_ensemble(members, data_dir, args.checkpoints)
            if args.write and len(members) > 1
            else (ensemble_record(args.checkpoints, list(members.values())) or {}).get("unsure_threshold")
        )
        results = measure(members, data_dir, args.today, threshold, args.split)
    except (CheckpointError, DataFormatError, FileNotFoundError, ValueError) as e:
        sys.exit(f"error: {e}")
    print(
        f"{'model':<12}{args.split:>8}{'s2twp':>8}{'loss':>7}{'s2hk':>8}{'loss':>7}{'unseen15':>9}{'today':>8}"
        f"{'unsure':>8}{'acc answered':>14}{'acc flagged':>13}"
    )
    for name, r in results.items():
        u = r["unsure"]
        print(
            f"{name:<12}{r['test']:>8.2%}{r['s2twp']:>8.2%}{r['s2twp_loss_points']:>7.2f}{r['s2hk']:>8.2%}"
            f"{r['s2hk_loss_points']:>7.2f}{r['unseen15']:>9.2%}{percent(r.get('today'), 8, 1)}{u['flagged']:>8.1%}"
            f"{percent(u['accuracy_answered'], 14)}{percent(u['accuracy_flagged'], 13)}"
        )
    print(
        "loss = points of accuracy lost against the published (Simplified) split; unseen15 = test with 15 % of "
        "the characters replaced by one never seen; today = data/today/headlines.txt; unsure = share of test "
        "headlines flagged; — = no headline to measure"
    )
    if args.json:
        atomic_write_text(args.json, json.dumps(results, indent=1, ensure_ascii=False))
        print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
