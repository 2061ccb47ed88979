"""Training in fp32 against bf16 autocast on this machine: time to the reference's dev accuracy,
and to our best.

    python -m cls_core.bench --train-precision --model textcnn --out-dir /tmp/precision

Each precision trains the shipped checkpoint's recipe (the train_args it records, less its
distillation teacher, whose making is not training's time) from scratch with
`python -m cls_core.train --precision P`, one after the other, each in a fresh process at
torch's default threads. The figures come from the run's per-epoch log (NAME.log.jsonl):
the training seconds so far (dev evaluation left out) and the dev accuracy at the end of
each epoch. The load average before and after each run says how much other work shared
the machine.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

from cls_core.models.checkpoint import load_checkpoint
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
    epochs = [r for r in map(json.loads, Path(log_path).read_text(encoding="utf-8").splitlines())
              if r["type"] == "epoch"]
    reached = next((r for r in epochs if r["dev_acc"] >= target), None)
    best = max(epochs, key=lambda r: r["dev_acc"])  # the first of equals: the earliest
    return {"epochs": len(epochs), "seconds_per_epoch": round(epochs[-1]["elapsed"] / len(epochs), 1),
            "to_target": reached and {"epoch": reached["epoch"], "seconds": reached["elapsed"]},
            "best": {"dev_acc": best["dev_acc"], "epoch": best["epoch"], "seconds": best["elapsed"]}}


def bench_train_precision(model, checkpoints, data_dir, out_dir, precisions=("fp32", "bf16"), device="cpu",
                          extra=()):
    """One training per precision of the shipped `model`'s recipe (plus `extra` arguments,
    which override it); its summary, test accuracy and the load averages around it."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    steps = recipe(Path(checkpoints) / f"{model}.pt")
    runs = {}
    for precision in precisions:
        out = out_dir / f"{model}-{precision}.pt"
        command = [sys.executable, "-m", "cls_core.train", *steps, *extra, "--precision", precision,
                   "--data-dir", str(data_dir), "--device", device, "--out", str(out)]
        before = os.getloadavg()[0]
        with open(out.with_suffix(".out"), "w", encoding="utf-8") as printed:
            subprocess.run(command, stdout=printed, stderr=subprocess.STDOUT, check=True)
        metrics = json.loads(out.with_suffix(".metrics.json").read_text(encoding="utf-8"))
        runs[precision] = dict(summarise(out.with_suffix(".log.jsonl")), trained_in=metrics["train_precision"],
                               test_acc=metrics.get("test", {}).get("accuracy"),
                               load_average=[round(before, 2), round(os.getloadavg()[0], 2)])
    return {"model": model, "target_dev_acc": REFERENCE_DEV_ACCURACY, "device": device,
            "command": " ".join(["python -m cls_core.train", *steps, *extra]), "runs": runs}


def print_train_precision(r):
    print(f"{r['model']} on {r['device']}: {r['command']} --precision P")
    print(f"{'precision':<10}{'s/epoch':>8}{'to ' + format(r['target_dev_acc'], '.2%') + ' dev':>22}"
          f"{'best dev':>26}{'test':>8}{'load avg':>14}")
    for precision, run in r["runs"].items():
        reached = run["to_target"]
        to_target = f"{reached['seconds']:.0f} s (epoch {reached['epoch']})" if reached else "not reached"
        best = run["best"]
        test = f"{run['test_acc']:.2%}" if run["test_acc"] is not None else "-"
        print(f"{run['trained_in']:<10}{run['seconds_per_epoch']:>8.1f}{to_target:>22}"
              f"{best['dev_acc']:>10.2%} at {best['seconds']:.0f} s (ep {best['epoch']}){test:>8}"
              f"{run['load_average'][0]:>7.2f}-{run['load_average'][1]:<6.2f}")
