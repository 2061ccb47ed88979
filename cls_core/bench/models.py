"""Each shipped model measured alone, in its own process so that its peak RSS is its own:
training throughput, the test split's time, one prediction, one inspection, one full look
inside.

    python -m cls_core.bench           # this table, then the ratios (cls_core.bench.reference)
"""

import resource
import time
from pathlib import Path

import numpy as np
import torch

from cls_core.app.registry import ModelRegistry
from cls_core.app.service import Demo
from cls_core.app.views.inside import inside
from cls_core.bench.look import measure_deep_inspection
from cls_core.bench.timing import HEADLINE, percentiles, timed
from cls_core.data import load_split
from cls_core.models.linear import LinearModel
from cls_core.models.predictor import SHIPPED_MODELS, Predictor
from cls_core.training.loop import train_epoch


def training_throughput(predictor, texts, labels, steps=30, batch_size=64):
    """Headlines per second over `steps` real optimiser steps of the training loop (networks),
    or one full fit (linear)."""
    if predictor.kind == "linear":
        start = time.perf_counter()
        LinearModel.fit(texts, labels, predictor.classes)
        return len(texts) / (time.perf_counter() - start)
    model = predictor.model
    encoded = [predictor.encoder.encode(t) for t in texts[: steps * batch_size]]
    batches = [np.arange(i, min(i + batch_size, len(encoded))) for i in range(0, len(encoded), batch_size)]
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    start = time.perf_counter()
    train_epoch(model, encoded, torch.tensor(labels[: len(encoded)]), batches, optimizer, predictor.device)
    if predictor.device.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    model.eval()
    return len(encoded) / seconds


def bench_one(name, checkpoints, data_dir, device, precision="auto"):
    predictor = Predictor.load(Path(checkpoints) / SHIPPED_MODELS[name], device, precision)  # this model alone
    core = Demo(ModelRegistry({name: predictor}, checkpoints), Path(data_dir))
    test, train = load_split(data_dir, "test"), load_split(data_dir, "train")
    predictor.predict_proba(test.texts[:64])  # warm-up
    start = time.perf_counter()
    predictor.predict_proba(test.texts)
    test_seconds = time.perf_counter() - start
    result = {
        "model": name,
        "device": str(getattr(predictor, "device", "cpu")),
        "precision": predictor.precision,
        "test_set_seconds": round(test_seconds, 2),
        "predict": percentiles(timed(lambda: predictor.predict([HEADLINE]), 200)),
        "inspect": percentiles(timed(lambda: inside(Demo(core.registry, core.data_dir), HEADLINE, name), 20)),
        "deep_inspect": percentiles(measure_deep_inspection(core, name, repeats=20)),
    }
    result["train_headlines_per_s"] = round(training_throughput(predictor, train.texts, train.labels), 1)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return result
