"""Train a headline classifier and write one checkpoint file.

    python -m cls_core.train --model textcnn --out checkpoints/textcnn.pt
    python -m cls_core.train --model bilstm_att --cell lstm --epochs 12 --out checkpoints/bilstm_att.pt
    python -m cls_core.train --model linear --out checkpoints/linear.npz
    python -m cls_core.train ... --resume          # carry on from the last finished epoch

Beside the checkpoint it writes NAME.log.jsonl (per-step and per-epoch metrics, for the
app's training curves), NAME.metrics.json (dev/test figures) and, while it runs,
NAME.last.pt (the state a --resume needs; removed once training ends).
"""

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from .calibration import fit_temperature, softmax
from .checkpoint import CheckpointError, atomic_write_text, load_checkpoint, save_checkpoint
from .data import (DataFormatError, TextEncoder, Vocab, bigram_tokens, class_counts, length_buckets, load_pretrained,
                   load_split, pad_batch, resolve_data_dir, sha256_file)
from .evaluate import checkpoint_metrics
from .linear import out_of_fold_proba
from .models import build_model, count_parameters
from .normalize import normalization_record, normalize_headline
from .predict import Predictor, load_predictor, network_logits, resolve_device
from .unsure import fit_confidence_threshold


def side_paths(out):
    out = Path(out)
    stem = out.with_suffix("")
    return {"log": Path(f"{stem}.log.jsonl"), "metrics": Path(f"{stem}.metrics.json"),
            "resume": Path(f"{stem}.last.pt")}


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


def init_from_pretrained(embedding, vocab, chars, matrix):
    """Copy the pretrained vector of every character the vocabulary shares with it."""
    row = {ch: i for i, ch in enumerate(chars)}
    known = [(i, row[ch]) for i, ch in enumerate(vocab.itos) if ch in row and i > 0]
    with torch.no_grad():
        ours, theirs = zip(*known)
        embedding.weight[list(ours)] = torch.as_tensor(matrix[list(theirs)])
    return len(known)


def soft_cross_entropy(logits, target_probs):
    return -(target_probs * F.log_softmax(logits, dim=-1)).sum(-1).mean()


def teacher_probabilities(sources, train, device):
    """Distillation targets [N, C] for the training split: the average of each source's
    probabilities. A source is 'linear-oof', a .npy saved by cls_core.oof, or a checkpoint."""
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
    teacher = torch.as_tensor(np.mean(members, axis=0), dtype=torch.float32)
    print(f"distilling from {'+'.join(sources)} (teacher agrees with the labels on "
          f"{(teacher.argmax(-1) == torch.tensor(train.labels)).float().mean():.1%} of train)")
    return teacher


def fit(args):
    """Train one network as args say; returns the path of the written checkpoint."""
    torch.manual_seed(args.seed)
    device = resolve_device(args.device)
    data_dir = resolve_data_dir(args.data_dir)
    train, dev = load_split(data_dir, "train"), load_split(data_dir, "dev")
    if args.train_limit:
        train.texts, train.labels = train.texts[:args.train_limit], train.labels[:args.train_limit]
    if args.dev_limit:
        dev.texts, dev.labels = dev.texts[:args.dev_limit], dev.labels[:args.dev_limit]
    paths = side_paths(args.out)
    # Train on text as the models will read it at prediction time (Simplified, half-width).
    normalization = normalization_record()
    for split in (train, dev):
        split.texts = [normalize_headline(t) for t in split.texts]

    bigram_vocab = (Vocab.build((bigram_tokens(t) for t in train.texts), args.bigram_min_freq)
                    if args.bigram_min_freq else None)
    encoder = TextEncoder(Vocab.build(train.texts, args.min_freq, args.max_vocab), bigram_vocab)
    if args.embedding == "tencent":
        args.embed_dim = 200
    config = model_config(args, encoder, len(train.classes))
    model = build_model(args.model, config).to(device)
    if args.embedding == "tencent":
        n = init_from_pretrained(model.embedding.chars, encoder.vocab, *load_pretrained(data_dir))
        print(f"{n} of {len(encoder.vocab)} characters start from the Tencent embeddings")
    print(f"{args.model}: {count_parameters(model):,} parameters, vocabulary {len(encoder.vocab)}, "
          f"device {device}")

    teacher = teacher_probabilities(args.teacher, train, args.device) if args.teacher else None

    encoded = [encoder.encode(t) for t in train.texts]
    labels = torch.tensor(train.labels)
    steps_per_epoch = math.ceil(len(encoded) / args.batch_size)
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
        # keep the log of finished epochs only, so a resumed run leaves no duplicate lines
        lines = paths["log"].read_text(encoding="utf-8").splitlines() if paths["log"].exists() else []
        kept = [l for l in lines if json.loads(l)["epoch"] <= state["epoch"]]
        atomic_write_text(paths["log"], "".join(l + "\n" for l in kept))
        print(f"resuming after epoch {state['epoch']}")
    elif paths["log"].exists():
        paths["log"].unlink()

    paths["log"].parent.mkdir(parents=True, exist_ok=True)
    log = open(paths["log"], "a", encoding="utf-8")
    for epoch in range(state["epoch"] + 1, args.epochs + 1):
        model.train()
        rng = np.random.default_rng(args.seed + epoch)  # same order on resume
        batches = length_buckets([len(c) for c, _ in encoded], args.batch_size, rng)
        start, seen, loss_sum, correct = time.perf_counter(), 0, 0.0, 0
        bar = tqdm(batches, desc=f"epoch {epoch}/{args.epochs}", mininterval=5, file=sys.stdout)
        for index in bar:
            chars, bigrams, lengths = (t.to(device) for t in pad_batch([encoded[i] for i in index]))
            y = labels[index].to(device)
            if args.char_dropout:
                # Hide random characters (and the bigrams they start) behind <UNK>: the model
                # learns to decide from many characters, and what an unseen character means.
                hidden = (torch.rand(chars.shape, device=device) < args.char_dropout) & (chars > 0)
                chars, bigrams = chars.masked_fill(hidden, 1), bigrams.masked_fill(hidden & (bigrams > 0), 1)
            with torch.autocast(device.type, dtype=torch.float16, enabled=use_amp):
                logits = model(chars, bigrams, lengths)
                loss = F.cross_entropy(logits.float(), y, label_smoothing=args.label_smoothing)
                if teacher is not None:
                    soft = soft_cross_entropy(logits.float(), teacher[index].to(device))
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
            state["step"] += 1
            state["step_losses"].append(round(loss.item(), 4))
            seen += len(index)
            loss_sum += loss.item() * len(index)
            correct += (logits.argmax(-1) == y).sum().item()
            if state["step"] % args.log_every == 0:
                bar.set_postfix(loss=f"{loss_sum / seen:.3f}", acc=f"{correct / seen:.3f}")
                log.write(json.dumps({"type": "step", "epoch": epoch, "step": state["step"],
                                      "train_loss": loss_sum / seen, "train_acc": correct / seen,
                                      "window_loss": float(np.mean(state["step_losses"][-args.log_every:])),
                                      "lr": scheduler.get_last_lr()[0]}) + "\n")
                log.flush()
        state["elapsed"] += time.perf_counter() - start
        evaluated = ema.module if ema is not None else model
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

        state["epoch"] = epoch
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
        if state["bad_epochs"] >= args.patience:
            print(f"dev loss has not improved for {args.patience} epochs: stopping early")
            break
    log.close()

    model.load_state_dict(state["best_state"])
    predictor = Predictor(args.model, train.classes, model=model, encoder=encoder, device=device,
                          path=args.out, config=config, normalization=normalization)
    dev_scores = predictor.scores(dev.texts)
    predictor.temperature = fit_temperature(dev_scores, dev.labels)
    predictor.unsure_threshold = fit_confidence_threshold(softmax(dev_scores, predictor.temperature))
    metrics = checkpoint_metrics(predictor, data_dir, dev, state["elapsed"], count_parameters(model))
    metrics["epochs"] = state["epoch"]
    save_checkpoint(args.out, {
        "kind": args.model, "config": config, "state_dict": model.state_dict(),
        "encoder": encoder.to_json(), "classes": train.classes, "temperature": predictor.temperature,
        "unsure_threshold": predictor.unsure_threshold, "normalization": normalization,
        "class_counts": {"train": class_counts(train), "dev": class_counts(dev)},
        "train_loss_per_step": torch.tensor(state["step_losses"], dtype=torch.float32),
        "train_sha256": sha256_file(data_dir / "train.txt"), "metrics": metrics,
        "train_args": json.dumps(vars(args))})
    atomic_write_text(paths["metrics"], json.dumps(metrics, indent=1))
    paths["resume"].unlink(missing_ok=True)
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
    g.add_argument("--batch-size", type=int, default=64)
    g.add_argument("--lr", type=float, default=2e-3)
    g.add_argument("--warmup", type=float, default=0.1, help="fraction of steps spent warming up")
    g.add_argument("--weight-decay", type=float, default=0.01)
    g.add_argument("--label-smoothing", type=float, default=0.1)
    g.add_argument("--clip", type=float, default=1.0)
    g.add_argument("--patience", type=int, default=4, help="epochs without a better dev loss")
    g.add_argument("--ema", type=float, default=0.999, help="decay of the weight average (0 = off)")
    g.add_argument("--teacher", action="append",
                   help="distil from this checkpoint, from 'linear-oof' (k-fold TF-IDF SVM predictions "
                        "on train) or from a .npy of out-of-fold probabilities (cls_core.oof); "
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
        if args.model == "linear":
            from .linear import fit_linear
            path = fit_linear(args)
        else:
            path = fit(args)
    except (DataFormatError, FileNotFoundError, CheckpointError, RuntimeError) as e:
        sys.exit(f"error: {e}")
    print(f"checkpoint written to {path}")


if __name__ == "__main__":
    main()
