"""Accuracy on slices of the test split: by headline length, and by the share of
characters the model never saw in training.

The reference tutorials cut every headline to a fixed pad size; the length slices show
what length does to our full-length models. Both take the predictions of an evaluate
report (cls_core.evaluate: one {"text", "label", "predicted"} per headline).
"""

import numpy as np

# (label, lowest, highest) inclusive; lengths of the text as read
LENGTH_BINS = (("≤ 12", 0, 12), ("13–16", 13, 16), ("17–20", 17, 20), ("21–24", 21, 24), ("≥ 25", 25, 10**6))
UNKNOWN_BINS = (("0", 0.0, 0.0), ("0–5 %", 1e-9, 0.05), ("5–10 %", 0.05 + 1e-9, 0.10), ("> 10 %", 0.10 + 1e-9, 1.0))


def _rows(values, correct, bins):
    rows = []
    for label, low, high in bins:
        inside = (values >= low) & (values <= high)
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
