"""Does the page stay responsive while a visitor's model trains? /predict's latency over
HTTP with nothing else running, then with one training running as the Train tab runs it.

    python -m cls_core.bench --train-load

The app runs with --allow-training. The training is started by a TrainingQueue in this
process with the very command line, priority and thread settings the app's queue uses
(cls_core.app.training_jobs): what competes with the app for the CPU is that process, and
the app's own share of a training (reading its log twice a second) is negligible beside it.
It trains a TextCNN on the shipped test split (10,000 THUCNews headlines) as one's own
file, long enough to outlast the measure, and is cancelled after it. The goal: /predict's
p95 with the training at most twice its idle figure.
"""

import os
import shutil
import tempfile
import time
from pathlib import Path

from cls_core.app.training_jobs import ENDED, RUNNING, TrainingOptions, TrainingQueue, training_command
from cls_core.bench.load import http_call, load, start_app
from cls_core.bench.timing import HEADLINE, percentiles
from cls_core.data.splits import DEMO_DATA_DIR, read_classes

GOAL = 2.0  # /predict's p95 with a training running, at most this many times its idle p95


def labelled_file(folder):
    """The shipped test split as a `text<TAB>label` file of one's own (class names as labels)."""
    classes = read_classes(DEMO_DATA_DIR / "class.txt")
    lines = (DEMO_DATA_DIR / "test.txt").read_text(encoding="utf-8").splitlines()
    path = Path(folder) / "thucnews-as-mine.tsv"
    path.write_text(
        "".join(f"{text}\t{classes[int(label)]}\n" for text, label in (line.rsplit("\t", 1) for line in lines if line)),
        encoding="utf-8",
    )
    return path


def bench_train_load(checkpoints, data_dir, clients=20, calls=25, rounds=2):
    """/predict under `clients` clients making `calls` calls each, idle and with one training
    running, `rounds` times each in turn (other load on a shared machine hits both)."""
    folder = Path(tempfile.mkdtemp(prefix="train-load-"))
    app, url, _ = start_app(
        checkpoints, data_dir, "--allow-training", "--models", str(folder / "app-models"), "--no-feedback"
    )
    queue = TrainingQueue(folder / "models", command=training_command)
    try:
        http_call(url, [HEADLINE, "TextCNN", 5])  # warm-up
        measured = {"idle": [], "training": []}
        errors = {"idle": 0, "training": 0}
        trained_through = True
        for _ in range(rounds):
            seconds, failed = load(url, clients, calls)
            measured["idle"] += seconds
            errors["idle"] += failed
            job = queue.submit(labelled_file(folder), TrainingOptions("textcnn", 50, f"load-{time.monotonic_ns()}"))
            deadline = time.monotonic() + 300
            while not (job.state == RUNNING and job.steps):  # the training is past loading, into its steps
                if job.state in ENDED or time.monotonic() > deadline:
                    raise RuntimeError(f"the training did not start: {job.state} {job.error}")
                time.sleep(0.2)
            seconds, failed = load(url, clients, calls)
            trained_through &= job.state == RUNNING  # it ran for the whole measure
            measured["training"] += seconds
            errors["training"] += failed
            steps = len(job.steps)
            queue.cancel(job.id)
        result = {
            "clients": clients,
            "calls_each": calls,
            "rounds": rounds,
            "cpus": os.cpu_count(),
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "trained_through": trained_through,
            "log_points_while_measured": steps,
        }
        for name, seconds in measured.items():
            result[name] = dict(percentiles(seconds), errors=errors[name])
        result["p95_ratio"] = round(result["training"]["p95_ms"] / result["idle"]["p95_ms"], 2)
        result["goal_met"] = result["p95_ratio"] <= GOAL
        return result
    finally:
        queue.close()
        app.terminate()
        app.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


def print_train_load(r):
    print(
        f"/predict, {r['clients']} clients x {r['calls_each']} calls, {r['rounds']} rounds each "
        f"({r['cpus']} CPUs, load average {' '.join(map(str, r['load_average']))}):"
    )
    for name in ("idle", "training"):
        print(f"  {name:<9} p50 {r[name]['p50_ms']:.0f} ms, p95 {r[name]['p95_ms']:.0f} ms, {r[name]['errors']} errors")
    print(
        f"  p95 with a training / idle: {r['p95_ratio']:.2f}x (goal: at most {GOAL:.0f}x: "
        f"{'met' if r['goal_met'] else 'NOT met'}); the training ran throughout: {r['trained_through']}"
    )
