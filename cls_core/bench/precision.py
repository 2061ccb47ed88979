"""Training in fp32 against bf16 autocast on this machine: time to the reference's dev accuracy,
and to our best.

    python -m cls_core.bench --train-precision --model textcnn --out-dir /tmp/precision
    python -m cls_core.bench --train-precision --model textcnn     # the step timing alone

Each precision trains the shipped checkpoint's recipe (the train_args it records, less its
distillation teacher, whose making is not training's time) from scratch with
`python -m cls_core.train --precision P`. The trainings run side by side, one torch thread
each (--threads), so that other work on a shared machine slows both alike: one after the
other, each at two threads, they met different loads, and two-thread pools on an
oversubscribed machine stall each other (40 times slower steps, seen here). The figures come
from each run's per-epoch log (NAME.log.jsonl): the training seconds so far (dev evaluation
left out) and the dev accuracy at the end of each epoch. The load average before and after
says how much other work shared the machine.

First, the same command times the training step alone: optimiser steps of the shipped
network on real batches, in each precision in turn, best of three alternating rounds
(`step_seconds`), at the bench's torch threads.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import torch

from cls_core.data import load_split
from cls_core.models.checkpoint import load_checkpoint
from cls_core.models.precision import DTYPES
from cls_core.models.predictor import Predictor
from cls_core.training.distributed import epoch_batches
from cls_core.training.loop import Objective, train_epoch
from cls_core.training.train import build_parser

# The reference project's TextCNN on the same data, on this machine (README, Results).
REFERENCE_DEV_ACCURACY = 0.8782
# What a run of the recipe does not take from the checkpoint: where it reads and writes, on
# what, in what precision, and the teacher (see the module docstring).
NOT_RECIPE = {"out", "data_dir", "device", "resume", "precision", "teacher", "distill_weight"}


def recipe(checkpoint):
    """The `python -m cls_core.train` arguments a checkpoint was trained with (its train_args),
    less NOT_RECIPE and those at their default."""
    args = json.loads(load_checkpoint(checkpoint)["train_args"])
    defaults = vars(build_parser().parse_args(["--model", args["model"]]))
    flags = []
    for key, value in args.items():
        if key in NOT_RECIPE or value is None or value is False or (key != "model" and value == defaults.get(key)):
            continue
        flag = "--" + key.replace("_", "-")
        if value is True:
            flags.append(flag)
        elif isinstance(value, list):
            flags += [flag, *map(str, value)]
        else:
            flags += [flag, str(value)]
    return flags


def summarise(log_path, target=REFERENCE_DEV_ACCURACY):
    """{"epochs", "seconds_per_epoch", "to_target" {"epoch", "seconds"} or None, "best"
    {"dev_acc", "epoch", "seconds"}} from a training's per-epoch log."""
    epochs = [
        r for r in map(json.loads, Path(log_path).read_text(encoding="utf-8").splitlines()) if r["type"] == "epoch"
    ]
    reached = next((r for r in epochs if r["dev_acc"] >= target), None)
    best = max(epochs, key=lambda r: r["dev_acc"])  # the first of equals: the earliest
    return {
        "epochs": len(epochs),
        "seconds_per_epoch": round(epochs[-1]["elapsed"] / len(epochs), 1),
        "to_target": reached and {"epoch": reached["epoch"], "seconds": reached["elapsed"]},
        "best": {"dev_acc": best["dev_acc"], "epoch": best["epoch"], "seconds": best["elapsed"]},
    }


def step_seconds(checkpoint, data_dir, precisions=("fp32", "bf16"), steps=20, rounds=3, batch_size=64):
    """{precision: seconds per optimiser step}: the checkpoint's network trained on the first
    steps * batch_size training headlines, batched by length as training batches them, in
    each precision in turn, best of `rounds` alternating rounds."""
    predictor = Predictor.load(checkpoint, "cpu")
    train = load_split(data_dir, "train")
    texts = predictor.normalize_many(train.texts[: steps * batch_size])
    encoded = [predictor.encoder.encode(t) for t in texts]
    labels = torch.tensor(train.labels[: len(encoded)])
    batches = epoch_batches([len(c) for c, _ in encoded], batch_size, seed=1, epoch=1)
    objective = Objective(label_smoothing=0.1, clip=1.0, char_dropout=0.1)
    optimizer = torch.optim.AdamW(predictor.model.parameters(), lr=1e-5)
    best = dict.fromkeys(precisions, float("inf"))
    for _ in range(rounds):
        for precision in precisions:
            dtype = None if precision == "fp32" else DTYPES[precision]
            start = time.perf_counter()
            train_epoch(
                predictor.model, encoded, labels, batches, optimizer, predictor.device, objective, autocast_dtype=dtype
            )
            best[precision] = min(best[precision], (time.perf_counter() - start) / len(batches))
    return {p: round(s, 4) for p, s in best.items()}


def bench_train_precision(
    model, checkpoints, data_dir, out_dir=None, precisions=("fp32", "bf16"), device="cpu", extra=(), threads=1
):
    """The seconds per step of each precision (step_seconds); then, given out_dir, one
    training per precision of the shipped `model`'s recipe (plus `extra` arguments, which
    override it), side by side at `threads` torch threads each: its summary, test accuracy
    and the load averages around them."""
    steps = recipe(Path(checkpoints) / f"{model}.pt")
    per_step = step_seconds(Path(checkpoints) / f"{model}.pt", data_dir, precisions)
    result = {
        "model": model,
        "target_dev_acc": REFERENCE_DEV_ACCURACY,
        "device": device,
        "command": " ".join(["python -m cls_core.train", *steps, *extra]),
        "step_ms": {p: round(s * 1000, 1) for p, s in per_step.items()},
        "step_threads": torch.get_num_threads(),
        "threads": threads,
        "runs": {},
    }
    if out_dir is None:
        return result
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    before, running = os.getloadavg()[0], {}
    for precision in precisions:
        out = out_dir / f"{model}-{precision}.pt"
        command = [
            sys.executable,
            "-m",
            "cls_core.train",
            *steps,
            *extra,
            "--precision",
            precision,
            "--data-dir",
            str(data_dir),
            "--device",
            device,
            "--out",
            str(out),
        ]
        with open(out.with_suffix(".out"), "w", encoding="utf-8") as printed:
            running[precision] = (
                out,
                subprocess.Popen(
                    command,
                    stdout=printed,
                    stderr=subprocess.STDOUT,
                    env=dict(os.environ, OMP_NUM_THREADS=str(threads)),
                ),
            )
    for precision, (out, process) in running.items():
        if process.wait():
            raise subprocess.CalledProcessError(process.returncode, process.args)
        metrics = json.loads(out.with_suffix(".metrics.json").read_text(encoding="utf-8"))
        result["runs"][precision] = dict(
            summarise(out.with_suffix(".log.jsonl")),
            trained_in=metrics["train_precision"],
            test_acc=metrics.get("test", {}).get("accuracy"),
        )
    result["load_average"] = [round(before, 2), round(os.getloadavg()[0], 2)]
    return result


def print_train_precision(r):
    print(
        f"{r['model']}, one optimiser step of 64 headlines at {r['step_threads']} thread(s), best of 3 "
        f"alternating rounds of 20: " + ", ".join(f"{p} {ms:.1f} ms" for p, ms in r["step_ms"].items())
    )
    if not r["runs"]:
        return
    print(
        f"{r['model']} on {r['device']}, side by side at {r['threads']} thread(s) each, load average "
        f"{r['load_average'][0]:.2f} before, {r['load_average'][1]:.2f} after: {r['command']} --precision P"
    )
    print(
        f"{'precision':<10}{'s/epoch':>8}{'to ' + format(r['target_dev_acc'], '.2%') + ' dev':>22}"
        f"{'best dev':>26}{'test':>8}"
    )
    for run in r["runs"].values():
        reached = run["to_target"]
        to_target = f"{reached['seconds']:.0f} s (epoch {reached['epoch']})" if reached else "not reached"
        best = run["best"]
        test = f"{run['test_acc']:.2%}" if run["test_acc"] is not None else "-"
        print(
            f"{run['trained_in']:<10}{run['seconds_per_epoch']:>8.1f}{to_target:>22}"
            f"{best['dev_acc']:>10.2%} at {best['seconds']:.0f} s (ep {best['epoch']}){test:>8}"
        )
