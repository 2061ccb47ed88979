"""The two networks: a BiLSTM with additive attention, and Kim's (2014) TextCNN.

Both read a headline as character ids plus, optionally, ids of the character bigram
starting at each position (so every input vector still belongs to one character). Both
have one `forward` for training, a `features` that gives the vector their classifier reads,
and an `inspect` that returns what the app shows.
Padding never changes an output: the RNN runs on packed sequences with masked attention,
and the CNN masks the positions whose window runs into padding before max-pooling.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class CharBigramEmbedding(nn.Module):
    """Character embedding, concatenated with a bigram embedding when bigram_vocab_size > 0."""

    def __init__(self, vocab_size, embed_dim, bigram_vocab_size=0, bigram_dim=0, dropout=0.0):
        super().__init__()
        self.chars = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.bigrams = None
        if bigram_vocab_size:
            self.bigrams = nn.Embedding(bigram_vocab_size, bigram_dim, padding_idx=0)
            # Small and zero for <UNK>: a rare or unseen bigram starts out saying nothing,
            # instead of N(0, 1) noise that outweighs the pretrained character vectors.
            nn.init.normal_(self.bigrams.weight, std=0.05)
            with torch.no_grad():
                self.bigrams.weight[:2] = 0
        self.dim = embed_dim + (bigram_dim if bigram_vocab_size else 0)
        self.dropout = nn.Dropout(dropout)

    def forward(self, chars, bigrams):
        x = self.chars(chars)
        if self.bigrams is not None:
            x = torch.cat([x, self.bigrams(bigrams)], dim=-1)
        return self.dropout(x)


def length_mask(lengths, max_len):
    """[B, T] bool, True at real characters."""
    return torch.arange(max_len, device=lengths.device)[None, :] < lengths[:, None]


class BiLSTMAttention(nn.Module):
    """embedding -> stacked (bi)RNN -> additive attention over time -> linear classifier.

    The layers are separate single-layer RNNs (not one nn.LSTM(num_layers=2)) because the
    app shows every layer's hidden states, which a multi-layer nn.LSTM does not return.
    """

    CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}

    def __init__(
        self,
        vocab_size,
        num_classes,
        embed_dim=200,
        bigram_vocab_size=0,
        bigram_dim=48,
        hidden=128,
        layers=2,
        cell="lstm",
        bidirectional=True,
        dropout=0.5,
        embed_dropout=0.2,
    ):
        super().__init__()
        self.embedding = CharBigramEmbedding(vocab_size, embed_dim, bigram_vocab_size, bigram_dim, embed_dropout)
        directions = 2 if bidirectional else 1
        self.rnns = nn.ModuleList(
            self.CELLS[cell](
                self.embedding.dim if i == 0 else hidden * directions,
                hidden,
                batch_first=True,
                bidirectional=bidirectional,
            )
            for i in range(layers)
        )
        self.hidden, self.directions = hidden, directions
        width = hidden * directions
        self.attention_proj = nn.Linear(width, width)
        self.attention_vector = nn.Linear(width, 1, bias=False)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(width, num_classes)

    def _attend(self, chars, bigrams, lengths):
        """(context [B, D*H], every layer's states [B, T, D*H], attention [B, T])."""
        x = self.embedding(chars, bigrams)
        T = chars.shape[1]
        # Headlines that all fill the batch (one headline; integrated gradients' steps) need no
        # packing, which saves a share of the recurrence (python -m cls_core.bench --deep).
        unpadded = bool((lengths == T).all())
        layer_outputs = []
        for i, rnn in enumerate(self.rnns):
            if unpadded:
                out, _ = rnn(x)
            else:
                packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
                out, _ = rnn(packed)
                out, _ = pad_packed_sequence(out, batch_first=True, total_length=T)
            layer_outputs.append(out)
            x = self.dropout(out) if i + 1 < len(self.rnns) else out
        scores = self.attention_vector(torch.tanh(self.attention_proj(x))).squeeze(-1)
        scores = scores.float().masked_fill(~length_mask(lengths, T), float("-inf"))
        attention = torch.softmax(scores, dim=-1)
        context = torch.bmm(attention.unsqueeze(1).to(x.dtype), x).squeeze(1)
        return context, layer_outputs, attention

    def features(self, chars, bigrams, lengths):
        """[B, D*H]: what the classifier reads, the attention-weighted sum of the top layer's states."""
        return self._attend(chars, bigrams, lengths)[0]

    def forward(self, chars, bigrams, lengths):
        return self.classifier(self.dropout(self.features(chars, bigrams, lengths)))

    @torch.no_grad()
    def inspect(self, chars, bigrams, lengths):
        """logits [B, C]; hidden[layer][direction] [B, T, H]; attention [B, T] (0 on padding)."""
        context, layer_outputs, attention = self._attend(chars, bigrams, lengths)
        logits = self.classifier(self.dropout(context))
        H = self.hidden
        hidden = [[out[..., d * H : (d + 1) * H] for d in range(self.directions)] for out in layer_outputs]
        return {"logits": logits, "hidden": hidden, "attention": attention}


class TextCNN(nn.Module):
    """embedding -> 1-D convolutions (several window sizes) -> ReLU -> max over time -> linear."""

    def __init__(
        self,
        vocab_size,
        num_classes,
        embed_dim=200,
        bigram_vocab_size=0,
        bigram_dim=48,
        windows=(2, 3, 4),
        filters=256,
        dropout=0.5,
        embed_dropout=0.2,
    ):
        super().__init__()
        self.embedding = CharBigramEmbedding(vocab_size, embed_dim, bigram_vocab_size, bigram_dim, embed_dropout)
        self.windows = tuple(windows)
        self.convs = nn.ModuleList(nn.Conv1d(self.embedding.dim, filters, k) for k in self.windows)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(filters * len(self.windows), num_classes)

    def _pool(self, chars, bigrams, lengths):
        """(max-pooled filter values [B, F * windows], per window the position of each
        filter's winner [B, F])."""
        # A headline shorter than the widest window is padded up to it; the windows that
        # overlap padding count only when no window fits inside the headline.
        T = max(chars.shape[1], max(self.windows))
        chars = F.pad(chars, (0, T - chars.shape[1]))
        bigrams = F.pad(bigrams, (0, T - bigrams.shape[1]))
        x = self.embedding(chars, bigrams).transpose(1, 2)  # [B, E, T]
        pooled, positions = [], []
        for k, conv in zip(self.windows, self.convs):
            h = torch.relu(conv(x))  # [B, F, T-k+1]
            valid = torch.clamp(lengths - k + 1, min=1).to(h.device)
            h = h.masked_fill(~length_mask(valid, h.shape[-1])[:, None, :], float("-inf"))
            value, position = h.max(dim=-1)
            pooled.append(value)
            positions.append(position)
        return torch.cat(pooled, dim=-1), positions

    def features(self, chars, bigrams, lengths):
        """[B, F * windows]: what the classifier reads, every filter's largest value."""
        return self._pool(chars, bigrams, lengths)[0]

    def forward(self, chars, bigrams, lengths):
        return self.classifier(self.dropout(self.features(chars, bigrams, lengths)))

    @torch.no_grad()
    def inspect(self, chars, bigrams, lengths):
        """logits [B, C]; per window k: start position [B, F] and value [B, F] of each
        filter's max-pool winner, and its contribution to each class's logit [B, F, C]."""
        pooled, positions = self._pool(chars, bigrams, lengths)
        logits = self.classifier(pooled)
        n = self.convs[0].out_channels
        weight = self.classifier.weight  # [C, F_total]
        windows = []
        for i, (k, position) in enumerate(zip(self.windows, positions)):
            value = pooled[:, i * n : (i + 1) * n]
            contribution = value[..., None] * weight[:, i * n : (i + 1) * n].T[None]
            windows.append({"window": k, "start": position, "value": value, "contribution": contribution})
        return {"logits": logits, "windows": windows}


MODELS = {"bilstm_att": BiLSTMAttention, "textcnn": TextCNN}


def build_model(kind, config):
    if kind not in MODELS:
        raise ValueError(f"unknown model kind {kind!r}; expected one of {sorted(MODELS)}")
    return MODELS[kind](**config)


def count_parameters(model):
    return sum(p.numel() for p in model.parameters())


def init_from_pretrained(embedding, vocab, chars, matrix):
    """Copy into `embedding` (an nn.Embedding over `vocab`) the pretrained vector of every
    character the vocabulary shares with `chars` (the rows of `matrix`, as
    cls_core.data.load_pretrained gives them); returns how many it copied."""
    row = {ch: i for i, ch in enumerate(chars)}
    known = [(i, row[ch]) for i, ch in enumerate(vocab.itos) if ch in row and i > 0]
    if not known:  # vectors of one's own may share no character with the data
        return 0
    with torch.no_grad():
        ours, theirs = zip(*known)
        embedding.weight[list(ours)] = torch.as_tensor(matrix[list(theirs)])
    return len(known)
