import json
import math
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from cls_core.evaluate import evaluate
from cls_core.data import load_split
from cls_core.predict import Predictor
from cls_core.train import main as train_main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read_log(path):
    return [json.loads(line) for line in open(path, encoding="utf-8")]


@pytest.fixture(scope="module")
def trained_textcnn(small_data_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("train") / "textcnn.pt"
    train_main(["--model", "textcnn", "--data-dir", str(small_data_dir), "--epochs", "3",
                "--filters", "64", "--batch-size", "32", "--out", str(out), "--device", "cpu",
                "--ema", "0.9"])  # ~200 steps: the default 0.999 average would still be mostly the init
    return out


def test_short_real_training_lowers_dev_loss(trained_textcnn):
    epochs = [r for r in read_log(trained_textcnn.with_suffix(".log.jsonl")) if r["type"] == "epoch"]
    assert [r["epoch"] for r in epochs] == [1, 2, 3]
    assert epochs[-1]["dev_loss"] < epochs[0]["dev_loss"] < math.log(10)
    steps = [r for r in read_log(trained_textcnn.with_suffix(".log.jsonl")) if r["type"] == "step"]
    assert steps and {"train_loss", "train_acc", "lr"} <= steps[0].keys()
    assert not trained_textcnn.with_suffix(".last.pt").exists()


def test_checkpoint_carries_what_it_promises(trained_textcnn, small_data_dir):
    predictor = Predictor.load(trained_textcnn, device="cpu")
    assert predictor.temperature > 0 and predictor.kind == "textcnn"
    metrics = json.loads(trained_textcnn.with_suffix(".metrics.json").read_text())
    assert set(metrics) >= {"dev", "test", "temperature", "parameters", "train_seconds"}
    # the recorded test figure is what evaluate measures
    report = evaluate(predictor, load_split(small_data_dir, "test"))
    assert report["accuracy"] == pytest.approx(metrics["test"]["accuracy"], abs=1e-9)
    assert report["accuracy"] > 0.3  # far above chance (0.1) after 3 short epochs


def test_killed_run_resumes_without_losing_epochs(small_data_dir, tmp_path):
    out = tmp_path / "bilstm.pt"
    command = [sys.executable, "-m", "cls_core.train", "--model", "bilstm_att", "--data-dir", str(small_data_dir),
               "--epochs", "3", "--hidden", "16", "--train-limit", "1000", "--out", str(out), "--device", "cpu"]
    env = dict(os.environ, PYTHONPATH=ROOT)
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not out.with_suffix(".last.pt").exists() and process.poll() is None and time.time() < deadline:
        time.sleep(0.2)
    process.kill()
    process.wait()
    assert out.with_suffix(".last.pt").exists(), "the run wrote no resume state after its first epoch"
    assert not out.exists()
    done = subprocess.run(command + ["--resume"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "resuming after epoch 1" in done.stdout
    epochs = [r["epoch"] for r in read_log(out.with_suffix(".log.jsonl")) if r["type"] == "epoch"]
    assert epochs == [1, 2, 3]
    assert Predictor.load(out).metrics["dev"]["accuracy"] > 0


def test_linear_model_trains_and_round_trips(small_data_dir, tmp_path):
    out = tmp_path / "linear.npz"
    train_main(["--model", "linear", "--data-dir", str(small_data_dir), "--out", str(out)])
    predictor = Predictor.load(out)
    texts = load_split(small_data_dir, "test").texts[:50]
    first = predictor.predict_proba(texts)
    np.testing.assert_array_equal(Predictor.load(out).predict_proba(texts), first)
    assert predictor.metrics["test"]["accuracy"] > 0.5


def test_cli_errors_are_clear(tmp_path, capsys):
    with pytest.raises(SystemExit, match="cls_core.data fetch"):
        train_main(["--model", "textcnn", "--data-dir", str(tmp_path), "--out", str(tmp_path / "x.pt")])


def test_out_of_fold_teacher_feeds_distillation(small_data_dir, tmp_path):
    from cls_core.oof import main as oof_main
    probs_path = tmp_path / "oof.npy"
    oof_main(["--model", "textcnn", "--folds", "2", "--data-dir", str(small_data_dir), "--out", str(probs_path),
              "--device", "cpu", "--", "--epochs", "1", "--filters", "16", "--ema", "0"])
    probs = np.load(probs_path, allow_pickle=False)
    assert probs.shape == (2000, 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    out = tmp_path / "student.pt"
    train_main(["--model", "textcnn", "--data-dir", str(small_data_dir), "--epochs", "1", "--filters", "16",
                "--teacher", str(probs_path), "--teacher", "linear-oof", "--out", str(out), "--device", "cpu"])
    assert Predictor.load(out).kind == "textcnn"
    with pytest.raises(SystemExit, match="holds"):
        train_main(["--model", "textcnn", "--data-dir", str(small_data_dir), "--train-limit", "100",
                    "--teacher", str(probs_path), "--out", str(tmp_path / "x.pt")])
