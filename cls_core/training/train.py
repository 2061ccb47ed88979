"""Train a headline classifier and write one checkpoint file.

    python -m cls_core.train --model textcnn --out checkpoints/textcnn.pt
    python -m cls_core.train --model bilstm_att --cell lstm --epochs 12 --out checkpoints/bilstm_att.pt
    python -m cls_core.train --model linear --out checkpoints/linear.npz
    python -m cls_core.train ... --resume          # carry on from the last finished epoch
    python -m cls_core.train ... --precision bf16  # bf16 autocast (default auto: see below)
    torchrun --nproc_per_node=4 -m cls_core.train --model textcnn ...   # 4 processes, DistributedDataParallel

Your own data (cls_core.training.own_data): any labelled file, `text<TAB>label` lines or CSV
with a header; without --train-file the run trains on THUCNews in --data-dir.

    python -m cls_core.train --model textcnn --train-file mine.tsv --out models/mine/textcnn.pt
    python -m cls_core.train --model linear --train-file mine.csv --text-column title \
        --label-column topic [--dev-file dev.csv] [--test-file test.csv] --out models/mine/linear.npz

Beside the checkpoint it writes NAME.log.jsonl (per-step and per-epoch metrics, for the
app's training curves), NAME.metrics.json (dev/test figures) and, while it runs,
NAME.last.pt (the state a --resume needs; removed once training ends). With --train-file it
writes dev.tsv and test.tsv into the checkpoint's folder too, and a run that fails or is
stopped (Ctrl-C, SIGTERM) removes every file it wrote.

NAME.log.jsonl, one JSON object a line, flushed as written (a reader may follow it live):

    {"type": "step", "epoch": 1, "epochs": 10, "step": 50, "train_loss": 1.93, "train_acc": 0.41,
     "window_loss": 1.71, "lr": 0.0012, "wall": 6.2}
        every --log-every steps; epochs: the most this run trains (--epochs; early stopping
        may end it sooner); train_loss and train_acc are the running means over the epoch
        so far, window_loss the mean over the last --log-every steps
    {"type": "epoch", "epoch": 1, "epochs": 10, "step": 125, "train_loss": 1.52, "train_acc": 0.55,
     "dev_loss": 0.81, "dev_acc": 0.83, "lr": 0.0019, "elapsed": 14.1, "wall": 15.3,
     "headlines_per_s": 570.2}
        after each epoch; elapsed: seconds spent in training steps so far (over resumes),
        wall: seconds since this process began training, dev evaluation included

The linear model trains in one fit and writes no log.

--precision (cls_core.models.precision.training_precision): on CUDA, "auto" trains under bf16
autocast where the GPU supports it, else fp16 autocast with a GradScaler; on the CPU it trains
in fp32. The checkpoint's metrics say which ("train_precision").

Under torchrun the networks train with DistributedDataParallel (NCCL between GPUs, gloo
between CPUs). --batch-size is the global batch, the headlines of one optimiser step over
all processes: each process takes every N-th headline of the very batches a single process
would take, so a run's steps, schedule and results do not depend on the number of processes.
Rank 0 alone logs, evaluates on dev and writes the files; every process reads NAME.last.pt
on --resume, so on several machines --out must lie on a filesystem they share.
"""

import argparse
import json
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from tqdm import tqdm

from cls_core.data import (
    DataFormatError,
    Dataset,
    TextEncoder,
    Vocab,
    add_data_dir_argument,
    bigram_tokens,
    class_counts,
    load_pretrained,
    load_split,
    read_word2vec,
    resolve_data_dir,
    sha256_file,
    tencent_available,
    with_extra,
)
from cls_core.data.labelled import MAX_CLASSES, MIN_CLASSES, MIN_EXAMPLES
from cls_core.data.normalize import normalization_record, normalize_headline
from cls_core.evaluation.evaluate import evaluate, summary
from cls_core.models.calibration import fit_temperature
from cls_core.models.checkpoint import (
    CheckpointError,
    atomic_write_text,
    checkpoint_file_name,
    load_checkpoint,
    save_checkpoint,
)
from cls_core.models.linear import LinearModel, out_of_fold_proba
from cls_core.models.networks import build_model, count_parameters, init_from_pretrained
from cls_core.models.precision import add_precision_argument, training_precision
from cls_core.models.predictor import Predictor, add_device_argument, load_predictor, network_logits
from cls_core.models.unsure import fit_confidence_threshold
from cls_core.training.distributed import (
    epoch_batches,
    from_rank0,
    join_processes,
    launched_on_several,
    leave_processes,
    replicated,
    summed,
)
from cls_core.training.loop import Objective, SecondHead, one_cycle_adamw, train_epoch
from cls_core.training.own_data import DEFAULT_SPLIT_SEED, RunFiles, Stopped, read_own_data, stopped_by_sigterm

# What --precision trains in, named by its autocast dtype (None: none, plain fp32).
PRECISION_NAMES = {None: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}


def side_paths(out):
    out = Path(out)
    stem = out.with_suffix("")
    return {
        "log": Path(f"{stem}.log.jsonl"),
        "metrics": Path(f"{stem}.metrics.json"),
        "resume": Path(f"{stem}.last.pt"),
    }


def read_splits(args):
    """(data directory, train, dev, THUCNews train's class counts): the splits as args limit
    them, normalised as the models will read text at prediction time (Simplified, half-width);
    train holds the --extra-train lines too, the counts THUCNews's alone."""
    data_dir = resolve_data_dir(args.data_dir)
    train, dev = load_split(data_dir, "train"), load_split(data_dir, "dev")
    if args.train_limit:
        train.texts, train.labels = train.texts[: args.train_limit], train.labels[: args.train_limit]
    if args.dev_limit:
        dev.texts, dev.labels = dev.texts[: args.dev_limit], dev.labels[: args.dev_limit]
    counts = class_counts(train)
    for split in (train, dev):
        split.texts = [normalize_headline(t) for t in split.texts]
    # after --train-limit: the extra files are kept whole; they come normalised, marked where asked
    train = with_extra(train, args.extra_train)
    return data_dir, train, dev, counts


@dataclass
class TrainingData:
    """What one run learns from and is measured on. train and dev are normalised as the models
    will read text at prediction time (Simplified, half-width); test is as read (the predictor
    normalises it), None where THUCNews's test.txt is absent. own: the OwnData of a
    --train-file run (its record goes into the checkpoint), else None."""

    data_dir: Path
    train: Dataset
    dev: Dataset
    test: Dataset | None
    train_sha256: str
    own: object = None
    train_counts: list | None = None  # THUCNews train's class counts (its --extra-train lines are recorded apart)


def normalized(split):
    return Dataset(
        [normalize_headline(t) for t in split.texts],
        list(split.labels),
        list(split.classes),
        list(split.extra),
        split.label_sets,
        split.weights,
        split.second,
    )


def label_set_rows(dataset):
    """([N, C] booleans, [N] weights, [N] second-head labels, second-head weight) of a training
    split whose lines may mean several classes (or none: lines for the second head alone), weigh
    other than 1 or teach a second head (cls_core.data.sources); None where the split has none."""
    sets = None
    if dataset.label_sets is not None and any(len(s) != 1 for s in dataset.label_sets):
        sets = torch.zeros(len(dataset.label_sets), len(dataset.classes), dtype=torch.bool)
        for row, classes in enumerate(dataset.label_sets):
            sets[row, list(classes)] = True
    weights = None
    if dataset.weights is not None and any(w != 1.0 for w in dataset.weights):
        weights = torch.tensor(dataset.weights, dtype=torch.float32)
    if dataset.second is None:
        return sets, weights, None, 1.0
    return sets, weights, torch.tensor(dataset.second.lines), dataset.second.weight


def training_data(args, own=None):
    """The splits of this run: the labelled file's (own, from read_own_data) or THUCNews's."""
    if own is not None:
        return TrainingData(
            resolve_data_dir(args.data_dir),
            normalized(own.train),
            normalized(own.dev),
            own.test,
            own.record["train_file"]["sha256"],
            own,
        )
    data_dir, train, dev, counts = read_splits(args)
    try:
        test = load_split(data_dir, "test")
    except FileNotFoundError:
        test = None
    return TrainingData(data_dir, train, dev, test, sha256_file(data_dir / "train.txt"), train_counts=counts)


def character_vectors(args, data_dir):
    """(what the checkpoint records, (chars, matrix) or None): the vectors the characters start
    from. --pretrained FILE: the user's (word2vec text format); --embedding auto (the default
    with --train-file): Tencent's when data_dir holds them, else random, with a notice."""
    if args.pretrained:
        return f"pretrained:{args.pretrained}", read_word2vec(args.pretrained)
    if args.embedding == "auto" and not tencent_available(data_dir):
        print(f"characters start random: no Tencent embeddings in {data_dir}")
        return "random", None
    if args.embedding in ("auto", "tencent"):
        return "tencent", load_pretrained(data_dir)
    return "random", None


def checkpoint_metrics(predictor, data, train_seconds, parameters):
    """Dev and (when present) test figures of a freshly trained, calibrated predictor."""
    metrics = {
        "dev": summary(evaluate(predictor, data.dev, with_predictions=False)),
        "temperature": predictor.temperature,
        "parameters": parameters,
        "train_seconds": round(train_seconds, 1),
    }
    if data.test is not None:
        metrics["test"] = summary(evaluate(predictor, data.test, with_predictions=False))
    print(
        f"temperature {predictor.temperature:.3f}; dev accuracy {metrics['dev']['accuracy']:.2%}"
        + (f", test accuracy {metrics['test']['accuracy']:.2%}" if "test" in metrics else "")
    )
    return metrics


def model_config(args, encoder, num_classes):
    config = {
        "vocab_size": len(encoder.vocab),
        "num_classes": num_classes,
        "embed_dim": args.embed_dim,
        "bigram_vocab_size": len(encoder.bigram_vocab) if encoder.bigram_vocab else 0,
        "bigram_dim": args.bigram_dim,
        "dropout": args.dropout,
        "embed_dropout": args.embed_dropout,
    }
    if args.model == "bilstm_att":
        config.update(hidden=args.hidden, layers=args.layers, cell=args.cell, bidirectional=not args.unidirectional)
    else:
        config.update(windows=args.windows, filters=args.filters)
    return config


def build_encoder(args, train):
    """The character vocabulary of the training split, with its bigram vocabulary unless
    --bigram-min-freq is 0."""
    bigram_vocab = (
        Vocab.build((bigram_tokens(t) for t in train.texts), args.bigram_min_freq, args.max_bigrams)
        if args.bigram_min_freq
        else None
    )
    return TextEncoder(Vocab.build(train.texts, args.min_freq, args.max_vocab), bigram_vocab)


def teacher_probabilities(sources, train, device):
    """Distillation targets [N, C] for the training split: the average of each source's
    probabilities. A source is 'linear-oof', a .npy saved by cls_core.training.oof, or a checkpoint.
    The out-of-fold teachers judge THUCNews's lines alone: a line of --extra-train gets a row of
    zeros from them and learns from its label alone (no single label stands for NLPCC's finance,
    "finance or stocks", for a teacher to be fitted to). Every source gives the same targets in
    every process (the linear folds are seeded)."""
    n, classes = len(train.texts), len(train.classes)
    n_thucnews = n - sum(record["headlines"] for record in train.extra)
    members = []
    for source in sources:
        if source == "linear-oof":
            probs = out_of_fold_proba(train.texts[:n_thucnews], train.labels[:n_thucnews], train.classes)
        elif source.endswith(".npy"):
            probs = np.load(source, allow_pickle=False)
            if probs.shape not in ((n, classes), (n_thucnews, classes)):
                sys.exit(
                    f"error: {source} holds {probs.shape} probabilities; this training split needs "
                    f"{(n_thucnews, classes)}" + (f" (or {(n, classes)})" if n_thucnews < n else "")
                )
        else:
            probs = load_predictor([source], device).predict_proba(train.texts)
        members.append(np.concatenate([probs, np.zeros((n - len(probs), classes), probs.dtype)]))
    members = np.stack(members)
    covered = (members.sum(axis=-1, keepdims=True) > 0).sum(axis=0)
    return torch.as_tensor(members.sum(axis=0) / np.maximum(covered, 1), dtype=torch.float32)


def read_teacher(args, train, say=print):
    """The --teacher probabilities per training headline, or None."""
    if not args.teacher:
        return None
    if train.second is not None:
        sys.exit(
            "error: --teacher and a source's second_head cannot be combined: a line for the second head "
            "alone has no class for a teacher's probabilities to stand for"
        )
    teacher = teacher_probabilities(args.teacher, train, args.device)
    covered = teacher.sum(-1) > 0
    agrees = (teacher.argmax(-1) == torch.tensor(train.labels))[covered].float().mean()
    say(
        f"distilling from {'+'.join(args.teacher)} on {int(covered.sum()):,} of {len(covered):,} training "
        f"headlines (the teacher agrees with their labels on {agrees:.1%})"
    )
    return teacher


@dataclass
class Optimisation:
    """The optimiser and what steps with it: the one-cycle schedule, the mixed-precision
    scaler (enabled for fp16 autocast alone) and the weight average (None with --ema 0)."""

    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    scaler: torch.amp.GradScaler
    ema: AveragedModel | None

    @classmethod
    def for_model(cls, model, args, steps_per_epoch, needs_scaler=False, trained=None):
        """trained: what the optimiser steps, when more than model (a SecondHead)."""
        optimizer, scheduler = one_cycle_adamw(
            trained or model, args.lr, args.weight_decay, args.epochs * steps_per_epoch, args.warmup
        )
        # Weight averaging: an exponential moving average of the weights is what gets evaluated
        # and saved; it generalises better than the last noisy step.
        ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(args.ema)) if args.ema else None
        return cls(optimizer, scheduler, torch.amp.GradScaler("cuda", enabled=needs_scaler), ema)

    def averaged(self, model):
        """The weights evaluated and saved: the average's, else the model's own."""
        return self.ema.module if self.ema is not None else model

    def state_dict(self):
        """What NAME.last.pt keeps of it (the scaler starts afresh on resume)."""
        return {
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "ema": self.ema.state_dict() if self.ema is not None else {},
        }

    def load_state_dict(self, saved):
        self.optimizer.load_state_dict(saved["optimizer"])
        self.scheduler.load_state_dict(saved["scheduler"])
        if self.ema is not None:
            self.ema.load_state_dict(saved["ema"])


THUCNEWS_EMA = 0.999  # about 1,000 steps, 1.4 epochs of THUCNews's 45,000 headlines


def epoch_long_ema(steps_per_epoch):
    """The weight average's decay for a file of one's own: its average spans about one epoch
    (1 / (1 - decay) steps), at most THUCNews's 0.999. A fixed 0.999 would, on a small file,
    still hold mostly the initial weights after the first epochs, and the best dev epoch
    would come late."""
    return round(min(THUCNEWS_EMA, 1 - 1 / max(steps_per_epoch, 2)), 4)


def new_state():
    """The training state NAME.last.pt carries from one epoch to the next."""
    return {
        "epoch": 0,
        "step": 0,
        "elapsed": 0.0,
        "best_loss": float("inf"),
        "best_acc": 0.0,
        "best_state": None,
        "bad_epochs": 0,
        "step_losses": [],
    }


def keep_finished_epochs(log_path, last_epoch):
    """Cut a log back to the epochs up to last_epoch, so that a resumed run leaves no
    duplicate lines."""
    lines = log_path.read_text(encoding="utf-8").splitlines() if log_path.exists() else []
    kept = [line for line in lines if json.loads(line)["epoch"] <= last_epoch]
    atomic_write_text(log_path, "".join(line + "\n" for line in kept))


class NetworkTraining:
    """One run of `python -m cls_core.train` for a network, step by step (see `run`). Under
    torchrun every process runs it on its share of each batch; rank 0 alone logs, evaluates
    on dev and writes the files."""

    def __init__(self, args, data, vectors):
        """data: a TrainingData; vectors: character_vectors' (name, (chars, matrix) or None)."""
        self.args, self.data = args, data
        self.started = time.perf_counter()
        torch.manual_seed(args.seed)
        self.rank, self.world_size, self.device = join_processes(args.device)
        self.data_dir, self.train, self.dev = data.data_dir, data.train, data.dev
        self.paths = side_paths(args.out)
        self.normalization = normalization_record()
        self.encoder = build_encoder(args, self.train)
        self.model, self.config = self.build_network(*vectors)
        # What the steps train: the network, with a second head where a source teaches one
        # (the network alone is averaged, evaluated and saved).
        self.trained = (
            self.model
            if self.train.second is None
            else SecondHead(self.model, len(self.train.second.classes)).to(self.device)
        )
        self.autocast_dtype, needs_scaler = training_precision(args.precision, self.device)
        self.precision = PRECISION_NAMES[self.autocast_dtype]
        self.say(
            f"{args.model}: {count_parameters(self.model):,} parameters, vocabulary {len(self.encoder.vocab)}, "
            f"device {self.device}, training in {self.precision}"
            + (f", {self.world_size} processes" if self.world_size > 1 else "")
        )
        self.objective = Objective(
            args.label_smoothing,
            args.clip,
            args.char_dropout,
            read_teacher(args, self.train, self.say),
            args.distill_weight,
            *label_set_rows(self.train),
        )
        self.encoded = [self.encoder.encode(t) for t in self.train.texts]
        self.lengths = [len(c) for c, _ in self.encoded]
        self.labels = torch.tensor(self.train.labels)
        steps_per_epoch = len(self.batches(epoch=1))
        if args.ema is None:
            args.ema = THUCNEWS_EMA if self.data.own is None else epoch_long_ema(steps_per_epoch)
        self.optimisation = Optimisation.for_model(self.model, args, steps_per_epoch, needs_scaler, self.trained)
        self.state, self.network, self.log = new_state(), self.model, None

    def say(self, *text):
        if self.rank == 0:
            print(*text, flush=True)

    def run(self):
        """Train epoch by epoch until --epochs or early stopping; returns the checkpoint's path
        (None in every process but rank 0)."""
        self.start_or_resume()
        self.network = replicated(self.trained, self.rank, self.world_size, self.device, self.args.seed)
        if self.rank == 0:
            self.paths["log"].parent.mkdir(parents=True, exist_ok=True)
            self.log = open(self.paths["log"], "a", encoding="utf-8")
        for epoch in range(self.state["epoch"] + 1, self.args.epochs + 1):
            figures = self.run_epoch(epoch)
            stop = self.end_epoch(epoch, figures) if self.rank == 0 else False
            if from_rank0(stop, self.device):  # every process stops with rank 0
                break
        if self.rank > 0:
            return None
        self.log.close()
        return self.save()

    def build_network(self, embedding, vectors):
        """(model on the device, its config); with vectors (chars, matrix) its characters
        start from them, and embed_dim is theirs. embedding names them for the record."""
        args = self.args
        args.embedding = embedding.partition(":")[0]  # tencent | random | pretrained, as train_args records
        if vectors is not None:
            args.embed_dim = vectors[1].shape[1]
        config = model_config(args, self.encoder, len(self.train.classes))
        model = build_model(args.model, config).to(self.device)
        if vectors is not None:
            n = init_from_pretrained(model.embedding.chars, self.encoder.vocab, *vectors)
            self.say(
                f"{n} of {len(self.encoder.vocab)} characters start from the "
                f"{'Tencent embeddings' if embedding == 'tencent' else args.pretrained}"
            )
        if self.data.own is not None:
            self.data.own.record["embedding"] = embedding
        return model, config

    def batches(self, epoch):
        return epoch_batches(self.lengths, self.args.batch_size, self.args.seed, epoch, self.rank, self.world_size)

    def start_or_resume(self):
        """With --resume and NAME.last.pt there, carry on after its last finished epoch (weights,
        optimiser, schedule, average and state); else start afresh, without an old log."""
        paths, rank = self.paths, self.rank
        if self.args.resume and paths["resume"].exists():
            saved = load_checkpoint(paths["resume"], required=("resume",))["resume"]
            if saved["config"] != self.config or saved["kind"] != self.args.model:
                sys.exit(f"error: {paths['resume']} was written for another model configuration")
            self.trained.load_state_dict(saved["model"])
            self.optimisation.load_state_dict(saved)
            self.state = saved["state"]
            if rank == 0:
                keep_finished_epochs(paths["log"], self.state["epoch"])
            self.say(f"resuming after epoch {self.state['epoch']}")
        elif paths["log"].exists() and rank == 0:
            paths["log"].unlink()
        if from_rank0(self.state["epoch"], self.device) != self.state["epoch"]:
            sys.exit(
                f"error: process {rank} could not read {paths['resume']} as rank 0 did; "
                f"on several machines --out must lie on a filesystem they share"
            )

    def run_epoch(self, epoch):
        """One epoch's steps; returns its figures over all processes: {"seen", "loss_sum",
        "correct", "start"}. Rank 0 logs the running figures every --log-every steps."""
        state, ema, figures = self.state, self.optimisation.ema, Counter()
        bar = tqdm(
            self.batches(epoch),
            desc=f"epoch {epoch}/{self.args.epochs}",
            mininterval=5,
            file=sys.stdout,
            disable=self.rank > 0,
        )

        def after_step(index, logits, y, loss):
            if ema is not None:
                ema.update_parameters(self.model)
            # this step's figures over the whole global batch
            step_loss, step_seen, step_correct = summed(
                [loss.item() * len(index), len(index), (logits.argmax(-1) == y).sum().item()], self.device
            )
            state["step"] += 1
            state["step_losses"].append(round(step_loss / step_seen, 4))
            figures.update(seen=step_seen, loss_sum=step_loss, correct=step_correct)
            if state["step"] % self.args.log_every == 0 and self.log is not None:
                seen = figures["seen"]
                bar.set_postfix(loss=f"{figures['loss_sum'] / seen:.3f}", acc=f"{figures['correct'] / seen:.3f}")
                self.write_log(
                    {
                        "type": "step",
                        "epoch": epoch,
                        "epochs": self.args.epochs,
                        "step": state["step"],
                        "train_loss": figures["loss_sum"] / seen,
                        "train_acc": figures["correct"] / seen,
                        "window_loss": float(np.mean(state["step_losses"][-self.args.log_every :])),
                        "lr": self.optimisation.scheduler.get_last_lr()[0],
                        "wall": self.wall(),
                    }
                )

        start = time.perf_counter()
        train_epoch(
            self.network,
            self.encoded,
            self.labels,
            bar,
            self.optimisation.optimizer,
            self.device,
            self.objective,
            self.optimisation.scheduler,
            self.optimisation.scaler,
            after_step,
            self.autocast_dtype,
        )
        state["elapsed"] += time.perf_counter() - start
        state["epoch"] = epoch
        return dict(figures, start=start)

    def wall(self):
        """Seconds since this process began training (what a live reader of the log shows)."""
        return round(time.perf_counter() - self.started, 2)

    def write_log(self, record):
        self.log.write(json.dumps(record) + "\n")
        self.log.flush()

    def end_epoch(self, epoch, figures):
        """Rank 0, after each epoch: evaluate on dev, log, keep the weights with the best dev
        accuracy (the figure we report), save NAME.last.pt; returns whether to stop, which
        it does once dev loss has not improved for --patience epochs."""
        state, evaluated = self.state, self.optimisation.averaged(self.model)
        dev_logits = torch.as_tensor(network_logits(evaluated, self.encoder, self.dev.texts, self.device))
        dev_labels = torch.tensor(self.dev.labels)
        dev_loss = F.cross_entropy(dev_logits, dev_labels).item()
        dev_acc = (dev_logits.argmax(-1) == dev_labels).float().mean().item()
        seen = figures["seen"]
        self.write_log(
            {
                "type": "epoch",
                "epoch": epoch,
                "epochs": self.args.epochs,
                "step": state["step"],
                "train_loss": figures["loss_sum"] / seen,
                "train_acc": figures["correct"] / seen,
                "dev_loss": dev_loss,
                "dev_acc": dev_acc,
                "lr": self.optimisation.scheduler.get_last_lr()[0],
                "elapsed": round(state["elapsed"], 1),
                "wall": self.wall(),
                "headlines_per_s": round(seen / (time.perf_counter() - figures["start"]), 1),
            }
        )
        print(f"epoch {epoch}: dev loss {dev_loss:.4f} acc {dev_acc:.2%} ({state['elapsed']:.0f} s so far)")
        if dev_acc > state["best_acc"] or state["best_state"] is None:  # a first epoch at 0 % is kept too
            state["best_acc"] = dev_acc
            state["best_state"] = {k: v.detach().cpu().clone() for k, v in evaluated.state_dict().items()}
        if dev_loss < state["best_loss"]:
            state["best_loss"], state["bad_epochs"] = dev_loss, 0
        else:
            state["bad_epochs"] += 1
        self.save_resume_state()
        stop = state["bad_epochs"] >= self.args.patience
        if stop:
            print(f"dev loss has not improved for {self.args.patience} epochs: stopping early")
        return stop

    def save_resume_state(self):
        """NAME.last.pt: all that --resume needs to carry on after this epoch."""
        save_checkpoint(
            self.paths["resume"],
            {
                "kind": self.args.model,
                "resume": {
                    "kind": self.args.model,
                    "config": self.config,
                    "model": self.trained.state_dict(),
                    "state": self.state,
                    **self.optimisation.state_dict(),
                },
            },
        )

    def save(self):
        """Rank 0, at the end: the best weights, calibrated on dev (temperature, unsure
        threshold), measured, and written with everything the app shows; the resume state
        goes."""
        args, state, model, train, dev = self.args, self.state, self.model, self.train, self.dev
        model.load_state_dict(state["best_state"])
        predictor = Predictor(
            args.model,
            train.classes,
            model=model,
            encoder=self.encoder,
            device=self.device,
            path=args.out,
            config=self.config,
            normalization=self.normalization,
        )
        dev_scores = predictor.scores(dev.texts)
        predictor.temperature = fit_temperature(dev_scores, dev.labels)
        predictor.unsure_threshold = fit_confidence_threshold(predictor.calibrated(dev_scores))
        metrics = checkpoint_metrics(predictor, self.data, state["elapsed"], count_parameters(model))
        metrics["epochs"], metrics["train_precision"] = state["epoch"], self.precision
        metrics["extra_train"] = train.extra  # what besides train.txt it learned from
        save_checkpoint(
            args.out,
            {
                "kind": args.model,
                "config": self.config,
                "state_dict": model.state_dict(),
                "encoder": self.encoder.to_json(),
                "classes": train.classes,
                "temperature": predictor.temperature,
                "unsure_threshold": predictor.unsure_threshold,
                "normalization": self.normalization,
                "train_loss_per_step": torch.tensor(state["step_losses"], dtype=torch.float32),
                "train_sha256": self.data.train_sha256,
                "metrics": metrics,
                "train_args": json.dumps(vars(args)),
                "world_size": self.world_size,
                **data_record(self.data),
            },
        )
        atomic_write_text(self.paths["metrics"], json.dumps(metrics, indent=1))
        self.paths["resume"].unlink(missing_ok=True)
        return Path(args.out)


def data_record(data):
    """What a checkpoint records of the data it learned from (a TrainingData): the class counts
    of its splits, and for a file of one's own its record (cls_core.training.own_data)."""
    counts = {"train": data.train_counts or class_counts(data.train), "dev": class_counts(data.dev)}
    if data.own is None:
        return {"class_counts": counts}
    return {"class_counts": dict(counts, test=class_counts(data.test)), "data": data.own.record}


def fit_network(args, data, vectors):
    """The `--model bilstm_att|textcnn` branch: train one network as args say on data (a
    TrainingData), its characters starting from vectors (character_vectors); returns the path
    of the written checkpoint (None in every process but rank 0)."""
    return NetworkTraining(args, data, vectors).run()


def linear_training_lines(train):
    """{texts, labels, sample_weight} the SVM learns from. It has no loss over a set of classes:
    a line that may rightly be several (NLPCC's finance: finance or stocks) is given once per
    class, each copy with its weight shared out (finance and stocks, half the weight each)."""
    if train.label_sets is None and train.weights is None:
        return {"texts": train.texts, "labels": train.labels, "sample_weight": None}
    sets = train.label_sets or [(label,) for label in train.labels]
    weights = train.weights or [1.0] * len(train.texts)
    rows = [(text, c, w / len(s)) for text, s, w in zip(train.texts, sets, weights) for c in s]
    return {
        "texts": [r[0] for r in rows],
        "labels": [r[1] for r in rows],
        "sample_weight": np.array([r[2] for r in rows], dtype=np.float64),
    }


def fit_linear(args, data):
    """The `--model linear` branch: TF-IDF + LinearSVC on data (a TrainingData), calibrated
    like the networks."""
    train, dev = data.train, data.dev
    start = time.perf_counter()
    model = LinearModel.fit(classes=train.classes, C=args.C, **linear_training_lines(train))
    seconds = time.perf_counter() - start
    print(f"fitted {len(model.features):,} n-gram features in {seconds:.1f} s")
    dev_scores = model.decision_function(dev.texts)
    model.temperature = fit_temperature(dev_scores, dev.labels)
    model.normalization = normalization_record()
    if data.own is not None:
        data.own.record["embedding"] = None  # n-grams: no character vectors
    model.extras = {"train_args": vars(args), **data_record(data)}
    predictor = Predictor(
        "linear", model.classes, model.temperature, path=args.out, linear=model, normalization=model.normalization
    )
    model.unsure_threshold = fit_confidence_threshold(predictor.calibrated(dev_scores))
    model.metrics = checkpoint_metrics(predictor, data, seconds, model.parameters())
    model.metrics["train_sha256"] = data.train_sha256
    model.metrics["extra_train"] = train.extra  # what besides train.txt it learned from
    model.save(args.out)
    atomic_write_text(side_paths(args.out)["metrics"], json.dumps(model.metrics, indent=1))
    return Path(args.out)


def build_parser():
    p = argparse.ArgumentParser(
        prog="python -m cls_core.train", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--model", required=True, choices=["bilstm_att", "textcnn", "linear"])
    p.add_argument(
        "--out",
        help="checkpoint path (default checkpoints/MODEL.pt, .npz for linear; with "
        "--train-file required, e.g. models/NAME/MODEL.pt)",
    )
    add_data_dir_argument(p)
    add_device_argument(p)
    add_precision_argument(
        p,
        help="the forward pass's float type (autocast): auto = bf16 on a CUDA GPU that "
        "has it, fp16 with a GradScaler on one that has not, fp32 on the CPU",
    )
    p.add_argument("--resume", action="store_true", help="continue from NAME.last.pt if present")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--train-limit", type=int, help="use only the first N training headlines")
    p.add_argument("--dev-limit", type=int, help="use only the first N dev headlines")
    p.add_argument(
        "--extra-train",
        action="append",
        metavar="FILE",
        help="also train on FILE's `headline<TAB>class name` lines (e.g. corrections exported "
        "by python -m cls_core.feedback); repeatable; recorded in the checkpoint's metrics",
    )
    g = p.add_argument_group("your own data (instead of THUCNews)")
    g.add_argument(
        "--train-file",
        metavar="FILE",
        help="text<TAB>label lines, or CSV with a header; "
        f"labels are any strings ({MIN_CLASSES}-{MAX_CLASSES} of them, each on {MIN_EXAMPLES}+ lines)",
    )
    g.add_argument("--dev-file", metavar="FILE", help="default: 10%% of --train-file, stratified")
    g.add_argument("--test-file", metavar="FILE", help="default: 10%% of --train-file, stratified")
    g.add_argument("--text-column", default="text", help="CSV: the column of texts")
    g.add_argument("--label-column", default="label", help="CSV: the column of labels")
    g.add_argument(
        "--split-seed",
        type=int,
        default=DEFAULT_SPLIT_SEED,
        help="seed of the carved splits (models trained into one folder must share it)",
    )
    g = p.add_argument_group("inputs")
    g.add_argument(
        "--embedding",
        choices=["tencent", "random", "auto"],
        help="where characters start: the Tencent embeddings in --data-dir, random, or auto = "
        "Tencent where found, else random (default: tencent on THUCNews, auto with --train-file)",
    )
    g.add_argument(
        "--pretrained",
        metavar="FILE",
        help="start characters from your own vectors, word2vec text format (`char v1 ... vd` lines)",
    )
    g.add_argument("--embed-dim", type=int, default=200, help="with random characters")
    g.add_argument(
        "--char-dropout", type=float, default=0.0, help="share of training characters hidden behind <UNK> at each step"
    )
    g.add_argument("--min-freq", type=int, default=1)
    g.add_argument("--max-vocab", type=int, default=None)
    g.add_argument(
        "--bigram-min-freq",
        type=int,
        default=2,
        help="keep bigrams seen at least this often in train (0 = characters only)",
    )
    g.add_argument(
        "--max-bigrams",
        type=int,
        default=None,
        help="keep at most this many bigrams, the most frequent (the bigram table is most of a "
        "network's weights: training on several sources, cap it to keep the checkpoint small)",
    )
    g.add_argument("--bigram-dim", type=int, default=48)
    g = p.add_argument_group("model")
    g.add_argument("--cell", default="lstm", choices=["lstm", "gru", "rnn"])
    g.add_argument("--unidirectional", action="store_true")
    g.add_argument("--hidden", type=int, default=128)
    g.add_argument("--layers", type=int, default=2)
    g.add_argument("--windows", type=int, nargs="+", default=[2, 3, 4])
    g.add_argument("--filters", type=int, default=256)
    g.add_argument("--dropout", type=float, default=0.5)
    g.add_argument("--embed-dropout", type=float, default=0.2)
    g = p.add_argument_group("optimisation")
    g.add_argument("--epochs", type=int, default=10)
    g.add_argument(
        "--batch-size", type=int, default=64, help="headlines per optimiser step, over all processes under torchrun"
    )
    g.add_argument("--lr", type=float, default=2e-3)
    g.add_argument("--warmup", type=float, default=0.1, help="fraction of steps spent warming up")
    g.add_argument("--weight-decay", type=float, default=0.01)
    g.add_argument("--label-smoothing", type=float, default=0.1)
    g.add_argument("--clip", type=float, default=1.0)
    g.add_argument("--patience", type=int, default=4, help="epochs without a better dev loss")
    g.add_argument(
        "--ema",
        type=float,
        help="decay of the weight average (0 = off; default: 0.999 on THUCNews, "
        "with --train-file one whose average spans about an epoch)",
    )
    g.add_argument(
        "--teacher",
        action="append",
        help="distil from this checkpoint, from 'linear-oof' (k-fold TF-IDF SVM predictions "
        "on THUCNews's train lines) or from a .npy of out-of-fold probabilities (cls_core.training.oof); "
        "repeat to average",
    )
    g.add_argument("--distill-weight", type=float, default=0.5)
    g.add_argument("--log-every", type=int, default=50)
    g = p.add_argument_group("linear model")
    g.add_argument("--C", type=float, default=1.0, help="inverse regularisation of the linear SVM")
    return p


THUCNEWS_ONLY = ("train_limit", "dev_limit", "extra_train")
OWN_DATA_ONLY = ("dev_file", "test_file")


def parse_arguments(parser, argv=None):
    """The arguments, the two modes kept apart: THUCNews (no --train-file) or your own file."""
    args = parser.parse_args(argv)

    def flag(name):
        return "--" + name.replace("_", "-")

    if args.train_file:
        given = [flag(n) for n in THUCNEWS_ONLY if getattr(args, n)]
        if given:
            parser.error(f"{', '.join(given)} train on THUCNews; they do not go with --train-file")
        if not args.out:
            parser.error(f"--train-file needs --out, e.g. models/NAME/{checkpoint_file_name(args.model)}")
    else:
        given = [flag(n) for n in OWN_DATA_ONLY if getattr(args, n)]
        if given:
            parser.error(f"{', '.join(given)} go with --train-file")
    if args.pretrained and args.embedding:
        parser.error("--pretrained and --embedding: one of them says where characters start")
    args.embedding = args.embedding or ("auto" if args.train_file else "tencent")
    args.out = args.out or f"checkpoints/{checkpoint_file_name(args.model)}"
    if args.model == "linear" and Path(args.out).suffix != ".npz":
        args.out = str(Path(args.out).with_suffix(".npz"))
        print(f"the linear model is saved as .npz: writing {args.out}")
    return args


def main(argv=None):
    args = parse_arguments(build_parser(), argv)
    if args.model == "linear" and launched_on_several():
        sys.exit("error: the linear model trains in one process: python -m cls_core.train --model linear")
    rank0 = int(os.environ.get("RANK", "0")) == 0
    run_files = None
    try:
        # every file read and checked before anything is written
        own = read_own_data(args) if args.train_file else None
        data = training_data(args, own)
        vectors = character_vectors(args, data.data_dir) if args.model != "linear" else None
        if own is not None and rank0:
            run_files = RunFiles(args.out, own, side_paths(args.out).values())
    except (DataFormatError, FileNotFoundError, CheckpointError) as e:
        leave_processes()
        sys.exit(f"error: {e}")
    try:
        with stopped_by_sigterm():
            if run_files:
                run_files.write_splits()
            path = fit_linear(args, data) if args.model == "linear" else fit_network(args, data, vectors)
    except BaseException as e:
        # a failed or stopped run on one's own data takes back what it wrote (--resume keeps
        # the state it would resume from)
        if run_files and not args.resume:
            run_files.remove_created()
        if isinstance(e, (DataFormatError, FileNotFoundError, CheckpointError, RuntimeError)):
            sys.exit(f"error: {e}")
        if isinstance(e, Stopped):
            sys.exit(f"error: {e}" + ("; removed the files this run wrote" if run_files else ""))
        raise
    finally:
        leave_processes()
    if path:
        print(f"checkpoint written to {path}")


if __name__ == "__main__":
    main()
