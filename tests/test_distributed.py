"""Training on several processes: torchrun, DistributedDataParallel over gloo on the CPU."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from test_train import interrupt_after_first_epoch, read_log

from cls_core.data import length_buckets, load_split
from cls_core.evaluation.evaluate import evaluate
from cls_core.models.checkpoint import load_checkpoint
from cls_core.models.predictor import Predictor
from cls_core.training.distributed import epoch_batches
from cls_core.training.train import main as train_main

ROOT = Path(__file__).resolve().parents[1]
# Small, but with every part of training that must work across processes: weight EMA,
# character dropout, a distillation teacher, early stopping (checked every epoch).
SMALL = [
    "--model",
    "textcnn",
    "--filters",
    "32",
    "--batch-size",
    "32",
    "--epochs",
    "2",
    "--ema",
    "0.9",
    "--char-dropout",
    "0.1",
    "--teacher",
    "linear-oof",
    "--device",
    "cpu",
]


def torchrun(*args, processes=2):
    """`torchrun --standalone --nproc_per_node=N -m cls_core.train ARGS`; returns what it printed."""
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc_per_node={processes}",
        "-m",
        "cls_core.train",
        *args,
    ]
    done = subprocess.run(
        command, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


@pytest.mark.parametrize("headlines", [1000, 961])  # 961 = 15 batches of 64 and a lone headline
def test_processes_share_out_the_steps_of_one_process(headlines):
    lengths = np.random.default_rng(0).integers(1, 40, size=headlines)
    alone = epoch_batches(lengths, 64, seed=1, epoch=3)
    assert [b.tolist() for b in alone] == [b.tolist() for b in length_buckets(lengths, 64, np.random.default_rng(4))]
    for world_size in (2, 3):
        shares = [epoch_batches(lengths, 64, 1, 3, rank, world_size) for rank in range(world_size)]
        steps = [b for b in alone if len(b) >= world_size]
        assert all(len(share) == len(steps) for share in shares)  # every process takes every step
        for step, batch in enumerate(steps):
            parts = [share[step] for share in shares]
            assert sorted(np.concatenate(parts).tolist()) == sorted(batch.tolist())
            assert max(map(len, parts)) - min(map(len, parts)) <= 1
    assert sum(map(len, alone)) == headlines


@pytest.fixture(scope="module")
def two_processes(small_data_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp") / "textcnn.pt"
    printed = torchrun(*SMALL, "--data-dir", str(small_data_dir), "--out", str(out))
    return out, printed


def test_two_processes_write_one_checkpoint_that_loads_and_evaluates(two_processes, small_data_dir):
    out, printed = two_processes
    assert printed.count("checkpoint written to") == 1 and printed.count("epoch 2: dev loss") == 1
    assert sorted(p.name for p in out.parent.iterdir()) == ["textcnn.log.jsonl", "textcnn.metrics.json", "textcnn.pt"]
    assert load_checkpoint(out)["world_size"] == 2
    log = read_log(out.with_suffix(".log.jsonl"))
    assert [r["epoch"] for r in log if r["type"] == "epoch"] == [1, 2]
    steps = [r["step"] for r in log if r["type"] == "step"]
    assert steps == sorted(set(steps))  # one writer
    predictor = Predictor.load(out, device="cpu")
    report = evaluate(predictor, load_split(small_data_dir, "test"))
    assert report["accuracy"] == pytest.approx(predictor.metrics["test"]["accuracy"], abs=1e-9)


def test_two_processes_learn_what_one_process_learns(two_processes, small_data_dir, tmp_path):
    one = tmp_path / "textcnn.pt"
    train_main([*SMALL, "--data-dir", str(small_data_dir), "--out", str(one)])  # the same global batch
    single, double = load_checkpoint(one), load_checkpoint(two_processes[0])
    assert single["world_size"] == 1
    assert len(double["train_loss_per_step"]) == len(single["train_loss_per_step"])  # the same steps
    accuracy = [c["metrics"]["dev"]["accuracy"] for c in (single, double)]
    assert abs(accuracy[0] - accuracy[1]) <= 0.02, accuracy
    assert accuracy[1] > 0.3  # far above chance (0.1) after two short epochs


def test_a_run_resumes_on_two_processes_and_they_stop_early_together(small_data_dir, tmp_path, monkeypatch):
    args = [
        "--model",
        "textcnn",
        "--filters",
        "16",
        "--train-limit",
        "600",
        "--epochs",
        "3",
        "--data-dir",
        str(small_data_dir),
        "--device",
        "cpu",
        "--out",
        str(tmp_path / "textcnn.pt"),
    ]
    interrupt_after_first_epoch(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        train_main(args)  # one process, killed after epoch 1
    # --patience 0 stops after the next epoch, whatever its dev loss: rank 0 decides, and a
    # process that did not hear it would train on alone and fail when rank 0 leaves
    printed = torchrun(*args, "--resume", "--patience", "0")
    assert "resuming after epoch 1" in printed and printed.count("stopping early") == 1
    log = read_log(tmp_path / "textcnn.log.jsonl")
    assert [r["epoch"] for r in log if r["type"] == "epoch"] == [1, 2]
    checkpoint = load_checkpoint(tmp_path / "textcnn.pt")
    assert checkpoint["world_size"] == 2 and checkpoint["metrics"]["epochs"] == 2
    assert not (tmp_path / "textcnn.last.pt").exists()
    assert json.loads((tmp_path / "textcnn.metrics.json").read_text())["epochs"] == 2
