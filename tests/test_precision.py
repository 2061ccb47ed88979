"""bf16 serving keeps the answers: the shipped networks in bf16 against themselves in fp32, each
forced, so that a machine without bf16 units checks the same; and the per-machine choice."""

import json

import numpy as np
import pytest
import torch

from cls_core.data import load_split
from cls_core.models import precision
from cls_core.models.calibration import expected_calibration_error
from cls_core.models.predictor import Predictor

NETWORKS = ["textcnn", "bilstm_att"]


@pytest.fixture(scope="module")
def sample(data_dir):
    test = load_split(data_dir, "test")
    return test.texts[::5], np.array(test.labels[::5])  # 2,000 headlines, every topic


@pytest.fixture(scope="module", params=NETWORKS)
def twins(request, checkpoint_dir):
    path = checkpoint_dir / f"{request.param}.pt"
    return Predictor.load(path, "cpu", precision="fp32"), Predictor.load(path, "cpu", precision="bf16")


def test_bf16_gives_the_fp32_answers(twins, sample, data_dir):
    """Same top class on >= 99.9 % of headlines, calibrated probabilities within 0.01; ECE <= 2 %
    on the whole test split (where the goal is set: on a fifth of it the estimate moves by tenths
    of a point)."""
    fp32, bf16 = twins
    texts, labels = sample
    p32, p16 = fp32.predict_proba(texts), bf16.predict_proba(texts)
    assert bf16.precision == "bf16" and fp32.precision == "fp32"
    flips = int((p32.argmax(1) != p16.argmax(1)).sum())
    assert flips <= len(texts) // 1000, f"{flips} of {len(texts)} headlines change their top class"
    assert np.abs(p32 - p16).max() <= 0.01
    # counted, not averaged: means of 2,000 answers differ by a float's rounding at exactly one flip
    assert abs(int((p32.argmax(1) == labels).sum()) - int((p16.argmax(1) == labels).sum())) <= flips
    test = load_split(data_dir, "test")
    assert expected_calibration_error(bf16.predict_proba(test.texts), test.labels) <= 0.02


def test_bf16_fast_path_really_computes_in_bf16(twins):
    fp32, bf16 = twins
    assert (
        fp32.fast.bigram_maps[0].dtype == torch.float32
        if fp32.kind == "textcnn"
        else fp32.fast.table.dtype == torch.float32
    )
    if bf16.kind == "textcnn":  # the folded tables stay float32 (lookups); the products are bf16
        assert bf16.fast.bigram_maps[0].dtype == torch.bfloat16 and bf16.fast.tables[0].dtype == torch.float32
    else:
        assert bf16.fast.table.dtype == bf16.fast.w_hh.dtype == torch.bfloat16
        assert next(bf16.fast.upper.parameters()).dtype == torch.bfloat16
    # the network itself keeps float32 weights, for gradients
    assert {p.dtype for p in bf16.model.parameters()} == {torch.float32}


def test_many_lengths_in_one_pass_in_bf16(twins, sample):
    """A look inside scores prefixes and edits through the network's own forward, in bf16 by autocast."""
    fp32, bf16 = twins
    headline = sample[0][7]
    texts = [headline[:i] for i in range(1, len(headline) + 1)]
    np.testing.assert_allclose(bf16.scores_in_one_pass(texts), fp32.scores_in_one_pass(texts), atol=0.1)
    np.testing.assert_allclose(bf16.scores(texts), bf16.scores_in_one_pass(texts), atol=0.1)


def test_explicit_precision_is_kept_and_bad_one_refused():
    assert precision.resolve_precision("fp32", "cpu") == "fp32"
    assert precision.resolve_precision("bf16", "cpu") == "bf16"
    with pytest.raises(ValueError, match="precision must be one of"):
        precision.resolve_precision("fp16", "cpu")


def test_auto_follows_the_probe_and_keeps_its_verdict_per_machine(tmp_path, monkeypatch):
    monkeypatch.setenv("HEADLINE_LENS_CACHE", str(tmp_path))
    probes = []

    def probe(figures):
        def run(repeats=5):
            probes.append(figures)
            return dict(figures)

        return run

    monkeypatch.setattr(precision, "probe_cpu", probe({"fp32_ms": 10.0, "bf16_ms": 9.0}))  # no bf16 units
    assert precision.resolve_precision("auto", "cpu") == "fp32"
    assert precision.resolve_precision("auto", "cpu") == "fp32" and len(probes) == 1  # kept, not probed again
    kept = json.loads((tmp_path / "precision-probe.json").read_text())
    assert kept["key"] == precision.machine_key() and kept["choice"] == "fp32"

    monkeypatch.setattr(precision, "probe_cpu", probe({"fp32_ms": 10.0, "bf16_ms": 4.0}))
    assert precision.cpu_verdict(refresh=True)["choice"] == "bf16"
    kept["key"] = "another machine"  # a verdict kept for another machine (or thread count) is not used
    (tmp_path / "precision-probe.json").write_text(json.dumps(kept))
    assert precision.resolve_precision("auto", "cpu") == "bf16" and len(probes) == 3


def test_a_real_probe_times_both(tmp_path, monkeypatch):
    monkeypatch.setenv("HEADLINE_LENS_CACHE", str(tmp_path))
    verdict = precision.cpu_verdict(refresh=True)
    assert verdict["fp32_ms"] > 0 and verdict["bf16_ms"] > 0 and verdict["choice"] in ("fp32", "bf16")


def test_training_precision():
    assert precision.training_precision("fp32", "cpu") == (None, False)
    assert precision.training_precision("bf16", "cpu") == (torch.bfloat16, False)
