import numpy as np
import pytest
import torch

from cls_core.data import TextEncoder, Vocab, bigram_tokens, pad_batch
from cls_core.models.gradients import layer_gradient
from cls_core.models.networks import BiLSTMAttention, TextCNN, build_model, init_from_pretrained

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


MODELS = [
    ("bilstm_att", {}),
    ("bilstm_att", {"cell": "gru"}),
    ("bilstm_att", {"cell": "rnn"}),
    ("bilstm_att", {"bidirectional": False}),
    ("textcnn", {}),
    ("textcnn", {"bigram_vocab_size": 0}),
]


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
        assert attention[i, : len(text)].sum().item() == pytest.approx(1.0, abs=1e-6)
        assert (attention[i, len(text) :] == 0).all()
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


def test_build_model_builds_the_network_its_config_describes(encoder):
    bilstm = small("bilstm_att", len(encoder.vocab), cell="gru", layers=3, hidden=7, bidirectional=False)
    assert isinstance(bilstm, BiLSTMAttention)
    assert [type(rnn) for rnn in bilstm.rnns] == [torch.nn.GRU] * 3
    assert all(rnn.hidden_size == 7 and not rnn.bidirectional for rnn in bilstm.rnns)
    assert bilstm.rnns[0].input_size == 16 + 8  # characters + bigrams
    cnn = small("textcnn", len(encoder.vocab), windows=(2, 5), filters=7, bigram_vocab_size=0)
    assert isinstance(cnn, TextCNN) and cnn.embedding.bigrams is None
    assert [conv.kernel_size[0] for conv in cnn.convs] == [2, 5] and cnn.classifier.in_features == 14
    for model in (bilstm, cnn):
        assert model.embedding.chars.num_embeddings == len(encoder.vocab) and model.classifier.out_features == 10


@pytest.mark.parametrize("kind, options", MODELS)
def test_the_classifier_reads_the_features(encoder, kind, options):
    model = small(kind, len(encoder.vocab), **options)
    inputs = batch(encoder, HEADLINES)
    features = model.features(*inputs)
    assert features.shape == (len(HEADLINES), model.classifier.in_features)
    torch.testing.assert_close(model.classifier(features), model(*inputs))


def test_bilstm_features_are_the_attention_weighted_top_states(encoder):
    model = small("bilstm_att", len(encoder.vocab), layers=2)
    inputs = batch(encoder, HEADLINES)
    out = model.inspect(*inputs)
    top = torch.cat(out["hidden"][-1], dim=-1)  # [B, T, 2H]
    expected = (out["attention"][..., None] * top).sum(1)
    torch.testing.assert_close(model.features(*inputs), expected, atol=1e-6, rtol=0)


def test_textcnn_features_are_each_filters_largest_value(encoder):
    model = small("textcnn", len(encoder.vocab), windows=(2, 3))
    inputs = batch(encoder, HEADLINES)
    values = torch.cat([w["value"] for w in model.inspect(*inputs)["windows"]], dim=-1)
    torch.testing.assert_close(model.features(*inputs), values)


def test_init_from_pretrained_copies_the_shared_characters(encoder):
    model = small("textcnn", len(encoder.vocab))
    before = model.embedding.chars.weight.detach().clone()
    chars = ["国", "足", "不在词表", "<PAD>"]
    matrix = np.arange(4 * 16, dtype=np.float32).reshape(4, 16)
    assert init_from_pretrained(model.embedding.chars, encoder.vocab, chars, matrix) == 2
    after = model.embedding.chars.weight.detach()
    for ch, row in (("国", 0), ("足", 1)):
        torch.testing.assert_close(after[encoder.vocab.stoi[ch]], torch.from_numpy(matrix[row]))
    untouched = [i for i, ch in enumerate(encoder.vocab.itos) if ch not in ("国", "足")]
    torch.testing.assert_close(after[untouched], before[untouched])  # padding included


@pytest.mark.parametrize("kind", ["bilstm_att", "textcnn"])
def test_layer_gradient_is_the_gradient_at_the_layers_output(encoder, kind):
    """Summed over the positions of one character, d objective / d (character embedding's
    output) is the gradient of that character's embedding row; and no hook is left behind."""
    model = small(kind, len(encoder.vocab), dropout=0.0, embed_dropout=0.0)
    inputs = batch(encoder, HEADLINES[:2])
    layer = model.embedding.chars

    def objective(logits):
        return logits[0, 3] - logits[1, 5]

    gradient = layer_gradient(model, layer, inputs, objective)
    assert gradient.shape == (2, inputs[0].shape[1], 16) and not layer._forward_hooks
    model.zero_grad()
    objective(model(*inputs)).backward()
    chars = inputs[0]
    for i in chars.unique().tolist():
        torch.testing.assert_close(gradient[chars == i].sum(0), layer.weight.grad[i], atol=1e-6, rtol=0)
