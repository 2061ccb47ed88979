"""Text -> ids: vocabularies of characters and bigrams, the encoder, padding and batching."""

import json
from collections import Counter

import numpy as np

PAD, UNK = "<PAD>", "<UNK>"


class Vocab:
    """Tokens (characters or bigrams) <-> ids. Id 0 is padding, id 1 unknown.

    Stored as JSON, never pickle.
    """

    def __init__(self, itos):
        if itos[:2] != [PAD, UNK]:
            raise ValueError("a vocabulary starts with <PAD>, <UNK>")
        self.itos = list(itos)
        self.stoi = {token: i for i, token in enumerate(self.itos)}

    @classmethod
    def build(cls, sequences, min_freq=1, max_size=None):
        """From token sequences (a string is a sequence of characters)."""
        counts = Counter(token for seq in sequences for token in seq)
        kept = [t for t, n in counts.items() if n >= min_freq]
        kept.sort(key=lambda t: (-counts[t], t))
        return cls([PAD, UNK] + kept[:max_size])

    def __len__(self):
        return len(self.itos)

    def encode(self, tokens):
        return [self.stoi.get(t, 1) for t in tokens]

    def to_json(self):
        return json.dumps(self.itos, ensure_ascii=False)

    @classmethod
    def from_json(cls, text):
        return cls(json.loads(text))


END = "\x03"  # pairs with a headline's last character, so every position has a bigram


def bigram_tokens(text):
    """The character bigram starting at each position: '国足胜' -> ['国足', '足胜', '胜\x03'].

    One bigram per character keeps every bigram weight attached to the character it starts at.
    """
    padded = text + END
    return [padded[t : t + 2] for t in range(len(text))]


class TextEncoder:
    """Headline -> (character ids, bigram ids), cut to max_len characters.

    Bigrams come from a vocabulary of those seen often enough in training; an unseen one
    is <UNK> (a zero vector), so it adds nothing rather than another bigram's meaning.
    """

    def __init__(self, vocab, bigram_vocab=None, max_len=200):
        self.vocab, self.bigram_vocab, self.max_len = vocab, bigram_vocab, max_len

    def encode(self, text):
        text = text[: self.max_len] or " "
        chars = self.vocab.encode(text)
        pairs = self.bigram_vocab.encode(bigram_tokens(text)) if self.bigram_vocab else [0] * len(chars)
        return chars, pairs

    def to_json(self):
        return json.dumps(
            {
                "vocab": self.vocab.itos,
                "max_len": self.max_len,
                "bigram_vocab": self.bigram_vocab.itos if self.bigram_vocab else None,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text):
        d = json.loads(text)
        return cls(Vocab(d["vocab"]), Vocab(d["bigram_vocab"]) if d["bigram_vocab"] else None, d["max_len"])


def pad_batch(encoded):
    """List of (chars, bigrams) -> (chars LongTensor [B, T], bigrams [B, T], lengths [B]), 0-padded."""
    import torch  # here, so that `python -m cls_core.data` runs without loading torch
    from torch.nn.utils.rnn import pad_sequence

    def padded(sequences):
        return pad_sequence([torch.tensor(s, dtype=torch.long) for s in sequences], batch_first=True)

    return padded(c for c, _ in encoded), padded(b for _, b in encoded), torch.tensor([len(c) for c, _ in encoded])


def length_buckets(lengths, batch_size, rng=None, chunk=50):
    """Batches of indices with similar lengths, so little compute goes to padding.

    Sort by length inside chunks of `chunk` batches (keeps randomness between epochs),
    then shuffle the batch order. Without rng, order is deterministic (for evaluation).
    """
    order = np.arange(len(lengths))
    if rng is not None:
        rng.shuffle(order)
    lengths = np.asarray(lengths)
    batches = []
    step = batch_size * chunk
    for start in range(0, len(order), step):
        part = order[start : start + step]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches += [part[i : i + batch_size] for i in range(0, len(part), batch_size)]
    if rng is not None:
        rng.shuffle(batches)
    return batches
