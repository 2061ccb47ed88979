"""Honest confidence: temperature scaling (Guo et al., 2017) and how to measure calibration.

A network trained with cross-entropy is usually over-confident. Dividing its logits by one
scalar T > 0, fitted on dev to minimise negative log-likelihood, keeps every prediction
the same and makes "90 % sure" mean right about 90 % of the time. The probabilities are
scipy.special.softmax(scores / T, axis=1) (Predictor.calibrated).
"""

import numpy as np
import torch


def fit_temperature(logits, labels):
    """The T > 0 that minimises NLL of softmax(logits / T) on (logits, labels)."""
    logits = torch.as_tensor(np.asarray(logits), dtype=torch.float64)
    labels = torch.as_tensor(np.asarray(labels), dtype=torch.long)
    log_t = torch.zeros(1, dtype=torch.float64, requires_grad=True)  # T = exp(log_t) stays > 0
    optimizer = torch.optim.LBFGS([log_t], lr=0.1, max_iter=200, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(logits / log_t.exp(), labels)
        loss.backward()
        return loss

    optimizer.step(closure)
    return float(log_t.detach().exp())


def reliability_bins(probs, labels, bins=15):
    """Per equal-width confidence bin: count, mean confidence, accuracy."""
    probs = np.asarray(probs)
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == np.asarray(labels)
    edges = np.linspace(0.0, 1.0, bins + 1)
    # bin i holds (edges[i], edges[i+1]]; a confidence of exactly 0 falls into the first
    index = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, bins - 1)
    rows = []
    for i in range(bins):
        in_bin = index == i
        n = int(in_bin.sum())
        rows.append(
            {
                "lower": float(edges[i]),
                "upper": float(edges[i + 1]),
                "count": n,
                "confidence": float(confidence[in_bin].mean()) if n else None,
                "accuracy": float(correct[in_bin].mean()) if n else None,
            }
        )
    return rows


def expected_calibration_error(probs, labels, bins=15):
    """ECE: the count-weighted mean |accuracy - confidence| over equal-width bins."""
    total = len(labels)
    return float(
        sum(
            r["count"] / total * abs(r["accuracy"] - r["confidence"])
            for r in reliability_bins(probs, labels, bins)
            if r["count"]
        )
    )
