"""Every CUDA path once, timed, in one command: for a GPU machine lent for a few minutes.

    python -m cls_core.bench --gpu --pack .gpu          # here, first: the small data folder the call carries
    python -m cls_core.bench --gpu --data-dir .gpu/data --json $OUT/gpu.json     # there
    python -m cls_core.bench --gpu --device cpu --limit 200    # the same steps on the CPU (the test's)

The steps, for each network (TextCNN, BiLSTM-attention):

- train:    one epoch of `python -m cls_core.train` on the training split, in the precision it
            picks there (bf16 autocast on a GPU that has bf16, else fp16 with a GradScaler),
            then its dev and test accuracy;
- load:     the shipped checkpoint onto the device, its fast path built there;
- evaluate: the test split through the fast path (cls_core.evaluation.evaluate) and through the
            nn.Module, against the accuracy recorded on the CPU, and their largest logit gap;
            each timed on its second pass;
- look:     one look inside a headline: occlusion, the reading, the network's own inspection,
            integrated gradients (Captum), the flip search and input reduction; timed warm;
- map:      the classifier's vectors of 1,000 test headlines, then PCA and t-SNE;

and once: ddp, `torchrun --standalone --nproc_per_node=1 -m cls_core.train` on a small slice,
NCCL on CUDA (gloo on the CPU). Each step runs in its own try/except: a failure goes into the
table and the JSON with its full traceback, and the next step runs; the exit status is 1 when
any failed. Without CUDA, `--device cuda` (the default here) says so in one line and exits 1.

Nothing here imports gradio or plotly, which the GPU machine lacks; it needs captum and
opencc there, carried as wheels (README, "On a GPU").
"""

import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np
import torch

from cls_core.bench.timing import HEADLINE_30
from cls_core.data import (
    EMBEDDING_FILE,
    EMBEDDING_VOCAB_FILE,
    Dataset,
    load_pretrained,
    load_split,
    read_classes,
    read_split,
)
from cls_core.evaluation.evaluate import evaluate
from cls_core.explain import attribution, counterfactual, inspection, projection
from cls_core.models.predictor import Predictor, network_logits
from cls_core.training.train import main as train_main

ROOT = Path(__file__).resolve().parents[2]
NETWORKS = ("textcnn", "bilstm_att")
MAP_HEADLINES = 1000
DDP_HEADLINES = 2000  # training and dev headlines of the torchrun step
PACK_TRAIN = 10_000  # training headlines in the packed data folder
PRINTED_TAIL = 3000  # characters of a failed step's printed output kept beside its traceback


def evenly(dataset, limit):
    """At most `limit` headlines of a split, evenly spaced: the published test split is sorted
    by topic, so its first N would hold one or two topics."""
    if not limit or limit >= len(dataset):
        return dataset
    at = np.linspace(0, len(dataset) - 1, limit).round().astype(int)
    return Dataset([dataset.texts[i] for i in at], [dataset.labels[i] for i in at], dataset.classes)


def synchronize(device):
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


class Run:
    """The rows of the table: one per step and network, each {"step", "model", "seconds",
    "summary", "figures", "error"}."""

    def __init__(self, device):
        self.device, self.rows = device, []

    def step(self, step, model, work):
        """Run work() -> (summary, figures), timed; a failure's traceback (and the tail of what
        the step printed) is kept in the row instead of stopping the run."""
        printed = io.StringIO()
        start = time.perf_counter()
        try:
            with contextlib.redirect_stdout(printed):
                summary, figures = work()
                synchronize(self.device)
            error = None
        except (Exception, SystemExit):  # SystemExit: the training CLI's sys.exit("error: ...")
            summary, figures = "failed", {}
            error = traceback.format_exc() + (
                "\nprinted before:\n" + printed.getvalue()[-PRINTED_TAIL:] if printed.getvalue() else ""
            )
        row = {
            "step": step,
            "model": model,
            "seconds": round(time.perf_counter() - start, 2),
            "summary": summary,
            "figures": figures,
            "error": error,
        }
        self.rows.append(row)
        print(f"{step:<10}{model:<12}{row['seconds']:>8.2f}  {summary}", flush=True)
        return row


def train_one_epoch(name, data_dir, device, out_dir, limit):
    """One epoch of `python -m cls_core.train`, in this process."""
    out = Path(out_dir) / f"{name}.pt"
    argv = ["--model", name, "--data-dir", str(data_dir), "--device", device, "--epochs", "1", "--out", str(out)]
    if limit:
        argv += ["--train-limit", str(limit), "--dev-limit", str(limit)]
    train_main(argv)
    metrics = json.loads(out.with_suffix(".metrics.json").read_text(encoding="utf-8"))
    epoch = [json.loads(line) for line in out.with_suffix(".log.jsonl").read_text(encoding="utf-8").splitlines()][-1]
    figures = {
        "train_precision": metrics["train_precision"],
        "train_seconds": metrics["train_seconds"],
        "headlines_per_s": epoch["headlines_per_s"],
        "dev_accuracy": metrics["dev"]["accuracy"],
        "test_accuracy": metrics.get("test", {}).get("accuracy"),
    }
    summary = (
        f"1 epoch in {figures['train_seconds']:.1f} s ({figures['train_precision']}, "
        f"{figures['headlines_per_s']:,.0f} headlines/s), dev {figures['dev_accuracy']:.2%}"
        + (f", test {figures['test_accuracy']:.2%}" if figures["test_accuracy"] is not None else "")
    )
    return summary, figures


def load_shipped(name, checkpoints, device):
    predictor = Predictor.load(Path(checkpoints) / f"{name}.pt", device)
    predictor.predict_proba([HEADLINE_30] * 8)  # the first call builds the device's kernels
    fast = type(predictor.fast).__name__ if predictor.fast is not None else "none"
    return predictor, (f"on {predictor.device}, fast path {fast}", {"fast_path": fast})


def evaluate_test(predictor, test):
    """The test split through the fast path and through the nn.Module, each timed on its
    second pass: the first meets every headline length, and so every kernel shape, anew."""
    texts, labels = predictor.normalize_many(test.texts), np.asarray(test.labels)
    gap = float(
        np.abs(
            network_logits(predictor.model, predictor.encoder, texts, predictor.device) - predictor.scores(test.texts)
        ).max()
    )
    start = time.perf_counter()
    report = evaluate(predictor, test, with_predictions=False)
    synchronize(predictor.device)
    fast_seconds = time.perf_counter() - start
    start = time.perf_counter()
    module = network_logits(predictor.model, predictor.encoder, texts, predictor.device)
    synchronize(predictor.device)
    module_seconds = time.perf_counter() - start
    recorded = predictor.metrics.get("test", {})
    figures = {
        "headlines": len(test),
        "precision": predictor.precision,
        "accuracy": report["accuracy"],
        "fast_seconds": round(fast_seconds, 3),
        "module_accuracy": float((module.argmax(1) == labels).mean()),
        "module_seconds": round(module_seconds, 3),
        "max_logit_gap": gap,
        "recorded_accuracy": recorded.get("accuracy"),
        "recorded_headlines": recorded.get("headlines"),
    }
    summary = (
        f"{len(test):,} headlines: fast path {report['accuracy']:.2%} in {fast_seconds:.2f} s, "
        f"module {figures['module_accuracy']:.2%} in {module_seconds:.2f} s, largest logit gap {gap:.1e}; "
        f"recorded on the CPU: {recorded.get('accuracy', float('nan')):.2%} "
        f"({recorded.get('headlines', '?')} headlines)"
    )
    return summary, figures


def look_inside(predictor, text=HEADLINE_30):
    """Everything the Inside tab computes for one headline, without its figures."""
    occluded = inspection.occlusion(predictor, text)
    inspection.reading(predictor, text)
    if predictor.kind == "bilstm_att":
        inspection.inspect_bilstm(predictor, text)
    else:
        inspection.inspect_textcnn(predictor, text, occluded["class_index"])
    ig = attribution.integrated_gradients(predictor, text)
    flip = counterfactual.smallest_flip(predictor, text)
    reduced = counterfactual.input_reduction(predictor, text, ig["scores"])
    return ig, flip, reduced


def look_twice(predictor):
    look_inside(predictor)  # warm-up: kernels, the attribution copy
    synchronize(predictor.device)
    start = time.perf_counter()
    ig, flip, reduced = look_inside(predictor)
    synchronize(predictor.device)
    warm = time.perf_counter() - start
    edit = flip["flip"] and flip["flip"]["edit"]
    figures = {
        "warm_seconds": round(warm, 3),
        "ig_delta": ig["ig_delta"],
        "ig_steps": ig["n_steps"],
        "class": predictor.classes[ig["class_index"]],
        "flip": edit,
        "reduced": reduced["text"],
    }
    summary = (
        f"warm look {warm:.2f} s: {figures['class']}, IG delta {ig['ig_delta']:+.3f} in {ig['n_steps']} steps, "
        + (f"flip {edit['kind']} {edit['from']}->{edit['to'] or '-'}" if edit else "no flip found")
        + f", reduced to {reduced['text']}"
    )
    return summary, figures


def map_of(predictor, test, headlines=MAP_HEADLINES):
    texts = evenly(test, headlines).texts
    start = time.perf_counter()
    vectors, _ = projection.representations(predictor, texts)
    synchronize(predictor.device)
    encoding = time.perf_counter() - start
    start = time.perf_counter()
    coords = projection.project(vectors)
    projecting = time.perf_counter() - start
    if not np.isfinite(coords).all():
        raise ValueError("the map holds non-finite coordinates")
    figures = {"headlines": len(texts), "encoding_seconds": round(encoding, 3), "tsne_seconds": round(projecting, 3)}
    return f"{len(texts):,} headlines: vectors {encoding:.2f} s, PCA + t-SNE {projecting:.2f} s", figures


def torchrun_slice(data_dir, device, out_dir, limit):
    """`torchrun --standalone --nproc_per_node=1 -m cls_core.train` on a small slice, in a
    fresh process group (NCCL on CUDA, gloo on the CPU)."""
    headlines = min(limit or DDP_HEADLINES, DDP_HEADLINES)
    out = Path(out_dir) / "ddp" / "textcnn.pt"
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=1",
        "-m",
        "cls_core.train",
        "--model",
        "textcnn",
        "--epochs",
        "1",
        "--train-limit",
        str(headlines),
        "--dev-limit",
        str(headlines),
        "--data-dir",
        str(data_dir),
        "--device",
        device,
        "--out",
        str(out),
    ]
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    done = subprocess.run(
        command, cwd=ROOT, env=dict(os.environ, PYTHONPATH=path), capture_output=True, text=True, timeout=300
    )
    if done.returncode:
        raise RuntimeError(
            f"torchrun exited with {done.returncode}:\n{done.stdout[-PRINTED_TAIL:]}\n{done.stderr[-PRINTED_TAIL:]}"
        )
    metrics = json.loads(out.with_suffix(".metrics.json").read_text(encoding="utf-8"))
    backend = "nccl" if torch.device(device).type == "cuda" else "gloo"
    figures = {
        "backend": backend,
        "headlines": headlines,
        "train_seconds": metrics["train_seconds"],
        "dev_accuracy": metrics["dev"]["accuracy"],
        "train_precision": metrics["train_precision"],
    }
    return (
        f"{backend}, {headlines:,} headlines, 1 epoch in {metrics['train_seconds']:.1f} s "
        f"({metrics['train_precision']}), dev {metrics['dev']['accuracy']:.2%}"
    ), figures


def machine(device):
    """What the table was measured on."""
    about = {"device": str(device), "torch": torch.__version__, "python": sys.version.split()[0]}
    if torch.device(device).type == "cuda":
        about.update(
            gpu=torch.cuda.get_device_name(),
            cuda=torch.version.cuda,
            bf16=torch.cuda.is_bf16_supported(),
            capability=".".join(map(str, torch.cuda.get_device_capability())),
        )
    else:
        about.update(threads=torch.get_num_threads())
    return about


def bench_gpu(checkpoints, data_dir, device="cuda", limit=None):
    """Every step (see the module docstring); returns {"machine", "rows"}."""
    about = machine(device)
    print(" ".join(f"{k} {v}" for k, v in about.items()), flush=True)
    run = Run(device)
    test = evenly(load_split(data_dir, "test"), limit)
    with tempfile.TemporaryDirectory(prefix="bench-gpu-") as out_dir:
        for name in NETWORKS:
            run.step("train", name, lambda: train_one_epoch(name, data_dir, device, out_dir, limit))
        for name in NETWORKS:
            loaded = {}

            def load():
                loaded["predictor"], result = load_shipped(name, checkpoints, device)
                return result

            def shipped():
                if "predictor" not in loaded:
                    raise RuntimeError(f"skipped: {name}'s checkpoint did not load (see its load row)")
                return loaded["predictor"]

            run.step("load", name, load)
            run.step("evaluate", name, lambda: evaluate_test(shipped(), test))
            run.step("look", name, lambda: look_twice(shipped()))
            run.step("map", name, lambda: map_of(shipped(), test))
        run.step("ddp", "textcnn", lambda: torchrun_slice(data_dir, device, out_dir, limit))
    return {"machine": about, "rows": run.rows}


def print_table(r):
    print(f"\n{'step':<10}{'model':<12}{'seconds':>8}  result")
    for row in r["rows"]:
        print(f"{row['step']:<10}{row['model']:<12}{row['seconds']:>8.2f}  {row['summary']}")
    for row in r["rows"]:
        if row["error"]:
            print(f"\n--- {row['step']} {row['model']} failed:\n{row['error']}")


def pack(folder, data_dir, train_headlines=PACK_TRAIN):
    """Write folder/data: the first `train_headlines` training headlines, dev, test, class.txt,
    and the pretrained vectors of the characters those training headlines hold (float32,
    which is what training reads). Returns the folder's size in bytes."""
    out = Path(folder) / "data"
    out.mkdir(parents=True, exist_ok=True)
    data_dir = Path(data_dir)
    lines = (data_dir / "train.txt").read_text(encoding="utf-8").splitlines()[:train_headlines]
    (out / "train.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for name in ("dev.txt", "test.txt", "class.txt"):
        (out / name).write_bytes((data_dir / name).read_bytes())
    chars, matrix = load_pretrained(data_dir)
    seen = set("".join(line.rpartition("\t")[0] for line in lines))
    keep = [i for i, ch in enumerate(chars) if ch in seen or len(ch) > 1]  # <UNK>, <PAD> too
    np.savez_compressed(out / EMBEDDING_FILE, embeddings=matrix[keep])
    (out / EMBEDDING_VOCAB_FILE).write_text(json.dumps([chars[i] for i in keep], ensure_ascii=False), encoding="utf-8")
    read_split(out / "train.txt", len(read_classes(out / "class.txt")))  # what was written reads back
    return sum(p.stat().st_size for p in out.iterdir())


def main(checkpoints, data_dir, device="cuda", limit=None, json_path=None, pack_to=None):
    """`python -m cls_core.bench --gpu`: the table, or with pack_to the data folder."""
    if pack_to:
        size = pack(pack_to, data_dir)
        print(f"wrote {Path(pack_to) / 'data'} ({size / 1e6:.1f} MB)")
        return
    if torch.device(device).type == "cuda" and not torch.cuda.is_available():
        sys.exit(
            f"no CUDA device: PyTorch {torch.__version__} sees no GPU here "
            f"(python -m cls_core.bench --gpu --device cpu --limit 200 runs the same steps on the CPU)"
        )
    r = bench_gpu(checkpoints, data_dir, device, limit)
    print_table(r)
    if json_path:
        text = json.dumps(r, indent=1, ensure_ascii=False, default=str)
        if json_path is True:
            print(text)
        else:
            Path(json_path).write_text(text, encoding="utf-8")
            print(f"figures written to {json_path}")
    failed = [f"{row['step']} {row['model']}" for row in r["rows"] if row["error"]]
    if failed:
        sys.exit(f"{len(failed)} of {len(r['rows'])} steps failed: {', '.join(failed)}")
