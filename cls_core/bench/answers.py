"""bf16 against fp32 on the full test split: the same answers? (tests/test_precision.py checks a
sample, each precision forced; this prints the figures on all 10,000 headlines.)

    python -m cls_core.bench --answers
"""

import time
from pathlib import Path

import numpy as np

from cls_core.data import load_split
from cls_core.models.calibration import expected_calibration_error
from cls_core.models.predictor import Predictor

NETWORKS = {"TextCNN": "textcnn.pt", "BiLSTM-attention": "bilstm_att.pt"}


def bench_answers(checkpoints, data_dir):
    test = load_split(data_dir, "test")
    labels = np.asarray(test.labels)
    rows = {}
    for name, file in NETWORKS.items():
        probs, seconds = {}, {}
        for precision in ("fp32", "bf16"):
            predictor = Predictor.load(Path(checkpoints) / file, "cpu", precision)
            predictor.predict_proba(test.texts[:256])  # warm-up
            start = time.perf_counter()
            probs[precision] = predictor.predict_proba(test.texts)
            seconds[precision] = time.perf_counter() - start
        p32, p16 = probs["fp32"], probs["bf16"]
        rows[name] = {
            "accuracy_fp32": float((p32.argmax(1) == labels).mean()),
            "accuracy_bf16": float((p16.argmax(1) == labels).mean()),
            "same_top_class": float((p32.argmax(1) == p16.argmax(1)).mean()),
            "max_probability_difference": float(np.abs(p32 - p16).max()),
            "ece_fp32": expected_calibration_error(p32, labels),
            "ece_bf16": expected_calibration_error(p16, labels),
            "seconds_fp32": round(seconds["fp32"], 3),
            "seconds_bf16": round(seconds["bf16"], 3),
        }
    return rows


def print_answers(rows):
    print(
        f"{'network':<18}{'acc fp32':>10}{'acc bf16':>10}{'same top':>10}{'max |dp|':>10}"
        f"{'ECE fp32':>10}{'ECE bf16':>10}{'s fp32':>8}{'s bf16':>8}"
    )
    for name, r in rows.items():
        print(
            f"{name:<18}{r['accuracy_fp32']:>10.2%}{r['accuracy_bf16']:>10.2%}{r['same_top_class']:>10.2%}"
            f"{r['max_probability_difference']:>10.4f}{r['ece_fp32']:>10.2%}{r['ece_bf16']:>10.2%}"
            f"{r['seconds_fp32']:>8.2f}{r['seconds_bf16']:>8.2f}"
        )
