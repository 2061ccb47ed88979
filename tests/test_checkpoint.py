import pickle

import numpy as np
import pytest
import torch

from cls_core.data import TextEncoder, Vocab, bigram_tokens, sha256_file
from cls_core.models.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from cls_core.models.linear import LinearModel
from cls_core.models.predictor import Predictor

TEXTS = ["国足3:0胜泰国", "央行下调准备金率", "新盘开盘"]


class Boom:
    def __reduce__(self):
        return (print, ("this must never run",))


@pytest.fixture()
def tiny_checkpoint(tiny_network):
    """write(path) -> (model, encoder): a small TextCNN saved as a checkpoint of three classes."""

    def write(path):
        encoder = TextEncoder(Vocab.build(TEXTS), Vocab.build(bigram_tokens(t) for t in TEXTS))
        model, config = tiny_network("textcnn", encoder, num_classes=3, embed_dim=8, bigram_dim=4, filters=5)
        save_checkpoint(
            path,
            {
                "kind": "textcnn",
                "config": config,
                "state_dict": model.state_dict(),
                "encoder": encoder.to_json(),
                "classes": ["a", "b", "c"],
                "temperature": 2.0,
            },
        )
        return model, encoder

    return write


def test_round_trip_gives_the_same_predictions(tiny_checkpoint, tmp_path):
    path = tmp_path / "m.pt"
    model, encoder = tiny_checkpoint(path)
    predictor = Predictor.load(path, device="cpu")
    from cls_core.data import pad_batch

    expected = torch.softmax(model(*pad_batch([encoder.encode(TEXTS[0])])) / 2.0, -1)[0].detach().numpy()
    np.testing.assert_allclose(predictor.predict_proba(TEXTS[:1])[0], expected, atol=1e-6)
    top = predictor.predict(TEXTS, top_k=2)
    assert len(top) == 3 and all(len(t) == 2 and t[0][1] >= t[1][1] for t in top)
    assert not list(tmp_path.glob("*.tmp"))  # the atomic write left nothing behind


def test_truncated_file_is_refused(tiny_checkpoint, tmp_path):
    path = tmp_path / "m.pt"
    tiny_checkpoint(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        Predictor.load(path)


@pytest.mark.parametrize("payload", [b"\x00garbage" * 100, pickle.dumps(Boom())])
def test_foreign_files_are_refused(tmp_path, payload, capsys):
    path = tmp_path / "m.pt"
    path.write_bytes(payload)
    with pytest.raises(CheckpointError):
        load_checkpoint(path)
    assert "must never run" not in capsys.readouterr().out


def test_a_plain_state_dict_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "m.pt"
    torch.save({"weight": torch.zeros(2)}, path)
    with pytest.raises(CheckpointError, match="not a headline-lens checkpoint"):
        load_checkpoint(path)
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        load_checkpoint(tmp_path / "absent.pt")


def test_linear_model_round_trip_and_pickle_refusal(tmp_path, capsys):
    model = LinearModel.fit(TEXTS * 3, [0, 1, 2] * 3, ["a", "b", "c"])
    model.temperature = 0.5
    path = tmp_path / "linear.npz"
    model.save(path)
    again = LinearModel.load(path)
    np.testing.assert_array_equal(again.decision_function(TEXTS), model.decision_function(TEXTS))
    assert again.temperature == 0.5 and again.classes == ["a", "b", "c"]

    evil = tmp_path / "evil.npz"
    np.savez(
        evil,
        features=np.array([Boom()], dtype=object),
        idf=np.ones(1),
        coef=np.ones((3, 1)),
        intercept=np.zeros(3),
        meta=np.array("{}"),
    )
    with pytest.raises(CheckpointError, match="not a readable linear checkpoint"):
        LinearModel.load(evil)
    assert "must never run" not in capsys.readouterr().out


def test_a_checkpoint_from_before_normalisation_still_loads_and_reads_text_as_given(tiny_checkpoint, tmp_path):
    path = tmp_path / "old.pt"
    tiny_checkpoint(path)  # no normalization, thresholds or counts recorded
    payload = load_checkpoint(path)
    assert "normalization" not in payload and "unsure_threshold" not in payload
    predictor = Predictor.load(path, device="cpu")
    assert predictor.normalization is None and predictor.unsure_threshold is None
    assert predictor.normalize("國足３：０") == "國足３：０"
    probs, (verdict,) = predictor.predict_assessed(["国足3:0胜泰国"])
    assert probs.shape == (1, 3) and verdict.read_as == "国足3:0胜泰国" and verdict.reason in ("", "unknown_chars")


def test_a_loaded_predictor_knows_the_fingerprint_of_what_it_loaded(tiny_checkpoint, tmp_path):
    path = tmp_path / "m.pt"
    tiny_checkpoint(path)
    assert Predictor.load(path, device="cpu").sha256 == sha256_file(path)
    model = LinearModel.fit(TEXTS * 3, [0, 1, 2] * 3, ["a", "b", "c"])
    model.save(tmp_path / "linear.npz")
    assert Predictor.load(tmp_path / "linear.npz").sha256 == sha256_file(tmp_path / "linear.npz")
    assert Predictor("linear", ["a", "b", "c"], linear=model).sha256 is None


def test_read_as_is_the_text_the_model_reads(tiny_checkpoint, tmp_path):
    path = tmp_path / "m.pt"
    tiny_checkpoint(path)
    predictor = Predictor.load(path, device="cpu")
    predictor.normalize = str.upper  # any normalisation: read_as applies the model's own
    assert predictor.read_as("abc") == "ABC"
    assert predictor.read_as("a" * 500) == "A" * predictor.encoder.max_len  # cut as the encoder cuts
    assert predictor.read_as("") == " " and predictor.encoder.encode("") == predictor.encoder.encode(" ")
