"""What the report needs that only running the models can give, measured once and kept in
checkpoints/report-record.json beside the models (cls_core.app.report.record reads it):

- each model's report on the shipped test split (cls_core.evaluation.evaluate: per class,
  confusion, calibration, coverage), each headline's answer and its probability, and for
  the single models the accuracy by length and by unknown share;
- the three worked examples: what the BiLSTM looks at, integrated gradients, occlusion, the
  fewest characters that keep its answer and the smallest edit that flips it;
- the ensemble's answers on today's-style headlines (data/today/headlines.txt).

    python -m cls_core.report --record     # a few minutes on 2 cores

The report itself runs no model: this is the one module of the report that imports torch,
and the command line imports it only for --record (importing torch alone takes up to 8 s on
a busy 2-core machine, most of the report's budget of 10 s).
"""

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch

from cls_core.app import deep
from cls_core.app.report.record import RECORD, RECORD_COMMAND, checkpoint_hashes
from cls_core.app.views.overview import PUBLISHED
from cls_core.app.wording import ENSEMBLE
from cls_core.data import load_split, sha256_file
from cls_core.data.splits import DEMO_DATA_DIR, read_split
from cls_core.evaluation.evaluate import evaluate
from cls_core.evaluation.robustness import TODAY
from cls_core.evaluation.slices import accuracy_slices
from cls_core.models.checkpoint import atomic_write_text
from cls_core.models.predictor import SHIPPED_MODELS, Predictor, load_ensemble

CHECKPOINT_DIR = RECORD.parent
EXAMPLE_MODEL = "BiLSTM-attention"  # the network with attention: every method applies
EXAMPLE_LENGTHS = (12, 22)  # headlines of a usual length, whose charts stay readable


def load_models(checkpoint_dir=CHECKPOINT_DIR):
    """{name: Predictor} of the shipped models and their ensemble, in float32 on the CPU:
    what the checkpoints' records were measured with, whatever this machine would serve in."""
    models = {
        name: Predictor.load(Path(checkpoint_dir) / file, "cpu", precision="fp32")
        for name, file in SHIPPED_MODELS.items()
    }
    models[ENSEMBLE] = load_ensemble(list(models.values()), checkpoint_dir)
    return models


def model_record(predictor, test, single):
    """One model's evaluate report without the per-headline dicts, its answers as two flat
    lists (predicted class, probability of it), and for a single model its slices."""
    report = evaluate(predictor, test)
    predictions = report.pop("predictions")
    out = dict(
        report,
        predicted=[r["predicted"] for r in predictions],
        probability=[round(r["probability"], 4) for r in predictions],
    )
    if single:
        out["slices"] = accuracy_slices(predictor, predictions)
    return out


def choose_examples(test, record):
    """Three test headlines of a usual length, as the example model answered them: the
    first it gets right and is sure of, the first it gets wrong while sure, and the first
    it is unsure of (below its threshold). Chosen by rule, not by hand."""
    threshold = record["at_threshold"]["threshold"] if record.get("at_threshold") else 0.7
    low, high = EXAMPLE_LENGTHS
    kinds = {"right": None, "wrong": None, "unsure": None}
    for i, (text, label) in enumerate(zip(test.texts, test.labels)):
        if not low <= len(text) <= high:
            continue
        right, sure = record["predicted"][i] == label, record["probability"][i] >= threshold
        kind = "unsure" if not sure else "right" if right else "wrong"
        if kinds[kind] is None:
            kinds[kind] = i
        if None not in kinds.values():
            break
    return [(kind, i) for kind, i in kinds.items() if i is not None]


def example_record(predictor, test, kind, i):
    """What a look inside shows for one test headline (cls_core.app.deep.attributions), in
    plain numbers."""
    r = deep.attributions(predictor, test.texts[i])
    rounded = {m: [round(float(v), 5) for v in s] for m, s in r["scores"].items()}
    return {
        "kind": kind,
        "index": i,
        "text": test.texts[i],
        "label": int(test.labels[i]),
        "chars": r["chars"],
        "class": r["class"],
        "scores": rounded,
        "ig_delta": r["ig_delta"],
        "agreement": {k: (None if np.isnan(v) else round(float(v), 4)) for k, v in r["agreement"].items()},
        "reduction": r["reduction"],
        "flip": r["flip"],
    }


def today_record(ensemble, classes):
    """The ensemble's answer on each of today's-style headlines."""
    texts, labels = read_split(TODAY, len(classes))
    probs, assessments = ensemble.predict_assessed(texts)
    return [
        {
            "text": t,
            "label": int(y),
            "predicted": int(p.argmax()),
            "probability": round(float(p.max()), 4),
            "unsure": a.unsure,
            "reason": a.reason,
        }
        for t, y, p, a in zip(texts, labels, probs, assessments)
    ]


def build(checkpoint_dir=CHECKPOINT_DIR, data_dir=DEMO_DATA_DIR, out=RECORD, log=print):
    """Measure everything the report needs and write it to `out`; returns the record."""
    torch.manual_seed(0)
    test = load_split(data_dir, "test")
    models = load_models(checkpoint_dir)
    record = {
        "built_by": RECORD_COMMAND,
        "written": datetime.now(UTC).date().isoformat(),  # the models' measure, dated in the model card
        "precision": "fp32",
        "device": "cpu",
        "torch": str(torch.__version__),
        "data": {
            "file": "test.txt",
            "sha256": sha256_file(Path(data_dir) / "test.txt"),
            "classes": list(test.classes),
            "labels": [int(y) for y in test.labels],
        },
        "checkpoints": checkpoint_hashes(checkpoint_dir),
        "published_reference": PUBLISHED,
        "models": {},
    }
    for name, predictor in models.items():
        start = time.perf_counter()
        record["models"][name] = model_record(predictor, test, single=name != ENSEMBLE)
        log(
            json.dumps(
                {
                    "model": name,
                    "accuracy": record["models"][name]["accuracy"],
                    "seconds": round(time.perf_counter() - start, 1),
                }
            )
        )
    example_model = models[EXAMPLE_MODEL]
    record["example_model"] = EXAMPLE_MODEL
    record["examples"] = [
        example_record(example_model, test, kind, i)
        for kind, i in choose_examples(test, record["models"][EXAMPLE_MODEL])
    ]
    record["today"] = today_record(models[ENSEMBLE], test.classes)
    atomic_write_text(out, json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
    log(json.dumps({"record": str(out), "bytes": Path(out).stat().st_size}))
    return record
