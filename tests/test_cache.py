"""The cache of what is computed once per checkpoint: an entry belongs to the checkpoint
bytes a predictor was loaded from, never to whatever lies at its path later."""

import os

import pytest
import torch

from cls_core.data import TextEncoder, Vocab, bigram_tokens
from cls_core.explain import attribution, cache
from cls_core.models.checkpoint import save_checkpoint
from cls_core.models.networks import build_model
from cls_core.models.predictor import Predictor

TEXTS = ["国足3:0胜泰国", "央行下调准备金率", "新盘开盘"]


def write_checkpoint(path, temperature):
    """A tiny TextCNN checkpoint; checkpoints of different temperatures have the same size."""
    encoder = TextEncoder(Vocab.build(TEXTS), Vocab.build(bigram_tokens(t) for t in TEXTS))
    config = dict(
        vocab_size=len(encoder.vocab),
        num_classes=3,
        embed_dim=8,
        bigram_vocab_size=len(encoder.bigram_vocab),
        bigram_dim=4,
        filters=5,
    )
    torch.manual_seed(0)
    model = build_model("textcnn", config)
    save_checkpoint(
        path,
        {
            "kind": "textcnn",
            "config": config,
            "state_dict": model.state_dict(),
            "encoder": encoder.to_json(),
            "classes": ["a", "b", "c"],
            "temperature": temperature,
        },
    )


@pytest.fixture()
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HEADLINE_LENS_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "class.txt").write_text("a\nb\nc\n", encoding="utf-8")
    (folder / "test.txt").write_text("".join(f"{t}\t{i}\n" for i, t in enumerate(TEXTS)), encoding="utf-8")
    return folder


@pytest.fixture()
def agreement_of_temperature(monkeypatch):
    """cached_agreement's computation replaced by one that answers which weights ran it
    (here, the temperature), and counts its runs."""
    runs = []

    def test_agreement(predictor, dataset, sample, progress=None):
        runs.append(predictor.temperature)
        return {"temperature": predictor.temperature}

    monkeypatch.setattr(attribution, "test_agreement", test_agreement)
    return runs


def test_an_entry_is_built_once_and_then_read(data_dir, agreement_of_temperature, tmp_path):
    path = tmp_path / "model.pt"
    write_checkpoint(path, 2.0)
    predictor = Predictor.load(path, "cpu")
    assert attribution.cached_agreement(predictor, data_dir, sample=3) == {"temperature": 2.0}
    assert attribution.cached_agreement(Predictor.load(path, "cpu"), data_dir, sample=3) == {"temperature": 2.0}
    assert agreement_of_temperature == [2.0]


def test_a_checkpoint_rewritten_with_the_same_size_and_time_gets_its_own_entry(
    data_dir, agreement_of_temperature, tmp_path
):
    """As a copy that keeps the file's time (cp -p, rsync -t), or a retraining within one
    tick of the file system's clock: same path, same size, same mtime, other weights."""
    path = tmp_path / "model.pt"
    write_checkpoint(path, 2.0)
    old = Predictor.load(path, "cpu")
    assert attribution.cached_agreement(old, data_dir, sample=3) == {"temperature": 2.0}
    stat = path.stat()
    write_checkpoint(path, 3.0)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
    new = Predictor.load(path, "cpu")
    assert attribution.cached_agreement(new, data_dir, sample=3) == {"temperature": 3.0}
    assert agreement_of_temperature == [2.0, 3.0]


def test_a_predictor_loaded_before_its_file_changed_keeps_its_own_entries(data_dir, agreement_of_temperature, tmp_path):
    """The app keeps running on the old weights while a retraining writes the new file: what
    the old weights compute is never filed under the new file, nor read for it."""
    path = tmp_path / "model.pt"
    write_checkpoint(path, 2.0)
    old = Predictor.load(path, "cpu")
    write_checkpoint(path, 3.0)
    assert attribution.cached_agreement(old, data_dir, sample=3) == {"temperature": 2.0}
    assert attribution.cached_agreement(Predictor.load(path, "cpu"), data_dir, sample=3) == {"temperature": 3.0}
    assert agreement_of_temperature == [2.0, 3.0]


def test_a_changed_data_file_gets_its_own_entry(data_dir, agreement_of_temperature, tmp_path):
    path = tmp_path / "model.pt"
    write_checkpoint(path, 2.0)
    predictor = Predictor.load(path, "cpu")
    attribution.cached_agreement(predictor, data_dir, sample=3)
    with open(data_dir / "test.txt", "a", encoding="utf-8") as f:
        f.write("楼市新政\t2\n")
    attribution.cached_agreement(predictor, data_dir, sample=3)
    assert agreement_of_temperature == [2.0, 2.0]


def test_a_predictor_built_in_memory_has_no_entries(data_dir):
    predictor = Predictor("linear", ["a", "b", "c"])
    with pytest.raises(ValueError, match="not loaded from a checkpoint file"):
        cache.entry_path("agreement", predictor, data_dir / "test.txt")


def test_bf16_builds_are_filed_apart_and_fp32_entries_are_read_by_both(data_dir, monkeypatch, tmp_path):
    """A predictor serving in bf16 never writes an fp32 entry (shipped entries are fp32), and
    reads one where it exists rather than building its own."""
    runs = []

    def test_agreement(predictor, dataset, sample, progress=None):
        runs.append(predictor.precision)
        return {"precision": predictor.precision}

    monkeypatch.setattr(attribution, "test_agreement", test_agreement)
    path = tmp_path / "model.pt"
    write_checkpoint(path, 2.0)
    bf16, fp32 = Predictor.load(path, "cpu", "bf16"), Predictor.load(path, "cpu", "fp32")
    assert attribution.cached_agreement(bf16, data_dir, sample=3) == {"precision": "bf16"}
    assert attribution.cached_agreement(fp32, data_dir, sample=3) == {"precision": "fp32"}  # not the bf16 one
    assert attribution.cached_agreement(bf16, data_dir, sample=3) == {"precision": "bf16"}  # its own, kept
    assert runs == ["bf16", "fp32"]
    names = sorted(p.name for p in cache.cache_dir().iterdir() if p.name.startswith("agreement"))
    assert len(names) == 2 and sum("-bf16-" in n for n in names) == 1
    for kept in cache.cache_dir().glob("agreement-3-*-bf16-*"):
        kept.unlink()
    assert attribution.cached_agreement(Predictor.load(path, "cpu", "bf16"), data_dir, sample=3) == {
        "precision": "fp32"
    }
    assert runs == ["bf16", "fp32"]
