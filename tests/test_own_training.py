"""Training on a labelled file of one's own from the command line (`python -m cls_core.train
--train-file`): each model learns the small set tests/owndata.py makes (four topics THUCNews
lacks) well above chance, the checkpoint records the data, and every bad file is refused with
a message naming it, leaving nothing in the output folder."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from owndata import TOPICS, labelled_rows, write_labelled_set

from cls_core.data import EMBEDDING_FILE, EMBEDDING_VOCAB_FILE, DataFormatError, read_word2vec
from cls_core.data.labelled import read_labelled_file
from cls_core.evaluation.evaluate import evaluate
from cls_core.models.checkpoint import load_checkpoint
from cls_core.models.predictor import Predictor
from cls_core.training.train import main as train_main

ROOT = Path(__file__).resolve().parents[1]
CLASSES = sorted(TOPICS)
# Tiny options: each network trains in seconds on 320 lines and still learns the four topics.
TINY = {
    "textcnn": ["--epochs", "4", "--batch-size", "16", "--filters", "32", "--bigram-dim", "16"],
    "bilstm_att": [
        "--epochs",
        "3",
        "--batch-size",
        "32",
        "--lr",
        "1e-2",
        "--hidden",
        "16",
        "--layers",
        "1",
        "--bigram-dim",
        "16",
    ],
    "linear": [],
}


def own_args(model, train_file, out, data_dir, *more):
    return [
        "--model",
        model,
        "--train-file",
        str(train_file),
        "--out",
        str(out),
        "--data-dir",
        str(data_dir),
        "--ema",
        "0",
        "--device",
        "cpu",
        *TINY[model],
        *more,
    ]


def fake_tencent(folder, dim=16):
    """A data folder holding 'Tencent' vectors for a few of the set's characters."""
    folder.mkdir()
    chars = sorted(set("".join(t for t, _ in labelled_rows())))[:40]
    (folder / EMBEDDING_VOCAB_FILE).write_text(json.dumps(chars, ensure_ascii=False), encoding="utf-8")
    np.savez(folder / EMBEDDING_FILE, embeddings=np.random.default_rng(0).normal(size=(len(chars), dim)))
    return folder


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The three models trained into one folder, models/mine/, on one file: the networks from
    the characters' 'Tencent' vectors (textcnn) and from random ones (bilstm_att)."""
    root = tmp_path_factory.mktemp("own")
    mine = write_labelled_set(root / "mine.tsv")
    folder = root / "models" / "mine"
    tencent = fake_tencent(root / "tencent")
    train_main(own_args("textcnn", mine, folder / "textcnn.pt", tencent))
    train_main(own_args("bilstm_att", mine, folder / "bilstm_att.pt", root / "nothing", "--embed-dim", "32"))
    train_main(own_args("linear", mine, folder / "linear.pt", root / "nothing"))  # .pt: written as .npz
    return mine, folder


@pytest.mark.parametrize("name", ["textcnn.pt", "bilstm_att.pt", "linear.npz"])
def test_each_model_learns_the_held_out_lines(trained, name):
    mine, folder = trained
    predictor = Predictor.load(folder / name, device="cpu")
    assert predictor.classes == CLASSES
    test = read_labelled_file(folder / "test.tsv", classes=predictor.classes)
    assert len(test) == 40 and [test.labels.count(c) for c in range(4)] == [10] * 4
    report = evaluate(predictor, test)
    assert report["accuracy"] > 0.7  # chance is 0.25
    assert report["accuracy"] == pytest.approx(predictor.metrics["test"]["accuracy"], abs=1e-9)
    # never trained on the test lines: train + dev + test are the file, each line once
    record = predictor.extras["data"]
    assert record["splits"] == {"train": 320, "dev": 40, "test": 40}


def test_the_checkpoint_records_the_data(trained):
    mine, folder = trained
    payload = load_checkpoint(folder / "textcnn.pt")
    data = payload["data"]
    assert data["source"] == "own" and data["carved"] == {
        "shares": [0.8, 0.1, 0.1],
        "parts": ["train", "dev", "test"],
        "seed": 1,
    }
    assert data["train_file"]["path"] == str(mine) and data["train_file"]["lines"] == 400
    assert data["train_file"]["sha256"] == payload["train_sha256"]
    assert data["class_counts"] == {"train": [80] * 4, "dev": [10] * 4, "test": [10] * 4}
    assert data["embedding"] == "tencent" and payload["config"]["embed_dim"] == 16  # the vectors' own size
    assert json.loads(payload["train_args"])["train_file"] == str(mine)
    assert payload["class_counts"]["test"] == [10] * 4
    assert load_checkpoint(folder / "bilstm_att.pt")["data"]["embedding"] == "random"
    linear = Predictor.load(folder / "linear.npz")
    assert linear.extras["data"]["embedding"] is None and linear.extras["data"]["splits"] == data["splits"]
    assert linear.extras["train_args"]["model"] == "linear"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [
            "dev.tsv",
            "test.tsv",
            "textcnn.pt",
            "textcnn.log.jsonl",
            "textcnn.metrics.json",
            "bilstm_att.pt",
            "bilstm_att.log.jsonl",
            "bilstm_att.metrics.json",
            "linear.npz",
            "linear.metrics.json",
        ]
    )


def test_the_log_says_what_a_live_reader_shows(trained):
    _, folder = trained
    lines = [json.loads(line) for line in open(folder / "textcnn.log.jsonl", encoding="utf-8")]
    epochs = [r for r in lines if r["type"] == "epoch"]
    assert [r["epoch"] for r in epochs] == [1, 2, 3, 4]
    assert all({"dev_acc", "dev_loss", "elapsed", "wall", "train_loss"} <= r.keys() for r in epochs)
    assert all(r["epochs"] == 4 for r in lines)
    steps = [r for r in lines if r["type"] == "step"]
    assert steps and all({"epoch", "step", "train_loss", "window_loss", "wall"} <= r.keys() for r in steps)


def test_a_csv_with_named_columns_and_given_test_file(tmp_path, capsys):
    rows = labelled_rows()
    train_csv = tmp_path / "train.csv"
    train_csv.write_text(
        "id,title,topic\n" + "".join(f'{i},"{t}",{y}\n' for i, (t, y) in enumerate(rows[:360])), encoding="utf-8"
    )
    test_tsv = tmp_path / "test.tsv"
    test_tsv.write_text("".join(f"{t}\t{y}\n" for t, y in rows[360:]), encoding="utf-8")
    folder = tmp_path / "models" / "csv"
    train_main(
        own_args(
            "linear",
            train_csv,
            folder / "linear.npz",
            tmp_path,
            "--text-column",
            "title",
            "--label-column",
            "topic",
            "--test-file",
            str(test_tsv),
        )
    )
    data = Predictor.load(folder / "linear.npz").extras["data"]
    assert data["carved"]["parts"] == ["train", "dev"] and data["splits"]["test"] == 40
    assert data["text_column"] == "title" and data["test_file"]["lines"] == 40
    assert (folder / "test.tsv").read_text(encoding="utf-8") == test_tsv.read_text(encoding="utf-8")
    # the templates repeat: some test lines are also training lines, and the run says how many
    assert "test texts also occur in train" in capsys.readouterr().err


def write_two_topics(path, extra=""):
    path.write_text("".join(f"晴天{i}\t天气\n雨天{i}\t下雨\n" for i in range(10)) + extra, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "content, message",
    [
        ("只有一列\n", "mine.tsv:21: expected 2 columns (text<TAB>label), found 1"),
        ("\t天气\n", "mine.tsv:21: empty text"),
        ("火锅\t美食\n" * 3, "label '美食' has only 3 of the 10 lines each label needs"),
    ],
)
def test_a_bad_file_names_its_fault_and_leaves_nothing(tmp_path, content, message):
    mine = write_two_topics(tmp_path / "mine.tsv", content)
    folder = tmp_path / "models" / "mine"
    with pytest.raises(SystemExit, match=re.escape(message)):
        train_main(own_args("textcnn", mine, folder / "textcnn.pt", tmp_path))
    assert not folder.parent.exists()


def test_other_bad_files_leave_nothing(tmp_path):
    folder = tmp_path / "models" / "mine"
    latin = tmp_path / "latin.tsv"
    latin.write_bytes("".join(f"晴天{i}\t天气\n" for i in range(10)).encode() + "caf\xe9\tfood\n".encode("latin-1"))
    big = tmp_path / "big.tsv"
    with open(big, "wb") as f:
        f.write(("新闻标题" * 500 + "\t天气\n").encode() * 3_600)  # 20.6 MiB
    mine = write_two_topics(tmp_path / "mine.tsv")
    bad_dev = write_two_topics(tmp_path / "dev.tsv", "火锅\t美食\n")
    vectors = tmp_path / "vectors.txt"
    vectors.write_text("3 2\n晴 0.1 0.2\n天 0.3\n", encoding="utf-8")
    for args, message in [
        (own_args("linear", latin, folder / "linear.npz", tmp_path), "latin.tsv:11: not valid UTF-8"),
        (own_args("linear", big, folder / "linear.npz", tmp_path), "big.tsv: 20.6 MB; the limit is 20 MB"),
        (
            own_args("linear", mine, folder / "linear.npz", tmp_path, "--dev-file", str(bad_dev)),
            "dev.tsv: labels not in the training file: '美食'",
        ),
        (
            own_args("textcnn", mine, folder / "t.pt", tmp_path, "--pretrained", str(vectors)),
            "vectors.txt:3: 1 numbers where 2 are expected",
        ),
    ]:
        with pytest.raises(SystemExit, match=message):
            train_main(args)
        assert not folder.parent.exists()


def test_a_folder_holding_other_data_is_refused_and_left_as_it_was(tmp_path):
    folder = tmp_path / "models" / "mine"
    train_main(own_args("linear", write_labelled_set(tmp_path / "a.tsv"), folder / "linear.npz", tmp_path))
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    other = write_labelled_set(tmp_path / "b.tsv", seed=1)
    with pytest.raises(SystemExit, match="dev.tsv holds another dev split than this run's"):
        train_main(own_args("linear", other, folder / "linear2.npz", tmp_path))
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_modes_are_kept_apart(tmp_path):
    mine = write_two_topics(tmp_path / "mine.tsv")
    for args in (
        ["--model", "linear", "--train-file", str(mine), "--train-limit", "5", "--out", "x.npz"],
        ["--model", "linear", "--test-file", str(mine)],
        ["--model", "linear", "--train-file", str(mine)],
    ):
        with pytest.raises(SystemExit) as stop:
            train_main(args)
        assert stop.value.code == 2  # argparse's usage error


def test_own_vectors_start_the_characters(tmp_path, capsys):
    vectors = tmp_path / "vectors.txt"
    vectors.write_text("3 4\n晴 0.1 0.2 0.3 0.4\n天 1 2 3 4\nword 0 0 0 1\n", encoding="utf-8")
    tokens, matrix = read_word2vec(vectors)
    assert tokens == ["晴", "天", "word"] and matrix.shape == (3, 4) and matrix.dtype == np.float32
    out = tmp_path / "m" / "textcnn.pt"
    train_main(
        own_args("textcnn", write_two_topics(tmp_path / "mine.tsv"), out, tmp_path, "--pretrained", str(vectors))
        + ["--epochs", "1"]
    )
    payload = load_checkpoint(out)
    assert payload["data"]["embedding"] == f"pretrained:{vectors}" and payload["config"]["embed_dim"] == 4
    assert "2 of" in capsys.readouterr().out  # 晴 and 天 found in the vocabulary
    for text, message in [
        ("2 4\n晴 0.1 0.2 0.3 0.4\n", "vectors.txt:1: the header says 2 vectors"),
        ("晴 0.1 x\n", "vectors.txt:1: not a number"),
        ("", "no vectors"),
    ]:
        vectors.write_text(text, encoding="utf-8")
        with pytest.raises(DataFormatError, match=message):
            read_word2vec(vectors)


def test_sigterm_during_training_removes_what_the_run_wrote(tmp_path):
    """As the browser's Train tab cancels a run: SIGTERM while it trains."""
    mine = write_labelled_set(tmp_path / "mine.tsv")
    folder = tmp_path / "models" / "mine"
    run = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cls_core.train",
            *own_args("textcnn", mine, folder / "textcnn.pt", tmp_path, "--epochs", "500", "--log-every", "1"),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, OMP_NUM_THREADS="1"),
    )
    log = folder / "textcnn.log.jsonl"
    deadline = time.monotonic() + 120
    while not (log.exists() and log.stat().st_size) and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert (folder / "test.tsv").exists()
    run.send_signal(signal.SIGTERM)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 1 and "stopped by SIGTERM; removed the files this run wrote" in err
    assert not (tmp_path / "models").exists()


def test_the_weight_average_of_a_small_file_spans_about_an_epoch():
    from cls_core.training.train import THUCNEWS_EMA, epoch_long_ema

    assert epoch_long_ema(125) == 0.992 and epoch_long_ema(20) == 0.95
    assert epoch_long_ema(1000) == epoch_long_ema(50_000) == THUCNEWS_EMA == 0.999  # never longer than THUCNews's


def test_the_other_training_options_work_as_on_thucnews(tmp_path):
    out = tmp_path / "m" / "gru.pt"
    train_main(
        own_args(
            "bilstm_att",
            write_two_topics(tmp_path / "mine.tsv"),
            out,
            tmp_path,
            "--cell",
            "gru",
            "--unidirectional",
            "--embed-dim",
            "8",
        )
        + ["--epochs", "1"]
    )
    config = load_checkpoint(out)["config"]
    assert config["cell"] == "gru" and config["bidirectional"] is False and config["hidden"] == 16


def test_two_labels_train_every_model_and_their_ensemble(tmp_path):
    """README promises 2 to 100 labels: with two, scikit-learn's SVM keeps one row of weights
    (the second class against the first), and the linear model once failed with IndexError."""
    from cls_core.app.service import Demo
    from cls_core.app.views.predict import predict

    two = tmp_path / "two.tsv"
    two.write_text("".join(f"{t}\t{y}\n" for t, y in labelled_rows() if y in ("天气", "美食")), encoding="utf-8")
    folder = tmp_path / "models" / "two"
    for model in ("textcnn", "bilstm_att", "linear"):
        train_main(own_args(model, two, folder / f"{model}.pt", tmp_path / "nothing", "--embed-dim", "16"))
    linear = Predictor.load(folder / "linear.npz", "cpu")
    assert linear.classes == ["天气", "美食"] and linear.metrics["test"]["accuracy"] > 0.9
    demo = Demo.load(tmp_path / "no-checkpoints", tmp_path, "cpu", models_dir=tmp_path / "models")
    names = [n for n in demo.model_names() if n.startswith("two/")]
    assert len(names) == 4  # three models and their ensemble
    _, _, results = predict(demo, "北京明日暴雨预警 气温骤降", names)
    assert all(next(iter(top)) == "天气" for top, _, _ in results.values())
