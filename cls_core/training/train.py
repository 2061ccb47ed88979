"""Train a headline classifier and write one checkpoint file.

    python -m cls_core.train --model textcnn --out checkpoints/textcnn.pt
    python -m cls_core.train --model bilstm_att --cell lstm --epochs 12 --out checkpoints/bilstm_att.pt
    python -m cls_core.train --model linear --out checkpoints/linear.npz
    python -m cls_core.train ... --resume          # carry on from the last finished epoch
    torchrun --nproc_per_node=4 -m cls_core.train --model textcnn ...   # 4 processes, DistributedDataParallel

Beside the checkpoint it writes NAME.log.jsonl (per-step and per-epoch metrics, for the
app's training curves), NAME.metrics.json (dev/test figures) and, while it runs,
NAME.last.pt (the state a --resume needs; removed once training ends).

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
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from tqdm import tqdm

from cls_core.models.calibration import fit_temperature
from cls_core.models.checkpoint import CheckpointError, atomic_write_text, load_checkpoint, save_checkpoint
from cls_core.data import (DataFormatError, TextEncoder, Vocab, bigram_tokens, class_counts, length_buckets, load_pretrained,
                   load_split, pad_batch, resolve_data_dir, sha256_file)
from cls_core.evaluation.evaluate import evaluate, summary
from cls_core.models.linear import LinearModel, out_of_fold_proba
from cls_core.models.networks import build_model, count_parameters, init_from_pretrained
from cls_core.data.normalize import normalization_record, normalize_headline
from cls_core.models.predictor import Predictor, load_predictor, network_logits, resolve_device
from cls_core.models.unsure import fit_confidence_threshold


def side_paths(out):
    out = Path(out)
    stem = out.with_suffix("")
    return {"log": Path(f"{stem}.log.jsonl"), "metrics": Path(f"{stem}.metrics.json"),
            "resume": Path(f"{stem}.last.pt")}


def read_splits(args):
    """(data directory, train, dev): the splits as args limit them, normalised as the models
    will read text at prediction time (Simplified, half-width)."""
    data_dir = resolve_data_dir(args.data_dir)
    train, dev = load_split(data_dir, "train"), load_split(data_dir, "dev")
    if args.train_limit:
        train.texts, train.labels = train.texts[:args.train_limit], train.labels[:args.train_limit]
    if args.dev_limit:
        dev.texts, dev.labels = dev.texts[:args.dev_limit], dev.labels[:args.dev_limit]
    for split in (train, dev):
        split.texts = [normalize_headline(t) for t in split.texts]
    return data_dir, train, dev


def checkpoint_metrics(predictor, data_dir, dev, train_seconds, parameters):
    """Dev and (when present) test figures of a freshly trained, calibrated predictor."""
    metrics = {"dev": summary(evaluate(predictor, dev, with_predictions=False)),
               "temperature": predictor.temperature, "parameters": parameters,
               "train_seconds": round(train_seconds, 1)}
    try:
        metrics["test"] = summary(evaluate(predictor, load_split(data_dir, "test"), with_predictions=False))
    except FileNotFoundError:
        pass
    print(f"temperature {predictor.temperature:.3f}; dev accuracy {metrics['dev']['accuracy']:.2%}"
          + (f", test accuracy {metrics['test']['accuracy']:.2%}" if "test" in metrics else ""))
    return metrics


def model_config(args, encoder, num_classes):
    config = {"vocab_size": len(encoder.vocab), "num_classes": num_classes, "embed_dim": args.embed_dim,
              "bigram_vocab_size": len(encoder.bigram_vocab) if encoder.bigram_vocab else 0,
              "bigram_dim": args.bigram_dim,
              "dropout": args.dropout, "embed_dropout": args.embed_dropout}
    if args.model == "bilstm_att":
        config.update(hidden=args.hidden, layers=args.layers, cell=args.cell,
                      bidirectional=not args.unidirectional)
    else:
        config.update(windows=args.windows, filters=args.filters)
    return config


def teacher_probabilities(sources, train, device):
    """Distillation targets [N, C] for the training split: the average of each source's
    probabilities. A source is 'linear-oof', a .npy saved by cls_core.training.oof, or a checkpoint.
    Every source gives the same targets in every process (the linear folds are seeded)."""
    members = []
    for source in sources:
        if source == "linear-oof":
            members.append(out_of_fold_proba(train.texts, train.labels, train.classes))
        elif source.endswith(".npy"):
            probs = np.load(source, allow_pickle=False)
            if probs.shape != (len(train.texts), len(train.classes)):
                sys.exit(f"error: {source} holds {probs.shape} probabilities; this training split needs "
                         f"{(len(train.texts), len(train.classes))}")
            members.append(probs)
        else:
            members.append(load_predictor([source], device).predict_proba(train.texts))
    return torch.as_tensor(np.mean(members, axis=0), dtype=torch.float32)


# --- several processes ----------------------------------------------------------------------

def join_processes(device_flag):
    """(rank, world size, device). Under torchrun, join the process group: one GPU per process
    talking over NCCL, or CPU processes over gloo. A plain run is process 0 of 1."""
    device = resolve_device(device_flag)
    if not dist.is_torchelastic_launched():
        return 0, 1, device
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ["LOCAL_RANK"]))
        torch.cuda.set_device(device)
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return dist.get_rank(), dist.get_world_size(), device


def summed(values, device):
    """values (numbers) summed over all processes; unchanged in a plain run."""
    if not dist.is_initialized():
        return values
    total = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(total)
    return total.tolist()


def from_rank0(value, device):
    """Rank 0's value of an integer, in every process."""
    if not dist.is_initialized():
        return value
    tensor = torch.tensor([value], dtype=torch.int64, device=device)
    dist.broadcast(tensor, src=0)
    return int(tensor.item())


def epoch_batches(lengths, batch_size, seed, epoch, rank=0, world_size=1):
    """Headline indices for each optimiser step of one epoch, this process's share.

    Every process builds the same length-bucketed batches from the shared seed and takes
    every world_size-th headline of each: together the processes take exactly the steps
    one process would, each on headlines of similar length. A last batch smaller than
    world_size is left out, so that no process gets an empty one.
    """
    rng = np.random.default_rng(seed + epoch)  # the same order in every process, and on resume
    return [b[rank::world_size] for b in length_buckets(lengths, batch_size, rng) if len(b) >= world_size]


def fit(args):
    """Train one network as args say; returns the path of the written checkpoint (None in
    every process but rank 0)."""
    torch.manual_seed(args.seed)
    rank, world_size, device = join_processes(args.device)

    def say(*text):
        if rank == 0:
            print(*text, flush=True)

    data_dir, train, dev = read_splits(args)
    paths = side_paths(args.out)
    normalization = normalization_record()
    bigram_vocab = (Vocab.build((bigram_tokens(t) for t in train.texts), args.bigram_min_freq)
                    if args.bigram_min_freq else None)
    encoder = TextEncoder(Vocab.build(train.texts, args.min_freq, args.max_vocab), bigram_vocab)
    if args.embedding == "tencent":
        args.embed_dim = 200
    config = model_config(args, encoder, len(train.classes))
    model = build_model(args.model, config).to(device)
    if args.embedding == "tencent":
        n = init_from_pretrained(model.embedding.chars, encoder.vocab, *load_pretrained(data_dir))
        say(f"{n} of {len(encoder.vocab)} characters start from the Tencent embeddings")
    say(f"{args.model}: {count_parameters(model):,} parameters, vocabulary {len(encoder.vocab)}, "
        f"device {device}" + (f", {world_size} processes" if world_size > 1 else ""))

    teacher = None
    if args.teacher:
        teacher = teacher_probabilities(args.teacher, train, args.device)
        say(f"distilling from {'+'.join(args.teacher)} (teacher agrees with the labels on "
            f"{(teacher.argmax(-1) == torch.tensor(train.labels)).float().mean():.1%} of train)")

    encoded = [encoder.encode(t) for t in train.texts]
    headline_lengths = [len(c) for c, _ in encoded]
    labels = torch.tensor(train.labels)
    steps_per_epoch = len(epoch_batches(headline_lengths, args.batch_size, args.seed, 1, rank, world_size))
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=args.lr, total_steps=args.epochs * steps_per_epoch, pct_start=args.warmup)
    use_amp = device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)

    # Weight averaging: an exponential moving average of the weights is what gets evaluated
    # and saved; it generalises better than the last noisy step.
    ema = None
    if args.ema:
        average = torch.optim.swa_utils.get_ema_multi_avg_fn(args.ema)
        ema = torch.optim.swa_utils.AveragedModel(model, multi_avg_fn=average)
    state = {"epoch": 0, "step": 0, "elapsed": 0.0, "best_loss": float("inf"), "best_acc": 0.0,
             "best_state": None, "bad_epochs": 0, "step_losses": []}
    if args.resume and paths["resume"].exists():
        saved = load_checkpoint(paths["resume"], required=("resume",))["resume"]
        if saved["config"] != config or saved["kind"] != args.model:
            sys.exit(f"error: {paths['resume']} was written for another model configuration")
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
        if ema is not None:
            ema.load_state_dict(saved["ema"])
        state = saved["state"]
        if rank == 0:  # keep the log of finished epochs only, so a resumed run leaves no duplicate lines
            lines = paths["log"].read_text(encoding="utf-8").splitlines() if paths["log"].exists() else []
            kept = [l for l in lines if json.loads(l)["epoch"] <= state["epoch"]]
            atomic_write_text(paths["log"], "".join(l + "\n" for l in kept))
        say(f"resuming after epoch {state['epoch']}")
    elif paths["log"].exists() and rank == 0:
        paths["log"].unlink()
    if from_rank0(state["epoch"], device) != state["epoch"]:
        sys.exit(f"error: process {rank} could not read {paths['resume']} as rank 0 did; "
                 f"on several machines --out must lie on a filesystem they share")

    network = model
    if world_size > 1:
        # DDP averages the gradients of all processes in backward(); the replicas start equal
        # (it copies rank 0's weights) and so stay equal.
        network = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
        torch.manual_seed(args.seed + 1000 * (rank + 1))  # each process its own dropout masks

    log = None
    if rank == 0:
        paths["log"].parent.mkdir(parents=True, exist_ok=True)
        log = open(paths["log"], "a", encoding="utf-8")
    for epoch in range(state["epoch"] + 1, args.epochs + 1):
        model.train()
        batches = epoch_batches(headline_lengths, args.batch_size, args.seed, epoch, rank, world_size)
        start, seen, loss_sum, correct = time.perf_counter(), 0, 0.0, 0
        bar = tqdm(batches, desc=f"epoch {epoch}/{args.epochs}", mininterval=5, file=sys.stdout, disable=rank > 0)
        for index in bar:
            chars, bigrams, lengths = (t.to(device) for t in pad_batch([encoded[i] for i in index]))
            y = labels[index].to(device)
            if args.char_dropout:
                # Hide random characters (and the bigrams they start) behind <UNK>: the model
                # learns to decide from many characters, and what an unseen character means.
                hidden = (torch.rand(chars.shape, device=device) < args.char_dropout) & (chars > 0)
                chars, bigrams = chars.masked_fill(hidden, 1), bigrams.masked_fill(hidden & (bigrams > 0), 1)
            with torch.autocast(device.type, dtype=torch.float16, enabled=use_amp):
                logits = network(chars, bigrams, lengths)
                loss = F.cross_entropy(logits.float(), y, label_smoothing=args.label_smoothing)
                if teacher is not None:  # cross-entropy against the teacher's probabilities
                    soft = F.cross_entropy(logits.float(), teacher[index].to(device))
                    loss = (1 - args.distill_weight) * loss + args.distill_weight * soft
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            scaler.step(optimizer)
            scaler.update()
            scheduler.step()
            if ema is not None:
                ema.update_parameters(model)
            # this step's figures over the whole global batch
            step_loss, step_seen, step_correct = summed(
                [loss.item() * len(index), len(index), (logits.argmax(-1) == y).sum().item()], device)
            state["step"] += 1
            state["step_losses"].append(round(step_loss / step_seen, 4))
            seen += step_seen
            loss_sum += step_loss
            correct += step_correct
            if state["step"] % args.log_every == 0 and log is not None:
                bar.set_postfix(loss=f"{loss_sum / seen:.3f}", acc=f"{correct / seen:.3f}")
                log.write(json.dumps({"type": "step", "epoch": epoch, "step": state["step"],
                                      "train_loss": loss_sum / seen, "train_acc": correct / seen,
                                      "window_loss": float(np.mean(state["step_losses"][-args.log_every:])),
                                      "lr": scheduler.get_last_lr()[0]}) + "\n")
                log.flush()
        state["elapsed"] += time.perf_counter() - start
        state["epoch"] = epoch
        evaluated = ema.module if ema is not None else model
        stop = False
        if rank == 0:
            dev_logits = torch.as_tensor(network_logits(evaluated, encoder, dev.texts, device))
            dev_labels = torch.tensor(dev.labels)
            dev_loss = F.cross_entropy(dev_logits, dev_labels).item()
            dev_acc = (dev_logits.argmax(-1) == dev_labels).float().mean().item()
            record = {"type": "epoch", "epoch": epoch, "step": state["step"], "train_loss": loss_sum / seen,
                      "train_acc": correct / seen, "dev_loss": dev_loss, "dev_acc": dev_acc,
                      "lr": scheduler.get_last_lr()[0], "elapsed": round(state["elapsed"], 1),
                      "headlines_per_s": round(seen / (time.perf_counter() - start), 1)}
            log.write(json.dumps(record) + "\n")
            log.flush()
            print(f"epoch {epoch}: dev loss {dev_loss:.4f} acc {dev_acc:.2%} ({state['elapsed']:.0f} s so far)")

            # Keep the weights with the best dev accuracy (the figure we report); stop once dev
            # loss has not improved for `patience` epochs.
            if dev_acc > state["best_acc"]:
                state["best_acc"] = dev_acc
                state["best_state"] = {k: v.detach().cpu().clone() for k, v in evaluated.state_dict().items()}
            if dev_loss < state["best_loss"]:
                state["best_loss"], state["bad_epochs"] = dev_loss, 0
            else:
                state["bad_epochs"] += 1
            save_checkpoint(paths["resume"], {"kind": args.model, "resume": {
                "kind": args.model, "config": config, "model": model.state_dict(),
                "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(), "state": state,
                "ema": ema.state_dict() if ema is not None else {}}})
            stop = state["bad_epochs"] >= args.patience
            if stop:
                print(f"dev loss has not improved for {args.patience} epochs: stopping early")
        if from_rank0(stop, device):  # every process stops with rank 0
            break
    if rank > 0:
        return None
    log.close()

    model.load_state_dict(state["best_state"])
    predictor = Predictor(args.model, train.classes, model=model, encoder=encoder, device=device,
                          path=args.out, config=config, normalization=normalization)
    dev_scores = predictor.scores(dev.texts)
    predictor.temperature = fit_temperature(dev_scores, dev.labels)
    predictor.unsure_threshold = fit_confidence_threshold(predictor.calibrated(dev_scores))
    metrics = checkpoint_metrics(predictor, data_dir, dev, state["elapsed"], count_parameters(model))
    metrics["epochs"] = state["epoch"]
    save_checkpoint(args.out, {
        "kind": args.model, "config": config, "state_dict": model.state_dict(),
        "encoder": encoder.to_json(), "classes": train.classes, "temperature": predictor.temperature,
        "unsure_threshold": predictor.unsure_threshold, "normalization": normalization,
        "class_counts": {"train": class_counts(train), "dev": class_counts(dev)},
        "train_loss_per_step": torch.tensor(state["step_losses"], dtype=torch.float32),
        "train_sha256": sha256_file(data_dir / "train.txt"), "metrics": metrics,
        "train_args": json.dumps(vars(args)), "world_size": world_size})
    atomic_write_text(paths["metrics"], json.dumps(metrics, indent=1))
    paths["resume"].unlink(missing_ok=True)
    return Path(args.out)


def fit_linear(args):
    """The `--model linear` branch: TF-IDF + LinearSVC, calibrated like the networks."""
    if dist.is_torchelastic_launched() and int(os.environ["WORLD_SIZE"]) > 1:
        sys.exit("error: the linear model trains in one process: python -m cls_core.train --model linear")
    data_dir, train, dev = read_splits(args)
    start = time.perf_counter()
    model = LinearModel.fit(train.texts, train.labels, train.classes, C=args.C)
    seconds = time.perf_counter() - start
    print(f"fitted {len(model.features):,} n-gram features in {seconds:.1f} s")
    dev_scores = model.decision_function(dev.texts)
    model.temperature = fit_temperature(dev_scores, dev.labels)
    model.normalization = normalization_record()
    model.extras = {"class_counts": {"train": class_counts(train), "dev": class_counts(dev)}}
    predictor = Predictor("linear", model.classes, model.temperature, path=args.out, linear=model,
                          normalization=model.normalization)
    model.unsure_threshold = fit_confidence_threshold(predictor.calibrated(dev_scores))
    model.metrics = checkpoint_metrics(predictor, data_dir, dev, seconds, model.parameters())
    model.metrics["train_sha256"] = sha256_file(data_dir / "train.txt")
    model.save(args.out)
    atomic_write_text(side_paths(args.out)["metrics"], json.dumps(model.metrics, indent=1))
    return Path(args.out)


def build_parser():
    p = argparse.ArgumentParser(prog="python -m cls_core.train", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, choices=["bilstm_att", "textcnn", "linear"])
    p.add_argument("--out", help="checkpoint path (default checkpoints/MODEL.pt, .npz for linear)")
    p.add_argument("--data-dir", help="default: $CLS_DATA_DIR, then data/THUCNews")
    p.add_argument("--device", default="auto", choices=["auto", "cuda", "cpu"])
    p.add_argument("--resume", action="store_true", help="continue from NAME.last.pt if present")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--train-limit", type=int, help="use only the first N training headlines")
    p.add_argument("--dev-limit", type=int, help="use only the first N dev headlines")
    g = p.add_argument_group("inputs")
    g.add_argument("--embedding", default="tencent", choices=["tencent", "random"])
    g.add_argument("--embed-dim", type=int, default=200, help="with --embedding random")
    g.add_argument("--char-dropout", type=float, default=0.0,
                   help="share of training characters hidden behind <UNK> at each step")
    g.add_argument("--min-freq", type=int, default=1)
    g.add_argument("--max-vocab", type=int, default=None)
    g.add_argument("--bigram-min-freq", type=int, default=2,
                   help="keep bigrams seen at least this often in train (0 = characters only)")
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
    g.add_argument("--batch-size", type=int, default=64,
                   help="headlines per optimiser step, over all processes under torchrun")
    g.add_argument("--lr", type=float, default=2e-3)
    g.add_argument("--warmup", type=float, default=0.1, help="fraction of steps spent warming up")
    g.add_argument("--weight-decay", type=float, default=0.01)
    g.add_argument("--label-smoothing", type=float, default=0.1)
    g.add_argument("--clip", type=float, default=1.0)
    g.add_argument("--patience", type=int, default=4, help="epochs without a better dev loss")
    g.add_argument("--ema", type=float, default=0.999, help="decay of the weight average (0 = off)")
    g.add_argument("--teacher", action="append",
                   help="distil from this checkpoint, from 'linear-oof' (k-fold TF-IDF SVM predictions "
                        "on train) or from a .npy of out-of-fold probabilities (cls_core.training.oof); "
                        "repeat to average")
    g.add_argument("--distill-weight", type=float, default=0.5)
    g.add_argument("--log-every", type=int, default=50)
    g = p.add_argument_group("linear model")
    g.add_argument("--C", type=float, default=1.0, help="inverse regularisation of the linear SVM")
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    args.out = args.out or f"checkpoints/{args.model}.{'npz' if args.model == 'linear' else 'pt'}"
    try:
        path = fit_linear(args) if args.model == "linear" else fit(args)
    except (DataFormatError, FileNotFoundError, CheckpointError, RuntimeError) as e:
        sys.exit(f"error: {e}")
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
    if path:
        print(f"checkpoint written to {path}")


if __name__ == "__main__":
    main()
