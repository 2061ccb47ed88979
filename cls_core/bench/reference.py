"""Our networks against the reference project's (Chinese-Text-Classification-Pytorch) shapes.

Reference-shaped networks (its TextCNN and TextRNN_Att, random weights) read raw strings as
that project does (characters -> ids, padded or cut to 32, batches of 128), in fp32 and in
bf16; ours go through Predictor.predict_proba in the precision chosen (--precision). All run in
one process, alternating, so that the ratio holds on a busy machine.

    python -m cls_core.bench --ratios
"""

import copy
import os
import resource
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from cls_core.bench.timing import HEADLINE, timed
from cls_core.data import load_split
from cls_core.data.normalize import normalize_headline
from cls_core.models.precision import cpu_verdict
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
    chars = list(dict.fromkeys(chars))[: size - 2]
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
        out.append(torch.max(model(torch.LongTensor(rows[i : i + batch_size])).data, 1)[1].numpy())
    return np.concatenate(out)


REFERENCES = {"TextCNN": ReferenceTextCNN, "BiLSTM-attention": ReferenceRNNAttention}


def bench_ratios(checkpoints, data_dir, device, precision="auto", threads=None, rounds=3):
    """Seconds over the test split, ours against the reference-shaped network in fp32 (as its
    users run it) and in bf16 (the fairest peer on a CPU with bf16 units), best of `rounds`
    alternating runs, at each thread count of `threads` (default: torch's, then 1, as the app
    serves); our load time, the normalisation's share, this process's peak RSS."""
    texts = load_split(data_dir, "test").texts
    default_threads = torch.get_num_threads()
    threads = threads or sorted({default_threads, 1}, reverse=True)
    torch.manual_seed(0)
    rows = {}
    for name, reference in REFERENCES.items():
        start = time.perf_counter()
        ours = Predictor.load(Path(checkpoints) / SHIPPED_MODELS[name], device, precision)
        load_s = time.perf_counter() - start
        ref = reference().eval()
        ref16 = copy.deepcopy(ref).to(torch.bfloat16)
        vocab = reference_vocab(ours.encoder.vocab.itos[2:])
        row = {
            "precision": ours.precision,
            "load_s": round(load_s, 2),
            "fast_path_mb": round(ours.fast.nbytes() / 2**20, 1) if ours.fast else None,
            "threads": {},
        }
        for n in threads:
            torch.set_num_threads(n)
            ours.predict_proba(texts[:256]), reference_predict(ref, vocab, texts[:256])  # warm-up
            reference_predict(ref16, vocab, texts[:256])
            ref_s, ref16_s, our_s = [], [], []
            for _ in range(rounds):
                ref_s += timed(lambda: reference_predict(ref, vocab, texts), 1)
                ref16_s += timed(lambda: reference_predict(ref16, vocab, texts), 1)
                our_s += timed(lambda: ours.predict_proba(texts), 1)
            row["threads"][n] = {
                "reference_s": round(min(ref_s), 3),
                "reference_bf16_s": round(min(ref16_s), 3),
                "ours_s": round(min(our_s), 3),
                "ratio": round(min(ref_s) / min(our_s), 2),
                "ratio_bf16": round(min(ref16_s) / min(our_s), 2),
            }
        rows[name] = row
    torch.set_num_threads(default_threads)
    one = timed(lambda: normalize_headline(HEADLINE), 1000)
    all_s = min(timed(lambda: ours.normalize_many(texts), rounds))
    return {
        "networks": rows,
        "normalize_per_headline_us": round(float(np.median(one)) * 1e6, 1),
        "normalize_test_split_s": round(all_s, 3),
        "probe": cpu_verdict() if ours.device.type == "cpu" else None,
        "load_average": os.getloadavg(),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def print_ratios(r):
    print(
        f"\n{'network':<18}{'precision':>10}{'threads':>8}{'reference s':>12}{'ref bf16 s':>11}{'ours s':>8}"
        f"{'ratio':>8}{'vs bf16':>9}{'load s':>8}{'tables MB':>10}   "
        f"(10,000 test headlines, raw strings in, best of the rounds)"
    )
    for name, row in r["networks"].items():
        for n, t in row["threads"].items():
            print(
                f"{name:<18}{row['precision']:>10}{n:>8}{t['reference_s']:>12.3f}{t['reference_bf16_s']:>11.3f}"
                f"{t['ours_s']:>8.3f}{t['ratio']:>7.1f}x{t['ratio_bf16']:>8.1f}x{row['load_s']:>8.2f}"
                f"{row['fast_path_mb'] or 0:>10.1f}"
            )
    probe = r.get("probe")
    if probe:
        print(
            f"precision probe on this machine: fp32 {probe['fp32_ms']} ms, bf16 {probe['bf16_ms']} ms -> "
            f"{probe['choice']} for --precision auto ({probe['key']})"
        )
    print(
        f"normalisation: {r['normalize_per_headline_us']:.1f} us for one headline, "
        f"{r['normalize_test_split_s']:.3f} s for the test split (inside 'ours'); "
        f"load average {' '.join(f'{x:.2f}' for x in r['load_average'])}; peak RSS {r['peak_rss_mb']:.0f} MB"
    )
