"""The tutorials' claims, measured on our data: one command, one JSON file.

    python -m cls_core.training.experiments                 # writes checkpoints/experiments.json
    python -m cls_core.training.experiments --quick --data-dir D --out F   # a tiny smoke version

Four comparisons, each on the same schedule within itself (SCHEDULE: 15,000 of the 45,000
training headlines (evenly spaced, so every topic is there), 2 epochs, the shipped model's
optimiser without weight averaging or distillation; accuracy of the final weights, argmax,
on the whole dev and test splits). The schedule is short so that the eleven trainings fit
on a few CPU cores (the results file records each run's seconds and the whole run's);
absolute accuracies are therefore below the shipped models', and the comparisons are what
counts:

- cells: vanilla RNN vs GRU vs LSTM, unidirectional vs bidirectional ("rnn", "gru", "lstm");
- pad_size: every headline cut or padded to 7, 16 or 32 characters, the padding fed to
  the network as input and attended to (as the tutorials do), against our packing of each
  headline at its full length with attention masked to it ("packed");
- batch_size: 64, 128, 256 at the same learning rate and epochs: accuracy, time per epoch;
- vanishing_gradients: the norm of d loss / d input embedding at each position, averaged
  over test headlines of one length, for a unidirectional vanilla RNN and LSTM, freshly
  initialised and trained.

Every model is the shipped BiLSTM-attention architecture (2 layers x 128 units, Tencent
characters + bigrams, additive attention) but for the one thing compared. Results are
written after every run, so a stopped run keeps what it finished, and a rerun of the
same schedule skips what is already in the file.
"""

import argparse
import json
import math
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from cls_core.data import (
    TextEncoder,
    Vocab,
    add_data_dir_argument,
    bigram_tokens,
    length_buckets,
    load_pretrained,
    load_split,
    pad_batch,
    resolve_data_dir,
)
from cls_core.data.normalize import normalize_headline
from cls_core.models.checkpoint import atomic_write_text
from cls_core.models.gradients import layer_gradient
from cls_core.models.networks import BiLSTMAttention, count_parameters, init_from_pretrained
from cls_core.training.distributed import epoch_batches
from cls_core.training.loop import Objective, one_cycle_adamw, train_epoch

SCHEDULE = {
    "epochs": 2,
    "batch_size": 64,
    "lr": 2e-3,
    "warmup": 0.1,
    "weight_decay": 0.01,
    "clip": 1.0,
    "label_smoothing": 0.1,
    "hidden": 128,
    "layers": 2,
    "train_limit": 15_000,
    "eval_limit": None,
    "seed": 1,
}
QUICK = dict(SCHEDULE, epochs=1, hidden=16, layers=1, train_limit=400, eval_limit=200)
CELLS = ("rnn", "gru", "lstm")
PAD_SIZES = (7, 16, 32)
BATCH_SIZES = (64, 128, 256)
GRADIENT_LENGTHS = (10, 15, 20, 25)
GRADIENT_HEADLINES = 100  # per length


class Corpus:
    """The three splits, normalised and encoded once with the shipped encoder's recipe."""

    def __init__(self, data_dir, schedule):
        splits = {s: load_split(data_dir, s) for s in ("train", "dev", "test")}
        for name, limit in (
            ("train", schedule["train_limit"]),
            ("dev", schedule["eval_limit"]),
            ("test", schedule["eval_limit"]),
        ):
            split = splits[name]
            index = np.linspace(0, len(split) - 1, limit).round().astype(int) if limit else range(len(split))
            split.texts = [normalize_headline(split.texts[i]) for i in index]
            split.labels = [split.labels[i] for i in index]
        train = splits["train"]
        self.encoder = TextEncoder(Vocab.build(train.texts), Vocab.build((bigram_tokens(t) for t in train.texts), 2))
        self.pretrained = load_pretrained(data_dir)
        self.splits = splits
        self.encoded = {s: [self.encoder.encode(t) for t in d.texts] for s, d in splits.items()}
        self.classes = train.classes


def fixed_size(encoded, size):
    """Cut or pad (with id 0) every headline to `size` ids: the tutorials' pad_size."""
    return [(c[:size] + [0] * (size - len(c[:size])), b[:size] + [0] * (size - len(b[:size]))) for c, b in encoded]


def build(corpus, schedule, cell="lstm", bidirectional=True):
    torch.manual_seed(schedule["seed"])
    model = BiLSTMAttention(
        len(corpus.encoder.vocab),
        len(corpus.classes),
        bigram_vocab_size=len(corpus.encoder.bigram_vocab),
        hidden=schedule["hidden"],
        layers=schedule["layers"],
        cell=cell,
        bidirectional=bidirectional,
    )
    init_from_pretrained(model.embedding.chars, corpus.encoder.vocab, *corpus.pretrained)
    return model


@torch.no_grad()
def accuracy(model, encoded, labels, batch_size=512):
    model.eval()
    correct = 0
    for index in length_buckets([len(c) for c, _ in encoded], batch_size):
        chars, bigrams, lengths = pad_batch([encoded[i] for i in index])
        correct += (model(chars, bigrams, lengths).argmax(-1) == torch.tensor(labels)[index]).sum().item()
    return correct / len(encoded)


def train_and_score(corpus, schedule, cell="lstm", bidirectional=True, pad_size=None, batch_size=None):
    """Train one model on the schedule; returns (model, result dict)."""
    batch_size = batch_size or schedule["batch_size"]
    encoded = {s: fixed_size(e, pad_size) if pad_size else e for s, e in corpus.encoded.items()}
    labels = {s: d.labels for s, d in corpus.splits.items()}
    model = build(corpus, schedule, cell, bidirectional)
    steps = schedule["epochs"] * math.ceil(len(encoded["train"]) / batch_size)
    optimizer, scheduler = one_cycle_adamw(model, schedule["lr"], schedule["weight_decay"], steps, schedule["warmup"])
    objective = Objective(label_smoothing=schedule["label_smoothing"], clip=schedule["clip"])
    y_train, lengths = torch.tensor(labels["train"]), [len(c) for c, _ in encoded["train"]]
    epoch_seconds, dev_per_epoch = [], []
    for epoch in range(schedule["epochs"]):
        start = time.perf_counter()
        train_epoch(
            model,
            encoded["train"],
            y_train,
            epoch_batches(lengths, batch_size, schedule["seed"], epoch),
            optimizer,
            torch.device("cpu"),
            objective,
            scheduler,
        )
        epoch_seconds.append(time.perf_counter() - start)
        dev_per_epoch.append(round(accuracy(model, encoded["dev"], labels["dev"]), 4))
    result = {
        "dev_accuracy": dev_per_epoch[-1],
        "test_accuracy": round(accuracy(model, encoded["test"], labels["test"]), 4),
        "dev_accuracy_per_epoch": dev_per_epoch,
        "train_seconds": round(sum(epoch_seconds), 3),
        "seconds_per_epoch": round(float(np.mean(epoch_seconds)), 3),
        "parameters": count_parameters(model),
        "batch_size": batch_size,
    }
    return model, result


def input_gradient_norms(model, encoded, labels):
    """Mean over headlines (all of one length) of |d loss / d embedding| at each position."""
    model.eval()
    grad = layer_gradient(
        model,
        model.embedding,
        pad_batch(encoded),
        lambda logits: F.cross_entropy(logits, torch.tensor(labels), reduction="sum"),
    )
    return grad.norm(dim=-1).mean(0).tolist()


def vanishing_gradients(corpus, schedule, trained):
    """{cell: {"init"|"trained": {length: [mean gradient norm per position]}}} on test headlines."""
    test = corpus.splits["test"]
    by_length = {}
    for length in GRADIENT_LENGTHS:
        index = [i for i, t in enumerate(test.texts) if len(t) == length][:GRADIENT_HEADLINES]
        if index:
            by_length[length] = ([corpus.encoded["test"][i] for i in index], [test.labels[i] for i in index])
    out = {}
    for cell in ("rnn", "lstm"):
        models = {"init": build(corpus, schedule, cell, bidirectional=False), "trained": trained[cell]}
        out[cell] = {
            state: {
                str(length): [round(v, 6) for v in input_gradient_norms(m, *data)] for length, data in by_length.items()
            }
            for state, m in models.items()
        }
        out[cell]["headlines_per_length"] = {str(length): len(data[1]) for length, data in by_length.items()}
    return out


def run(data_dir, out, schedule, log=print):
    """Every comparison; the JSON at `out` is rewritten after each run."""
    start = time.perf_counter()
    previous = json.loads(Path(out).read_text(encoding="utf-8")) if Path(out).exists() else {}
    results = previous if previous.get("schedule") == schedule else {}
    results.update(
        {
            "schedule": schedule,
            "command": "python -m cls_core.training.experiments" + (" --quick" if schedule == QUICK else ""),
            "torch_threads": torch.get_num_threads(),
        }
    )
    corpus = Corpus(data_dir, schedule)
    results["data"] = {s: len(d) for s, d in corpus.splits.items()}

    def once(section, key, **kwargs):
        """Train one configuration unless its result is already in the file; returns its model or None."""
        done = results.setdefault(section, {})
        if key in done:
            return None
        t = time.perf_counter()
        model, done[key] = train_and_score(corpus, schedule, **kwargs)
        results["written"] = datetime.now(UTC).isoformat(timespec="seconds")
        atomic_write_text(out, json.dumps(results, indent=1))
        log(
            f"{section} {key}: dev {done[key]['dev_accuracy']:.2%} test {done[key]['test_accuracy']:.2%} "
            f"({time.perf_counter() - t:.0f} s)"
        )
        return model

    trained = {}  # the unidirectional RNN and LSTM, for the gradients
    for cell in CELLS:
        for bidirectional in (True, False):
            key = f"{cell}/{'bidirectional' if bidirectional else 'unidirectional'}"
            model = once("cells", key, cell=cell, bidirectional=bidirectional)
            if model is not None and not bidirectional:
                trained[cell] = model
    if "vanishing_gradients" not in results:
        for cell in ("rnn", "lstm"):  # a resumed run trains them again
            trained[cell] = trained.get(cell) or train_and_score(corpus, schedule, cell, bidirectional=False)[0]
        results["vanishing_gradients"] = vanishing_gradients(corpus, schedule, trained)
        log("vanishing gradients measured")
    del trained
    results["pad_size"] = {"packed": results["cells"]["lstm/bidirectional"], **results.get("pad_size", {})}
    for size in PAD_SIZES:
        once("pad_size", str(size), pad_size=size)
    results["batch_size"] = {"64": results["cells"]["lstm/bidirectional"], **results.get("batch_size", {})}
    for size in BATCH_SIZES[1:]:
        once("batch_size", str(size), batch_size=size)
    results["seconds"] = round(time.perf_counter() - start, 1)
    results["written"] = datetime.now(UTC).isoformat(timespec="seconds")
    atomic_write_text(out, json.dumps(results, indent=1))
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m cls_core.training.experiments",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_data_dir_argument(parser)
    parser.add_argument("--out", default="checkpoints/experiments.json")
    parser.add_argument("--quick", action="store_true", help="a tiny smoke version (400 headlines, 1 epoch)")
    args = parser.parse_args(argv)
    try:
        results = run(
            resolve_data_dir(args.data_dir),
            args.out,
            QUICK if args.quick else SCHEDULE,
            log=lambda line: print(line, flush=True),
        )
    except (FileNotFoundError, ValueError) as e:
        sys.exit(f"error: {e}")
    print(f"written to {args.out} ({results['seconds']:.0f} s)")


if __name__ == "__main__":
    main()
