import pytest
import torch

from cls_core.data import TextEncoder, Vocab, bigram_tokens, pad_batch
from cls_core.models.networks import BiLSTMAttention, TextCNN, build_model

HEADLINES = ["国足3:0胜泰国", "央行宣布下调存款准备金率0.5个百分点", "游", "新楼盘开盘均价两万"]


@pytest.fixture(scope="module")
def encoder():
    return TextEncoder(Vocab.build(HEADLINES), Vocab.build(bigram_tokens(t) for t in HEADLINES))


def small(kind, vocab_size, **kwargs):
    torch.manual_seed(0)
    config = dict(vocab_size=vocab_size, num_classes=10, embed_dim=16, bigram_vocab_size=100, bigram_dim=8)
    config.update(dict(hidden=12) if kind == "bilstm_att" else dict(filters=10))
    config.update(kwargs)
    return build_model(kind, config).eval()


def batch(encoder, texts, pad_to=None):
    chars, bigrams, lengths = pad_batch([encoder.encode(t) for t in texts])
    if pad_to:
        extra = pad_to - chars.shape[1]
        chars = torch.nn.functional.pad(chars, (0, extra))
        bigrams = torch.nn.functional.pad(bigrams, (0, extra))
    return chars, bigrams, lengths


MODELS = [("bilstm_att", {}), ("bilstm_att", {"cell": "gru"}), ("bilstm_att", {"cell": "rnn"}),
          ("bilstm_att", {"bidirectional": False}), ("textcnn", {}), ("textcnn", {"bigram_vocab_size": 0})]


@pytest.mark.parametrize("kind, options", MODELS)
def test_logit_shapes(encoder, kind, options):
    model = small(kind, len(encoder.vocab), **options)
    assert model(*batch(encoder, HEADLINES)).shape == (4, 10)


@pytest.mark.parametrize("kind, options", MODELS)
def test_padding_does_not_change_logits(encoder, kind, options):
    model = small(kind, len(encoder.vocab), **options)
    alone = model(*batch(encoder, [HEADLINES[0]]))
    in_batch = model(*batch(encoder, HEADLINES))[0:1]
    padded_far = model(*batch(encoder, HEADLINES, pad_to=60))[0:1]
    torch.testing.assert_close(alone, in_batch, atol=1e-5, rtol=0)
    torch.testing.assert_close(alone, padded_far, atol=1e-5, rtol=0)


def test_textcnn_reads_a_headline_shorter_than_its_widest_window(encoder):
    model = small("textcnn", len(encoder.vocab), windows=(2, 3, 4))
    out = model.inspect(*batch(encoder, ["游"]))
    assert torch.isfinite(out["logits"]).all()
    assert all((w["start"] == 0).all() for w in out["windows"])


def test_bilstm_inspection(encoder):
    model = small("bilstm_att", len(encoder.vocab), layers=2)
    out = model.inspect(*batch(encoder, HEADLINES))
    T = max(len(t) for t in HEADLINES)
    assert len(out["hidden"]) == 2 and all(len(layer) == 2 for layer in out["hidden"])
    assert all(h.shape == (4, T, 12) for layer in out["hidden"] for h in layer)
    attention = out["attention"]
    assert attention.shape == (4, T)
    for i, text in enumerate(HEADLINES):
        assert attention[i, :len(text)].sum().item() == pytest.approx(1.0, abs=1e-6)
        assert (attention[i, len(text):] == 0).all()
    torch.testing.assert_close(out["logits"], model(*batch(encoder, HEADLINES)))


def test_textcnn_inspection_explains_the_logits(encoder):
    model = small("textcnn", len(encoder.vocab), windows=(2, 3))
    out = model.inspect(*batch(encoder, HEADLINES))
    assert [w["window"] for w in out["windows"]] == [2, 3]
    for w in out["windows"]:
        assert w["start"].shape == (4, 10) and w["contribution"].shape == (4, 10, 10)
        lengths = torch.tensor([len(t) for t in HEADLINES])
        assert (w["start"] <= torch.clamp(lengths - w["window"], min=0)[:, None]).all()
    # logits = bias + the summed contributions of the winning n-grams: the explanation is exact
    total = sum(w["contribution"].sum(dim=1) for w in out["windows"]) + model.classifier.bias
    torch.testing.assert_close(total, out["logits"], atol=1e-5, rtol=0)


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown model kind"):
        build_model("transformer", {})


def test_models_are_the_named_classes(encoder):
    assert isinstance(small("bilstm_att", len(encoder.vocab)), BiLSTMAttention)
    assert isinstance(small("textcnn", len(encoder.vocab)), TextCNN)
