"""Training on several sources: mapped labels, set-valued labels and their loss, weights, the
records a checkpoint keeps, and the other outlets' test sets (cls_core.data.sources,
cls_core.data.outlets, cls_core.training.loop.set_loss)."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import SHIPPED_DATA

from cls_core.data import DataFormatError, Dataset, SourceSpec, load_split, read_classes, with_extra
from cls_core.data.normalize import normalize_headline
from cls_core.data.outlets import (
    HALVES_DIR,
    OUTLET_SETS,
    SHIPPED_OUTLET,
    SHIPPED_OUTLET_SHA256,
    draw_halves,
    line_sha256,
    load_outlet_set,
    sources_dir,
)
from cls_core.data.sources import MARK
from cls_core.evaluation.evaluate import evaluate, scored_labels
from cls_core.models.checkpoint import load_checkpoint
from cls_core.models.predictor import Predictor
from cls_core.training.loop import set_loss

CLASSES = read_classes(SHIPPED_DATA / "class.txt")


def other_outlet(folder, lines_per_label=12):
    """A small file of another outlet's labels, cut from the shipped test split: its finance and
    stocks headlines both filed under `money` (as NLPCC files stock news under finance), sports as
    `ball`, and a label the map leaves out."""
    by_class = {}
    for line in (SHIPPED_DATA / "test.txt").read_text(encoding="utf-8").splitlines():
        text, _, label = line.rpartition("\t")
        by_class.setdefault(CLASSES[int(label)], []).append(text)
    rows = (
        [(t, "money") for t in by_class["finance"][:lines_per_label] + by_class["stocks"][:lines_per_label]]
        + [(t, "ball") for t in by_class["sports"][:lines_per_label]]
        + [(t, "cars") for t in by_class["game"][:lines_per_label]]
    )
    path = folder / "outlet.tsv"
    path.write_text("".join(f"{t}\t{label}\n" for t, label in rows), encoding="utf-8")
    mapping = folder / "outlet.map"
    mapping.write_text("# label<TAB>classes\nmoney\tfinance stocks\nball\tsports\n", encoding="utf-8")
    return path, mapping


def test_set_loss_is_minus_log_of_the_summed_probability():
    logits = torch.tensor([[2.0, 1.0, -1.0], [0.5, 0.2, 3.0]])
    allowed = torch.tensor([[True, True, False], [False, False, True]])
    p = torch.softmax(logits, dim=-1)
    by_hand = [-math.log(p[0, 0] + p[0, 1]), -math.log(p[1, 2])]
    assert set_loss(logits, allowed).tolist() == pytest.approx(by_hand, abs=1e-6)
    # label smoothing mixes in the mean of -log p over all classes, as F.cross_entropy does
    smoothed = [(1 - 0.1) * by_hand[i] - 0.1 * torch.log(p[i]).mean().item() for i in range(2)]
    assert set_loss(logits, allowed, 0.1).tolist() == pytest.approx(smoothed, abs=1e-6)
    # one allowed class: exactly cross-entropy
    one = F.one_hot(torch.tensor([0, 2]), 3).bool()
    assert set_loss(logits, one, 0.1).tolist() == pytest.approx(
        F.cross_entropy(logits, torch.tensor([0, 2]), label_smoothing=0.1, reduction="none").tolist(), abs=1e-6
    )


def test_a_source_is_mapped_weighted_and_recorded(tmp_path):
    path, mapping = other_outlet(tmp_path)
    base = Dataset(["国足夺冠"], [CLASSES.index("sports")], list(CLASSES))
    data = with_extra(base, [f"{path},map={mapping},weight=0.25"])
    assert len(data.texts) == 1 + 36  # the 12 `cars` lines are left out
    finance_or_stocks = (CLASSES.index("finance"), CLASSES.index("stocks"))
    assert data.label_sets[1] == finance_or_stocks and data.label_sets[0] == (CLASSES.index("sports"),)
    assert data.weights == [1.0] + [0.25] * 36
    record = data.extra[0]
    assert record["lines_per_class"] == {"finance|stocks": 24, "sports": 12}
    assert record["left_out"] == 12 and record["weight"] == 0.25
    assert record["map"]["labels"] == {"money": "finance|stocks", "ball": "sports"}
    sampled = with_extra(Dataset([], [], list(CLASSES)), [SourceSpec(path, mapping, per_label=5)])
    assert sampled.extra[0]["lines_per_class"] == {"finance|stocks": 5, "sports": 5}


def test_a_marked_sources_headlines_are_read_as_the_models_read_text_and_marked(tmp_path):
    """marked: MARK before each normalised headline of the source, none before THUCNews's; MARK
    is dropped by normalize_headline, so no headline at prediction time can hold it."""
    path, mapping = other_outlet(tmp_path)
    with path.open("a", encoding="utf-8") as f:
        f.write("國足３：０完勝泰國隊\tball\n")
    base = Dataset(["国足夺冠"], [CLASSES.index("sports")], list(CLASSES))
    data = with_extra(base, [f"{path},map={mapping},weight=0.25,marked"])
    assert data.texts[0] == "国足夺冠" and all(t.startswith(MARK) for t in data.texts[1:])
    assert data.texts[-1] == MARK + "国足3:0完胜泰国队"
    assert data.extra[0]["marked"] is True and data.weights[1:] == [0.25] * 37
    plain = with_extra(Dataset([], [], list(CLASSES)), [f"{path},map={mapping}"])
    assert plain.extra[0]["marked"] is False and [MARK + t for t in plain.texts] == data.texts[1:]
    assert normalize_headline(MARK + "国足夺冠") == "国足夺冠"
    for bad in ("marked=1", "mark"):
        with pytest.raises(DataFormatError, match="is not map=FILE"):
            SourceSpec.parse(f"{path},{bad}")


def test_a_second_head_keeps_every_line_with_its_own_label(tmp_path):
    path, mapping = other_outlet(tmp_path)
    base = Dataset(["国足夺冠"], [CLASSES.index("sports")], list(CLASSES))
    data = with_extra(base, [f"{path},map={mapping},weight=0.5,second_head=0.3"])
    assert len(data.texts) == 1 + 48  # the `cars` lines too, for the second head alone
    assert data.second.classes == ["ball", "cars", "money"] and data.second.weight == 0.3
    assert data.second.lines[0] == -1 and data.second.lines[1:25] == [2] * 24 and data.second.lines[-1] == 1
    assert data.label_sets[-1] == () and data.labels[-1] == -1
    record = data.extra[0]
    assert record["lines_per_class"] == {"finance|stocks": 24, "sports": 12}
    assert record["second_head"] == {"weight": 0.3, "lines_per_label": {"ball": 12, "cars": 12, "money": 24}}
    with pytest.raises(DataFormatError, match="second_head=W2 may be given to one source only"):
        with_extra(Dataset([], [], list(CLASSES)), [f"{path},map={mapping},second_head=1"] * 2)


def test_the_second_heads_loss_is_added_and_a_line_without_a_class_has_no_first_loss():
    from cls_core.models.networks import TextCNN
    from cls_core.training.loop import Objective, SecondHead, train_step

    torch.manual_seed(0)
    network = TextCNN(
        vocab_size=20, num_classes=3, embed_dim=8, windows=(2,), filters=4, dropout=0.0, embed_dropout=0.0
    )
    two = SecondHead(network, 2)
    chars = torch.tensor([[2, 3, 4], [5, 6, 7]])
    batch = (chars, torch.zeros_like(chars), torch.tensor([3, 3]))
    allowed = torch.tensor([[True, False, False], [False, False, False]])  # the second line: second head alone
    second_labels = torch.tensor([-1, 1])
    weights = torch.tensor([1.0, 0.5])
    logits, second_logits = two(*batch)
    by_hand = (
        F.cross_entropy(logits[:1], torch.tensor([0])) / 2
        + 0.3 * F.cross_entropy(second_logits[1:], torch.tensor([1])) * 0.5 / 2
    )
    optimizer = torch.optim.SGD(two.parameters(), lr=0.0)
    _, loss = train_step(
        two,
        batch,
        torch.tensor([0, -1]),
        optimizer,
        Objective(second_weight=0.3),
        allowed=allowed,
        weights=weights,
        second_labels=second_labels,
    )
    assert loss.item() == pytest.approx(by_hand.item(), abs=1e-6)
    assert all(torch.isfinite(p.grad).all() for p in two.parameters() if p.grad is not None)
    assert two.head.weight.grad.abs().sum() > 0


def test_a_line_the_teacher_has_no_row_for_learns_from_its_label_alone():
    """A teacher's row of zeros (a line of another source than the teacher's) leaves that
    line's loss to its label; the other lines mix label and teacher at distill_weight."""
    from cls_core.models.networks import TextCNN
    from cls_core.training.loop import Objective, train_step

    torch.manual_seed(0)
    network = TextCNN(
        vocab_size=20, num_classes=3, embed_dim=8, windows=(2,), filters=4, dropout=0.0, embed_dropout=0.0
    )
    chars = torch.tensor([[2, 3, 4], [5, 6, 7]])
    batch = (chars, torch.zeros_like(chars), torch.tensor([3, 3]))
    labels, weights = torch.tensor([0, 2]), torch.tensor([1.0, 0.3])
    teacher = torch.tensor([[0.2, 0.7, 0.1], [0.0, 0.0, 0.0]])
    logits = network(*batch)
    taught = 0.6 * F.cross_entropy(logits[:1], labels[:1]) + 0.4 * F.cross_entropy(logits[:1], teacher[:1])
    by_hand = (taught + 0.3 * F.cross_entropy(logits[1:], labels[1:])) / 2
    optimizer = torch.optim.SGD(network.parameters(), lr=0.0)
    _, loss = train_step(
        network, batch, labels, optimizer, Objective(distill_weight=0.4), soft_targets=teacher, weights=weights
    )
    assert loss.item() == pytest.approx(by_hand.item(), abs=1e-6)


def test_a_teacher_of_thucnews_lines_alone_teaches_them_and_leaves_the_other_sources_to_their_labels(
    small_data_dir, tmp_path, capsys
):
    """cls_core.training.oof predicts THUCNews's train lines; with --extra-train the split is
    longer, and the other sources' lines have no teacher row. A teacher of the first topic for
    every THUCNews line at --distill-weight 1: the student answers it, and the run says how many
    lines were taught."""
    from cls_core.training.train import main as train_main

    path, mapping = other_outlet(tmp_path)
    teacher = tmp_path / "first_topic.npy"
    np.save(teacher, np.eye(len(CLASSES), dtype=np.float32)[np.zeros(300, dtype=int)])
    arguments = ["--model", "textcnn", "--data-dir", str(small_data_dir), "--train-limit", "300", "--epochs", "1"]
    arguments += ["--filters", "16", "--ema", "0", "--device", "cpu", "--out", str(tmp_path / "student.pt")]
    arguments += ["--extra-train", f"{path},map={mapping}", "--distill-weight", "1"]
    from cls_core.training.train import teacher_probabilities

    train = load_split(small_data_dir, "train")
    every = np.linspace(0, len(train) - 1, 300).astype(int)  # all ten topics, for the linear folds
    train.texts, train.labels = [train.texts[i] for i in every], [train.labels[i] for i in every]
    mixed = with_extra(train, [f"{path},map={mapping}"])
    targets = teacher_probabilities([str(teacher)], mixed, "cpu")
    assert targets.shape == (336, len(CLASSES))
    assert (targets[:300].argmax(-1) == 0).all() and (targets[300:] == 0).all()
    both = teacher_probabilities(["linear-oof", str(teacher)], mixed, "cpu")
    assert both[:300].sum(-1).tolist() == pytest.approx([1.0] * 300, abs=1e-5) and (both[300:] == 0).all()
    train_main(arguments + ["--teacher", str(teacher)])
    assert "on 300 of 336 training headlines" in capsys.readouterr().out
    dev = load_split(small_data_dir, "dev")
    predicted = Predictor.load(tmp_path / "student.pt", "cpu").predict_proba(dev.texts).argmax(1)
    assert (predicted == 0).mean() > 0.9


@pytest.mark.parametrize(
    "map_text, spec_options, message",
    [
        ("money\tfinance shares\n", "", r"outlet.map:1: 'shares' is not a class of the model"),
        ("money\tfinance\nmoney\tstocks\n", "", r"outlet.map:2: label 'money' is mapped twice"),
        ("money\n", "", r"outlet.map:1: expected 'source label<TAB>class"),
        ("money\tfinance\n", ",weight=0", r"weight must be above 0"),
        ("money\tfinance\n", ",weight=-1", r"weight must be above 0"),
        ("money\tfinance\n", ",size=3", r"'size=3' is not map=FILE"),
        ("money\tfinance\n", ",second_head=0", r"second_head must be above 0"),
    ],
)
def test_a_bad_map_or_option_names_file_and_line(tmp_path, map_text, spec_options, message):
    path, mapping = other_outlet(tmp_path)
    mapping.write_text(map_text, encoding="utf-8")
    with pytest.raises(DataFormatError, match=message):
        with_extra(Dataset([], [], list(CLASSES)), [f"{path},map={mapping}{spec_options}"])


def test_a_missing_source_or_map_is_named(tmp_path):
    path, mapping = other_outlet(tmp_path)
    with pytest.raises(FileNotFoundError, match="nowhere.tsv not found"):
        with_extra(Dataset([], [], list(CLASSES)), [f"{tmp_path / 'nowhere.tsv'},map={mapping}"])
    with pytest.raises(FileNotFoundError, match="map .*nomap.map not found"):
        with_extra(Dataset([], [], list(CLASSES)), [f"{path},map={tmp_path / 'nomap.map'}"])


def test_training_from_two_sources_records_each(small_data_dir, tmp_path):
    from cls_core.training.train import main as train_main

    path, mapping = other_outlet(tmp_path)
    corrections = tmp_path / "corrections.tsv"
    corrections.write_text("翀翀夺冠\tsports\n", encoding="utf-8")
    for model, out in (("textcnn", tmp_path / "textcnn.pt"), ("linear", tmp_path / "linear.npz")):
        train_main(
            [
                "--model",
                model,
                "--data-dir",
                str(small_data_dir),
                "--train-limit",
                "200",
                "--epochs",
                "1",
                "--filters",
                "16",
                "--device",
                "cpu",
                "--out",
                str(out),
                "--extra-train",
                f"{path},map={mapping},weight=0.5,marked",
                "--extra-train",
                str(corrections),
            ]
        )
        if model == "linear":
            from cls_core.models.linear import LinearModel

            metrics = LinearModel.load(out).metrics
        else:
            metrics = load_checkpoint(out)["metrics"]
        sources = metrics["extra_train"]
        assert [s["path"] for s in sources] == [str(path), str(corrections)]
        assert sources[0]["lines_per_class"] == {"finance|stocks": 24, "sports": 12}
        assert sources[0]["weight"] == 0.5 and sources[0]["map"]["path"] == str(mapping)
        assert sources[0]["marked"] is True and sources[1]["marked"] is False
        # the marker is learnt (a feature of the linear model, a character of the network's),
        # and a headline typed with it reads as the same headline without
        predictor = Predictor.load(out, "cpu")
        learnt = predictor.linear.features if model == "linear" else predictor.encoder.vocab.itos
        assert MARK in learnt
        np.testing.assert_allclose(predictor.predict_proba([MARK + "国足夺冠"]), predictor.predict_proba(["国足夺冠"]))
        assert sources[1]["headlines"] == 1 and sources[1]["map"] is None


def test_a_network_trains_with_a_second_head_resumes_and_is_saved_without_it(small_data_dir, tmp_path, monkeypatch):
    from test_train import interrupt_after_first_epoch

    from cls_core.models.predictor import load_predictor
    from cls_core.training.train import main as train_main

    path, mapping = other_outlet(tmp_path)
    out = tmp_path / "textcnn.pt"
    arguments = [
        "--model",
        "textcnn",
        "--data-dir",
        str(small_data_dir),
        "--train-limit",
        "200",
        "--filters",
        "16",
        "--epochs",
        "2",
        "--device",
        "cpu",
        "--out",
        str(out),
        "--extra-train",
        f"{path},map={mapping},second_head=0.5",
    ]
    interrupt_after_first_epoch(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        train_main(arguments)
    monkeypatch.undo()
    resume = load_checkpoint(out.with_suffix(".last.pt"), required=("resume",))["resume"]
    assert resume["model"]["head.weight"].shape == (3, 48)  # ball, cars, money over 16 filters x 3 windows
    train_main(arguments + ["--resume"])
    saved = load_checkpoint(out)
    assert not any(key.startswith(("head.", "network.")) for key in saved["state_dict"])
    assert saved["metrics"]["extra_train"][0]["second_head"]["lines_per_label"]["cars"] == 12
    assert load_predictor([out], "cpu").predict_proba(["国足夺冠"]).shape == (1, len(CLASSES))
    with pytest.raises(SystemExit, match="--teacher and a source's second_head cannot be combined"):
        train_main(arguments + ["--teacher", "linear-oof"])


def test_the_linear_model_learns_a_set_as_one_copy_per_class_at_a_share_of_the_weight():
    from cls_core.training.train import linear_training_lines

    data = Dataset(["a", "b"], [0, 1], list(CLASSES), label_sets=[(0,), (1, 2)], weights=[1.0, 0.5])
    lines = linear_training_lines(data)
    assert lines["texts"] == ["a", "b", "b"] and lines["labels"] == [0, 1, 2]
    assert lines["sample_weight"].tolist() == [1.0, 0.25, 0.25]


def test_a_set_label_counts_right_for_any_of_its_classes():
    data = Dataset(["x", "y", "z"], [0, 0, 3], list(CLASSES), label_sets=[(0, 2), (0, 2), (3,)])
    assert scored_labels(np.array([2, 5, 3]), data).tolist() == [2, 0, 3]


def test_the_shipped_outlet_slice_is_checked_and_scored_with_sets(checkpoint_dir):
    from cls_core.data import sha256_file
    from cls_core.models.predictor import load_predictor

    assert sha256_file(SHIPPED_OUTLET) == SHIPPED_OUTLET_SHA256
    assert SHIPPED_OUTLET.stat().st_size <= 1_000_000
    outlet = load_outlet_set("outlet", CLASSES)
    assert len(outlet) == 10_000
    finance = [s for s in outlet.label_sets if CLASSES.index("finance") in s]
    assert finance and all(set(s) == {CLASSES.index("finance"), CLASSES.index("stocks")} for s in finance)
    some = Dataset(outlet.texts[:300], outlet.labels[:300], list(CLASSES), label_sets=outlet.label_sets[:300])
    report = evaluate(load_predictor([checkpoint_dir / "linear.npz"], "cpu"), some)
    right = [p["predicted"] in s for p, s in zip(report["predictions"], some.label_sets)]
    assert report["accuracy"] == pytest.approx(np.mean(right))


def test_halves_are_disjoint_stratified_and_drawn_the_same_way_again():
    for source in ("toutiao", "nlpcc"):
        fit = set((HALVES_DIR / f"{source}-fit.sha256").read_text().split())
        report = set((HALVES_DIR / f"{source}-report.sha256").read_text().split())
        assert fit and report and not fit & report and abs(len(fit) - len(report)) <= 1
    lines = [f"h{i}\t{'ab'[i % 2]}" for i in range(40)]
    fit, report = draw_halves(lines)
    assert draw_halves(lines) == (fit, report) and sum(line.endswith("a") for line in fit) == 10


@pytest.mark.full_data
def test_the_committed_halves_are_read_from_the_shared_files():
    if not (sources_dir() / "toutiao2018").exists():
        pytest.fail(f"no other outlets in {sources_dir()}")
    sizes = {name: len(load_outlet_set(name, CLASSES)) for name in OUTLET_SETS}
    assert sizes["toutiao-fit"] > 10_000 and sizes["nlpcc-fit"] > 5_000


@pytest.mark.full_data
def test_nlpcc_alone_is_written_in_its_own_labels(tmp_path):
    from cls_core.data.fetch import main as data_main

    if not (sources_dir() / "nlpcc2017").exists():
        pytest.fail(f"no NLPCC in {sources_dir()}")
    data_main(["nlpcc-alone", str(tmp_path)])
    train = (tmp_path / "train.tsv").read_text(encoding="utf-8").splitlines()
    fit = (tmp_path / "fit.tsv").read_text(encoding="utf-8").splitlines()
    six = {"sports", "game", "entertainment", "society", "tech", "finance"}
    assert {line.rpartition("\t")[2] for line in train} == {line.rpartition("\t")[2] for line in fit} == six
    assert len(train) == 59_960 and len(fit) == len(load_outlet_set("nlpcc-fit", CLASSES)) == 5_995
    assert {line_sha256(line) for line in fit} <= set((HALVES_DIR / "nlpcc-fit.sha256").read_text().split())


def test_the_unsure_threshold_is_the_lowest_that_keeps_the_answered_right_often_enough():
    from cls_core.evaluation.outlets import threshold_for_accuracy

    # top probabilities 0.9, 0.8, 0.7, 0.6 with answers right, right, wrong, right
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3], [0.4, 0.6]])
    labels = [0, 1, 1, 1]
    assert threshold_for_accuracy(probs, labels, 1.0) == pytest.approx(0.8)
    assert threshold_for_accuracy(probs, labels, 0.75) == pytest.approx(0.6)  # 3 of 4 right answered
    assert threshold_for_accuracy(probs, [1, 0, 1, 0], 0.9) == 1.0  # nothing reaches it: answer nothing


def test_figures_on_a_set_say_what_unsure_buys():
    from cls_core.evaluation.outlets import figures_on

    class Stub:
        unsure_threshold = 0.65

        def predict_proba(self, texts):
            return np.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3], [0.4, 0.6]])

    data = Dataset(list("abcd"), [0, 1, 1, 1], ["x", "y"])
    assert figures_on(Stub(), data) == {
        "accuracy": 0.75,
        "headlines": 4,
        "answered": 0.75,
        "accuracy_answered": round(2 / 3, 4),
    }
