import json
import math

import numpy as np
import pytest
import torch

import cls_core.training.train
from cls_core.data import load_split
from cls_core.data.normalize import normalize_headline
from cls_core.evaluation.evaluate import evaluate
from cls_core.models.checkpoint import load_checkpoint
from cls_core.models.linear import LinearModel
from cls_core.models.predictor import Predictor
from cls_core.training.loop import hide_characters
from cls_core.training.train import main as train_main


def read_log(path):
    return [json.loads(line) for line in open(path, encoding="utf-8")]


def interrupt_after_first_epoch(monkeypatch):
    """Make the next training stop dead once its first epoch's resume state is on disk, as a
    run killed then would."""
    save = cls_core.training.train.save_checkpoint

    def save_then_stop(path, payload):
        save(path, payload)
        if "resume" in payload and payload["resume"]["state"]["epoch"] == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(cls_core.training.train, "save_checkpoint", save_then_stop)


@pytest.fixture(scope="module")
def trained_textcnn(small_data_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("train") / "textcnn.pt"
    train_main(
        [
            "--model",
            "textcnn",
            "--data-dir",
            str(small_data_dir),
            "--epochs",
            "3",
            "--filters",
            "64",
            "--batch-size",
            "32",
            "--out",
            str(out),
            "--device",
            "cpu",
            "--ema",
            "0.9",
        ]
    )  # ~200 steps: the default 0.999 average would still be mostly the init
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
    assert metrics["train_precision"] == "fp32"  # --precision auto on the CPU
    # the recorded test figure is what evaluate measures
    report = evaluate(predictor, load_split(small_data_dir, "test"))
    assert report["accuracy"] == pytest.approx(metrics["test"]["accuracy"], abs=1e-9)
    assert report["accuracy"] > 0.3  # far above chance (0.1) after 3 short epochs


def test_interrupted_run_resumes_and_ends_as_an_uninterrupted_one(small_data_dir, tmp_path, monkeypatch, capsys):
    # no dropout: with nothing random left, a resumed run must retrace the uninterrupted one
    args = [
        "--model",
        "bilstm_att",
        "--data-dir",
        str(small_data_dir),
        "--epochs",
        "3",
        "--hidden",
        "16",
        "--train-limit",
        "600",
        "--dropout",
        "0",
        "--embed-dropout",
        "0",
        "--device",
        "cpu",
    ]
    whole, out = tmp_path / "whole.pt", tmp_path / "resumed.pt"
    train_main(args + ["--out", str(whole)])
    interrupt_after_first_epoch(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        train_main(args + ["--out", str(out)])
    monkeypatch.undo()
    assert out.with_suffix(".last.pt").exists() and not out.exists()
    capsys.readouterr()
    train_main(args + ["--out", str(out), "--resume"])
    assert "resuming after epoch 1" in capsys.readouterr().out
    assert [r["epoch"] for r in read_log(out.with_suffix(".log.jsonl")) if r["type"] == "epoch"] == [1, 2, 3]
    assert not out.with_suffix(".last.pt").exists()
    expected, resumed = load_checkpoint(whole), load_checkpoint(out)
    torch.testing.assert_close(resumed["train_loss_per_step"], expected["train_loss_per_step"])
    torch.testing.assert_close(resumed["state_dict"], expected["state_dict"])


def test_linear_checkpoint_holds_the_fitted_model_and_its_figures(small_data_dir, tmp_path):
    out = tmp_path / "linear.npz"
    train_main(["--model", "linear", "--data-dir", str(small_data_dir), "--out", str(out)])
    predictor = Predictor.load(out)
    test = load_split(small_data_dir, "test")
    # the figures recorded at training time are what the file on disk scores
    report = evaluate(predictor, test)
    recorded = json.loads(out.with_suffix(".metrics.json").read_text())["test"]
    assert report["accuracy"] == pytest.approx(recorded["accuracy"], abs=1e-9) and report["accuracy"] > 0.5
    assert report["nll"] == pytest.approx(recorded["nll"]) and report["ece"] == pytest.approx(recorded["ece"])
    # and its weights are the model a fit on the same (normalised) training text gives
    train = load_split(small_data_dir, "train")
    fitted = LinearModel.fit([normalize_headline(t) for t in train.texts], train.labels, train.classes)
    texts = [normalize_headline(t) for t in test.texts[:100]]
    np.testing.assert_allclose(predictor.linear.decision_function(texts), fitted.decision_function(texts), atol=1e-6)


def test_cli_errors_are_clear(tmp_path, capsys):
    with pytest.raises(SystemExit, match="cls_core.data fetch"):
        train_main(["--model", "textcnn", "--data-dir", str(tmp_path), "--out", str(tmp_path / "x.pt")])


def test_out_of_fold_probabilities_and_a_teacher_of_the_wrong_shape(small_data_dir, tmp_path):
    from cls_core.training.oof import main as oof_main

    probs_path = tmp_path / "oof.npy"
    oof_main(
        [
            "--model",
            "textcnn",
            "--folds",
            "2",
            "--data-dir",
            str(small_data_dir),
            "--out",
            str(probs_path),
            "--device",
            "cpu",
            "--",
            "--epochs",
            "1",
            "--filters",
            "16",
            "--ema",
            "0",
        ]
    )
    probs = np.load(probs_path, allow_pickle=False)
    assert probs.shape == (2000, 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    with pytest.raises(SystemExit, match="holds"):
        train_main(
            [
                "--model",
                "textcnn",
                "--data-dir",
                str(small_data_dir),
                "--train-limit",
                "100",
                "--teacher",
                str(probs_path),
                "--out",
                str(tmp_path / "x.pt"),
            ]
        )


def test_a_student_learns_what_its_teacher_says(small_data_dir, tmp_path):
    """A teacher that names the first topic for every headline, at --distill-weight 1: the
    student answers as the teacher does, not as the labels would have taught it."""
    classes, dev = load_split(small_data_dir, "train").classes, load_split(small_data_dir, "dev")
    teacher = tmp_path / "first_topic.npy"
    np.save(teacher, np.eye(len(classes), dtype=np.float32)[np.zeros(500, dtype=int)])
    out = tmp_path / "student.pt"
    train_main(
        [
            "--model",
            "textcnn",
            "--data-dir",
            str(small_data_dir),
            "--train-limit",
            "500",
            "--epochs",
            "1",
            "--filters",
            "16",
            "--ema",
            "0",
            "--teacher",
            str(teacher),
            "--distill-weight",
            "1",
            "--out",
            str(out),
            "--device",
            "cpu",
        ]
    )
    predicted = Predictor.load(out, "cpu").predict_proba(dev.texts).argmax(1)
    assert (predicted == 0).mean() > 0.9  # the labels put a tenth of dev in the first topic


def test_character_dropout_hides_characters_and_their_bigrams_never_padding():
    chars = torch.tensor([[5, 6, 7, 0], [8, 9, 0, 0]])
    bigrams = torch.tensor([[11, 0, 12, 0], [13, 14, 0, 0]])
    hidden_chars, hidden_bigrams = hide_characters(chars, bigrams, share=1.0)
    assert hidden_chars.tolist() == [[1, 1, 1, 0], [1, 1, 0, 0]]
    assert hidden_bigrams.tolist() == [[1, 0, 1, 0], [1, 1, 0, 0]]  # a bigram already <PAD> stays so
    torch.manual_seed(0)
    some, _ = hide_characters(torch.full((50, 40), 7), torch.full((50, 40), 9), share=0.25)
    assert 0.2 < (some == 1).float().mean() < 0.3


@pytest.mark.parametrize("kind", ["textcnn", "bilstm_att"])
def test_a_bf16_step_computes_in_bf16_and_keeps_fp32_weights(kind, small_data_dir, tiny_network):
    from cls_core.data import TextEncoder, Vocab, bigram_tokens, pad_batch
    from cls_core.training.loop import Objective, train_step

    train = load_split(small_data_dir, "train")
    texts = train.texts[:32]
    encoder = TextEncoder(Vocab.build(texts, 1), Vocab.build((bigram_tokens(t) for t in texts), 1))
    model, _ = tiny_network(kind, encoder)
    model.train().requires_grad_(True)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    batch = pad_batch([encoder.encode(t) for t in texts])  # headlines of many lengths: the LSTM packs them
    logits, loss = train_step(
        model, batch, torch.tensor(train.labels[:32]), optimizer, Objective(clip=1.0), autocast_dtype=torch.bfloat16
    )
    assert logits.dtype == torch.bfloat16 and loss.dtype == torch.float32 and torch.isfinite(loss)
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert any(not torch.equal(before[k], v) for k, v in model.state_dict().items())  # it stepped


def test_training_in_bf16_on_the_cpu_records_it(small_data_dir, tmp_path):
    out = tmp_path / "bilstm_att.pt"
    train_main(
        [
            "--model",
            "bilstm_att",
            "--data-dir",
            str(small_data_dir),
            "--train-limit",
            "300",
            "--epochs",
            "1",
            "--hidden",
            "16",
            "--ema",
            "0",
            "--precision",
            "bf16",
            "--device",
            "cpu",
            "--out",
            str(out),
        ]
    )
    metrics = json.loads(out.with_suffix(".metrics.json").read_text())
    assert metrics["train_precision"] == "bf16" and load_checkpoint(out)["metrics"]["train_precision"] == "bf16"
    assert all(math.isfinite(r["train_loss"]) for r in read_log(out.with_suffix(".log.jsonl")))
    assert np.isfinite(Predictor.load(out, "cpu").predict_proba(["国足3:0完胜泰国队"])).all()
