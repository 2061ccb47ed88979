"""Training on a labelled file of one's own, timed: how long `python -m cls_core.train
--train-file` takes on a file the size a user might bring.

    python -m cls_core.bench --own-data [--out-dir DIR] [--json]
    python -m cls_core.bench --own-data --train-file FILE     # any labelled file instead
    python tests/owndata.py mine.tsv && python -m cls_core.bench --own-data --train-file mine.tsv
                                                              # the tests' small set (4 x 100)

The file: 5 THUCNews classes x 2,000 headlines of the full training split ($CLS_DATA_DIR),
written as `text<TAB>class name` lines. Each model (textcnn, bilstm_att, linear) trains on it
through the command line with default options (the carved 80/10/10 split, torch's default
threads) in its own process, as a user or the Train tab runs it. For each: the seconds to the
end of its best-dev epoch (the log's wall clock: from the start of training, dev evaluation
included), the process's total seconds (start-up, reading, calibration and saving included),
and dev and test accuracy. The goal: a TextCNN reaches the end of its best-dev epoch within
60 s on a 2-core CPU.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cls_core.data import load_split
from cls_core.models.checkpoint import checkpoint_file_name

MODELS = ("textcnn", "bilstm_att", "linear")
CLASSES, PER_CLASS = 5, 2000


def write_own_file(data_dir, path, classes=CLASSES, per_class=PER_CLASS):
    """The first `per_class` training headlines of each of the first `classes` classes, as a
    labelled file; returns path. A FileNotFoundError says where the data should be."""
    train = load_split(data_dir, "train")
    taken = {c: 0 for c in range(classes)}
    lines = []
    for text, label in zip(train.texts, train.labels):
        if label in taken and taken[label] < per_class:
            taken[label] += 1
            lines.append(f"{text}\t{train.classes[label]}\n")
    Path(path).write_text("".join(lines), encoding="utf-8")
    return Path(path)


def best_epoch(log_path):
    """The log's epoch line with the best dev accuracy (the first, as training keeps it)."""
    epochs = [json.loads(line) for line in open(log_path, encoding="utf-8")]
    epochs = [r for r in epochs if r["type"] == "epoch"]
    return max(epochs, key=lambda r: (r["dev_acc"], -r["epoch"])), len(epochs)


def train_one(model, train_file, folder, data_dir, device):
    """Train one model on train_file into folder in a fresh process; its figures."""
    out = Path(folder) / checkpoint_file_name(model)
    start = time.perf_counter()
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "cls_core.train",
            "--model",
            model,
            "--train-file",
            str(train_file),
            "--out",
            str(out),
            "--data-dir",
            str(data_dir),
            "--device",
            device,
        ],
        capture_output=True,
        text=True,
        env=dict(os.environ),
    )
    total = time.perf_counter() - start
    if run.returncode:
        return {"model": model, "failed": run.stderr[-1000:]}
    metrics = json.loads(out.with_suffix(".metrics.json").read_text(encoding="utf-8"))
    figures = {
        "model": model,
        "total_seconds": round(total, 1),
        "dev_accuracy": metrics["dev"]["accuracy"],
        "test_accuracy": metrics["test"]["accuracy"],
        "train_seconds": metrics["train_seconds"],
    }
    if model != "linear":
        best, epochs = best_epoch(out.with_suffix(".log.jsonl"))
        figures.update(best_epoch=best["epoch"], epochs=epochs, seconds_to_best_epoch=best["wall"])
    return figures


def bench_own_data(data_dir, out_dir=None, device="auto", train_file=None):
    """Each model's figures on train_file (default: the 5 x 2,000 file), trained into out_dir
    (default: a temporary folder, removed afterwards)."""
    import torch

    with tempfile.TemporaryDirectory(prefix="own-data-") as scratch:
        folder = Path(out_dir or scratch)
        folder.mkdir(parents=True, exist_ok=True)
        if train_file is None:
            train_file = write_own_file(data_dir, folder / "own.tsv")
            described = f"{CLASSES} classes x {PER_CLASS} headlines of {data_dir}/train.txt"
        else:
            described = str(train_file)
        figures = {
            "file": described,
            "torch_threads": torch.get_num_threads(),
            "cpus": os.cpu_count(),
            "load_average_before": list(os.getloadavg()),
            "models": [],
        }
        for model in MODELS:
            figures["models"].append(train_one(model, train_file, folder / "models", data_dir, device))
            print(f"{model}: done", flush=True)
        figures["load_average_after"] = list(os.getloadavg())
    return figures


def print_own_data(r):
    print(
        f"{r['file']}; torch threads {r['torch_threads']} on {r['cpus']} CPUs; load average "
        f"{r['load_average_before'][0]:.2f} before, {r['load_average_after'][0]:.2f} after"
    )
    print(f"{'model':<12}{'best epoch':>12}{'s to its end':>14}{'total s':>10}{'dev acc':>10}{'test acc':>10}")
    for m in r["models"]:
        if "failed" in m:
            print(f"{m['model']:<12} failed: {m['failed']}")
            continue
        best = f"{m['best_epoch']}/{m['epochs']}" if "best_epoch" in m else "-"
        to_best = f"{m['seconds_to_best_epoch']:.1f}" if "best_epoch" in m else f"{m['train_seconds']:.1f} (fit)"
        print(
            f"{m['model']:<12}{best:>12}{to_best:>14}{m['total_seconds']:>10.1f}"
            f"{m['dev_accuracy']:>10.2%}{m['test_accuracy']:>10.2%}"
        )
