"""Accuracy on slices of the test split: by headline length, and by the share of
characters the model never saw in training.

The reference tutorials cut every headline to a fixed pad size; the length slices show
what length does to our full-length models. Both take the predictions of an evaluate
report (cls_core.evaluate: one {"text", "label", "predicted"} per headline).
"""

import numpy as np

# (label, highest value in the bin); a bin holds what is above the one before it. Lengths of
# the text as read; the unknown share's first bin is exactly 0.
LENGTH_BINS = (("≤ 12", 12), ("13–16", 16), ("17–20", 20), ("21–24", 24), ("≥ 25", np.inf))
UNKNOWN_BINS = (("0", 0.0), ("0–5 %", 0.05), ("5–10 %", 0.10), ("> 10 %", np.inf))


def _rows(values, correct, bins):
    which = np.digitize(values, [high for _, high in bins[:-1]], right=True)  # edges[i-1] < value <= edges[i]
    rows = []
    for i, (label, _) in enumerate(bins):
        inside = which == i
        rows.append(
            {
                "bin": label,
                "headlines": int(inside.sum()),
                "accuracy": float(correct[inside].mean()) if inside.any() else None,
            }
        )
    return rows


def accuracy_slices(predictor, predictions):
    """{"length": [{"bin", "headlines", "accuracy"}], "unknown_share": [...]} for one model
    (Predictor or Ensemble) and its report's predictions."""
    read = [predictor.normalize(r["text"]) for r in predictions]
    correct = np.array([r["label"] == r["predicted"] for r in predictions])
    lengths = np.array([len(t) for t in read])
    unknown = np.array([predictor.unknown_share(t) for t in read])
    return {"length": _rows(lengths, correct, LENGTH_BINS), "unknown_share": _rows(unknown, correct, UNKNOWN_BINS)}
