"""The prediction path (cls_core.models.fast) gives the training models' answers."""

import numpy as np
import pytest
import torch

from cls_core.data import END, TextEncoder, Vocab, bigram_tokens, load_split, pad_batch
from cls_core.data.normalize import OPENCC_CONFIG, normalize_headline, normalize_many
from cls_core.models.fast import FastBiLSTM, FastEncoder, FastTextCNN, bigram_first_chars, fast_path
from cls_core.models.predictor import Predictor, network_logits

HEADLINES = ["国足3:0胜泰国", "央行宣布下调存款准备金率0.5个百分点", "游", "新楼盘", "沪指", "国足3:0胜泰国队晋级"]
ODD = [
    "",
    " ",
    "游",
    "國足３：０完勝泰國隊\u200b",
    "滑鼠\t軟體\n新品",
    "a\x03b",
    "\x03",
    "龘靐" * 150,
    "  多个   空格  ",
    "emoji 😀 标题",
    "\ufeff零宽\u200d字符",
    "全角ＡＢＣ１２３",
]


@pytest.fixture(scope="module")
def encoder():
    return TextEncoder(Vocab.build(HEADLINES), Vocab.build(bigram_tokens(t) for t in HEADLINES))


@pytest.fixture(scope="module")
def test_texts(data_dir):
    return load_split(data_dir, "test").texts


def padded(encoder, texts, pad_to=None):
    chars, bigrams, lengths = pad_batch([encoder.encode(t) for t in texts])
    extra = (pad_to or chars.shape[1]) - chars.shape[1]
    return torch.nn.functional.pad(chars, (0, extra)), torch.nn.functional.pad(bigrams, (0, extra)), lengths


TINY = [
    ("textcnn", {}),
    ("textcnn", {"bigram_vocab_size": 0}),
    ("textcnn", {"windows": (1, 3, 5)}),
    ("bilstm_att", {}),
    ("bilstm_att", {"layers": 1}),
    ("bilstm_att", {"layers": 3}),
    ("bilstm_att", {"bidirectional": False}),
    ("bilstm_att", {"bigram_vocab_size": 0}),
]


@pytest.mark.parametrize("kind, options", TINY)
def test_fast_path_gives_the_models_logits(tiny_network, encoder, kind, options):
    model = tiny_network(kind, encoder, **options)[0]
    fast = fast_path(model)
    assert isinstance(fast, FastTextCNN if kind == "textcnn" else FastBiLSTM)
    batch = padded(encoder, HEADLINES)
    expected = model(*batch)
    torch.testing.assert_close(fast.logits(*batch), expected, atol=1e-5, rtol=0)
    # padding never changes an answer, nor does the company a headline keeps in its batch
    torch.testing.assert_close(fast.logits(*padded(encoder, HEADLINES, pad_to=40)), expected, atol=1e-5, rtol=0)
    for i, text in enumerate(HEADLINES):  # alone, incl. 1 character and shorter than the widest window
        torch.testing.assert_close(fast.logits(*padded(encoder, [text]))[0], expected[i], atol=1e-5, rtol=0)


@pytest.mark.parametrize("kind, options", TINY)
@pytest.mark.parametrize("folded", [0, 3, 10_000])
def test_folded_bigrams_give_the_models_logits(tiny_network, encoder, monkeypatch, kind, options, folded):
    """With the encoder, the most frequent bigrams are folded with their first character;
    <UNK>, the rare ones and the padding's <PAD> keep their own product. With 3 folded,
    every kind of position occurs in one batch; 10,000 folds the whole vocabulary."""
    model = tiny_network(kind, encoder, **options)[0]
    for net in (FastTextCNN, FastBiLSTM):
        monkeypatch.setattr(net, "folded_bigrams", folded)
    fast = fast_path(model, encoder)
    if options.get("bigram_vocab_size", 100):
        assert fast.folding.K == min(folded, len(encoder.bigram_vocab) - 2)
    texts = HEADLINES + ["游戏新楼盘", "沪指游"]  # unknown bigrams (<UNK>) of known characters
    batch = padded(encoder, texts)
    bigrams = batch[1]
    assert (bigrams == 1).any() and (bigrams == 0).any() and (bigrams >= 2 + 3).any()
    expected = model(*batch)
    torch.testing.assert_close(fast.logits(*batch), expected, atol=1e-5, rtol=0)
    for i, text in enumerate(texts):
        torch.testing.assert_close(fast.logits(*padded(encoder, [text]))[0], expected[i], atol=1e-5, rtol=0)


def test_bigram_first_chars(encoder):
    first = bigram_first_chars(encoder)
    assert first[:2].tolist() == [-1, -1]
    for i, token in enumerate(encoder.bigram_vocab.itos[2:], start=2):
        assert first[i] == encoder.vocab.stoi[token[0]]
    assert bigram_first_chars(TextEncoder(encoder.vocab, None)) is None


@pytest.mark.parametrize("kind, options", TINY[:1] + TINY[3:4])
def test_network_logits_through_the_fast_path(tiny_network, encoder, kind, options):
    model = tiny_network(kind, encoder, **options)[0]
    texts = HEADLINES + ODD
    expected = np.concatenate([model(*padded(encoder, [t])).numpy() for t in texts])
    for net in (model, fast_path(model)):
        for batch_size in (1, 3, 512):
            got = network_logits(net, encoder, texts, "cpu", batch_size=batch_size)
            np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)
    assert network_logits(fast_path(model), encoder, [], "cpu").shape == (0, 10)


def test_no_fast_path_for_gru_and_rnn_cells(tiny_network, encoder):
    for cell in ("gru", "rnn"):
        assert fast_path(tiny_network("bilstm_att", encoder, cell=cell)[0]) is None


def test_fast_encoder_gives_text_encoders_ids(encoder):
    texts = HEADLINES + ODD
    fast = FastEncoder(encoder)
    assert fast.exact
    chars, bigrams, lengths = fast.encode(texts)
    encoded = [encoder.encode(t) for t in texts]
    assert lengths.tolist() == [len(c) for c, _ in encoded]
    assert chars.tolist() == [i for c, _ in encoded for i in c]
    assert bigrams.tolist() == [i for _, b in encoded for i in b]
    # a bigram vocabulary holding a character the character vocabulary lacks: TextEncoder's own path
    odd = TextEncoder(encoder.vocab, Vocab(["<PAD>", "<UNK>", "国足", "龘" + END]))
    assert not FastEncoder(odd).exact
    assert FastEncoder(odd).encode(["国足龘"])[1].tolist() == odd.encode("国足龘")[1]


def test_batches_hold_one_length_and_cover_every_text_once(encoder):
    texts = HEADLINES * 7 + ODD
    seen = []
    for index, chars, bigrams in FastEncoder(encoder).batches(texts, 4):
        assert 1 <= len(index) <= 4 and chars.shape == bigrams.shape == (len(index), chars.shape[1])
        for row, i in zip(chars.tolist(), index):
            assert row == encoder.encode(texts[i])[0]
        seen += index.tolist()
    assert sorted(seen) == list(range(len(texts)))
    assert list(FastEncoder(encoder).batches([], 4)) == []


def test_normalize_many_is_normalize_headline(test_texts):
    texts = ODD + test_texts[::10]
    assert normalize_many(texts, OPENCC_CONFIG) == [normalize_headline(t) for t in texts]
    assert normalize_many(ODD, None) == [normalize_headline(t, None) for t in ODD]


@pytest.mark.parametrize("name", ["textcnn", "bilstm_att"])
def test_shipped_network_fast_path_gives_the_training_paths_logits(checkpoint_dir, test_texts, name):
    predictor = Predictor.load(checkpoint_dir / f"{name}.pt", device="cpu", precision="fp32")
    assert predictor.fast is not None
    texts = test_texts[::25] + ODD
    read = [predictor.normalize(t) for t in texts]
    expected = np.concatenate(
        [
            predictor.model(*pad_batch([predictor.encoder.encode(t) for t in read[i : i + 64]])).detach().numpy()
            for i in range(0, len(read), 64)
        ]
    )
    np.testing.assert_allclose(predictor.scores(texts), expected, atol=1e-4, rtol=0)
