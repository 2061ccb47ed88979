"""Out-of-fold predictions of a network on the training split, to distil from.

A teacher's predictions on the headlines it was trained on are nearly one-hot and teach a
student little. Here each fold of train.txt is predicted by a model trained on the other
folds, so every probability is a held-out judgement:

    python -m cls_core.training.oof --model textcnn --folds 5 --out runs/textcnn-oof.npy -- --epochs 6
    python -m cls_core.train --model bilstm_att --teacher linear-oof --teacher runs/textcnn-oof.npy

Arguments after `--` go to each fold's `cls_core.train` run.
"""

import argparse
import shutil
import tempfile
from pathlib import Path

import numpy as np

from cls_core.data import EMBEDDING_FILE, EMBEDDING_VOCAB_FILE, add_data_dir_argument, load_split, resolve_data_dir
from cls_core.models.checkpoint import atomic_write
from cls_core.models.predictor import Predictor, add_device_argument
from cls_core.training.train import main as train_main


def out_of_fold(model, data_dir, folds, train_args, device="auto", seed=0):
    data_dir = Path(data_dir)
    train = load_split(data_dir, "train")
    lines = [f"{text}\t{label}" for text, label in zip(train.texts, train.labels)]
    fold_of = np.random.default_rng(seed).permutation(len(lines)) % folds
    probs = None
    with tempfile.TemporaryDirectory(prefix="oof-") as work:
        for k in range(folds):
            fold_dir = Path(work) / f"fold{k}"
            fold_dir.mkdir()
            for name in ("class.txt", "dev.txt", EMBEDDING_FILE, EMBEDDING_VOCAB_FILE):
                if (data_dir / name).exists():
                    shutil.copyfile(data_dir / name, fold_dir / name)
            held_out = [line for line, f in zip(lines, fold_of) if f == k]
            (fold_dir / "train.txt").write_text(
                "\n".join(line for line, f in zip(lines, fold_of) if f != k) + "\n", encoding="utf-8"
            )
            (fold_dir / "test.txt").write_text("\n".join(held_out) + "\n", encoding="utf-8")
            out = fold_dir / "model.pt"
            print(f"fold {k + 1}/{folds}: training on {len(lines) - len(held_out)}, predicting {len(held_out)}")
            train_main(
                ["--model", model, "--data-dir", str(fold_dir), "--out", str(out), "--device", device]
                + list(train_args)
            )
            predictor = Predictor.load(out, device)
            fold_probs = predictor.predict_proba([line.rpartition("\t")[0] for line in held_out])
            if probs is None:
                probs = np.zeros((len(lines), fold_probs.shape[1]), dtype=np.float32)
            probs[fold_of == k] = fold_probs
    return probs


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m cls_core.training.oof",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--model", required=True, choices=["bilstm_att", "textcnn"])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--out", required=True, help=".npy file of [train headlines, classes] probabilities")
    add_data_dir_argument(parser)
    add_device_argument(parser)
    parser.add_argument("train_args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    extra = args.train_args[1:] if args.train_args[:1] == ["--"] else args.train_args
    probs = out_of_fold(args.model, resolve_data_dir(args.data_dir), args.folds, extra, args.device)

    def write(tmp):
        with open(tmp, "wb") as f:
            np.save(f, probs, allow_pickle=False)

    atomic_write(args.out, write)
    print(f"out-of-fold probabilities for {len(probs)} headlines written to {args.out}")


if __name__ == "__main__":
    main()
