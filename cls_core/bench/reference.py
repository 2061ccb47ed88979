"""Our networks against the reference project's (Chinese-Text-Classification-Pytorch) shapes.

Reference-shaped networks (its TextCNN and TextRNN_Att, random weights) read raw strings as
that project does (characters -> ids, padded or cut to 32, batches of 128); ours go through
Predictor.predict_proba. Both run in one process, alternating, so that the ratio holds on a
busy machine.

    python -m cls_core.bench --ratios
"""

import resource
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from cls_core.bench.timing import HEADLINE, timed
from cls_core.data import load_split
from cls_core.data.normalize import normalize_headline
from cls_core.models.predictor import SHIPPED_MODELS, Predictor


class ReferenceTextCNN(nn.Module):
    """models/TextCNN.py of Chinese-Text-Classification-Pytorch."""

    def __init__(self, vocab_size=4762, embed=200, filters=256, sizes=(2, 3, 4), classes=10):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed, padding_idx=vocab_size - 1)
        self.convs = nn.ModuleList(nn.Conv2d(1, filters, (k, embed)) for k in sizes)
        self.fc = nn.Linear(filters * len(sizes), classes)

    def forward(self, x):
        out = self.embedding(x).unsqueeze(1)
        pooled = []
        for conv in self.convs:
            h = F.relu(conv(out)).squeeze(3)
            pooled.append(F.max_pool1d(h, h.size(2)).squeeze(2))
        return self.fc(torch.cat(pooled, 1))


class ReferenceRNNAttention(nn.Module):
    """models/TextRNN_Att.py of Chinese-Text-Classification-Pytorch."""

    def __init__(self, vocab_size=4762, embed=200, hidden=128, hidden2=64, classes=10):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed, padding_idx=vocab_size - 1)
        self.lstm = nn.LSTM(embed, hidden, 2, bidirectional=True, batch_first=True, dropout=0.5)
        self.w = nn.Parameter(torch.randn(hidden * 2) * 0.1)
        self.fc1 = nn.Linear(hidden * 2, hidden2)
        self.fc = nn.Linear(hidden2, classes)

    def forward(self, x):
        H, _ = self.lstm(self.embedding(x))
        alpha = F.softmax(torch.matmul(torch.tanh(H), self.w), dim=1).unsqueeze(-1)
        return self.fc(self.fc1(F.relu(torch.sum(H * alpha, 1))))


def reference_vocab(chars, size=4762):
    """A character -> id dict the size of the reference's (4,760 characters, <UNK>, <PAD>)."""
    chars = list(dict.fromkeys(chars))[:size - 2]
    chars += [chr(0xE000 + i) for i in range(size - 2 - len(chars))]  # private-use fillers
    vocab = {c: i for i, c in enumerate(chars)}
    vocab.update({"<UNK>": len(vocab), "<PAD>": len(vocab) + 1})
    return vocab


@torch.no_grad()
def reference_predict(model, vocab, texts, pad_size=32, batch_size=128):
    """The reference's utils.build_dataset + test loop: predicted class per text."""
    rows = []
    for text in texts:
        tokens = list(text)
        tokens = tokens + ["<PAD>"] * (pad_size - len(tokens)) if len(tokens) < pad_size else tokens[:pad_size]
        rows.append([vocab.get(t, vocab["<UNK>"]) for t in tokens])
    out = []
    for i in range(0, len(rows), batch_size):
        out.append(torch.max(model(torch.LongTensor(rows[i:i + batch_size])).data, 1)[1].numpy())
    return np.concatenate(out)


REFERENCES = {"TextCNN": ReferenceTextCNN, "BiLSTM-attention": ReferenceRNNAttention}


def bench_ratios(checkpoints, data_dir, device, rounds=3):
    """Seconds over the test split, reference-shaped network against ours, best of `rounds`
    alternating runs; the normalisation's share; this process's peak RSS."""
    texts = load_split(data_dir, "test").texts
    torch.manual_seed(0)
    rows = {}
    for name, reference in REFERENCES.items():
        ours = Predictor.load(Path(checkpoints) / SHIPPED_MODELS[name], device)
        ref = reference().eval()
        vocab = reference_vocab(ours.encoder.vocab.itos[2:])
        ours.predict_proba(texts[:256]), reference_predict(ref, vocab, texts[:256])  # warm-up
        ref_s, our_s = [], []
        for _ in range(rounds):
            ref_s += timed(lambda: reference_predict(ref, vocab, texts), 1)
            our_s += timed(lambda: ours.predict_proba(texts), 1)
        rows[name] = {"reference_s": round(min(ref_s), 3), "ours_s": round(min(our_s), 3),
                      "ratio": round(min(ref_s) / min(our_s), 2),
                      "fast_path_mb": round(ours.fast.nbytes() / 2**20, 1) if ours.fast else None}
    one = timed(lambda: normalize_headline(HEADLINE), 1000)
    all_s = min(timed(lambda: ours.normalize_many(texts), rounds))
    return {"networks": rows, "normalize_per_headline_us": round(float(np.median(one)) * 1e6, 1),
            "normalize_test_split_s": round(all_s, 3), "torch_threads": torch.get_num_threads(),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def print_ratios(r):
    print(f"\n{'network':<20}{'reference s':>12}{'ours s':>9}{'ratio':>8}{'fast path MB':>14}"
          "   (10,000 test headlines, raw strings in, best of the rounds)")
    for name, row in r["networks"].items():
        print(f"{name:<20}{row['reference_s']:>12.3f}{row['ours_s']:>9.3f}{row['ratio']:>7.1f}x"
              f"{row['fast_path_mb'] or 0:>14.1f}")
    print(f"normalisation: {r['normalize_per_headline_us']:.1f} us for one headline, "
          f"{r['normalize_test_split_s']:.3f} s for the test split (inside 'ours'); "
          f"torch threads {r['torch_threads']}; peak RSS {r['peak_rss_mb']:.0f} MB")
