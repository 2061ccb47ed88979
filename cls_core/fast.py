"""The prediction path: the shipped networks' logits with far less work per headline.

The networks in cls_core.models are written for training and inspection; prediction needs
only their logits, and much of the arithmetic behind those can be done once, at load:

- Both networks first map each character's (fixed) embedding linearly: every window offset
  of every convolution, the input gates of the first LSTM layer. The map of the whole
  embedding table is itself a table, [characters, outputs], folded here once; a headline's
  first layer then costs a row lookup per character. The bigram half of the input is not
  folded (83,809 bigrams would make a 772 MB table for the TextCNN): it is multiplied once
  per distinct bigram of a batch.
- Headlines go in batches of one length each, so nothing is padded, packed or masked.
- Text -> ids is a few numpy passes over all the texts of a call, as is normalisation.

`fast_path(model)` gives the fast twin of a network, which returns the same logits to float
rounding (tests/test_fast.py); `Predictor` uses it for every prediction, while inspection,
attributions and training keep the nn.Module and its gradients.
"""


import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .data import END
from .models import BiLSTMAttention, TextCNN


# --- text -> ids ------------------------------------------------------------------------------

def _lookup(keys, values, queries, missing):
    """values[i] where keys[i] == query (keys sorted), else `missing`."""
    at = np.minimum(np.searchsorted(keys, queries), len(keys) - 1)
    return np.where(keys[at] == queries, values[at], missing)


class FastEncoder:
    """TextEncoder's ids for many texts at once, in numpy.

    A character's id is looked up in a sorted array of code points; a bigram's in a sorted
    array of (character id, next character id) codes. That is exact because every bigram of
    the vocabulary is made of known characters (checked here; a vocabulary where that does
    not hold, or a text holding END itself, takes TextEncoder's own path).
    """

    def __init__(self, encoder):
        self.encoder = encoder
        chars = sorted((ord(t), i) for i, t in enumerate(encoder.vocab.itos) if len(t) == 1)
        self.points = np.array([p for p, _ in chars], dtype=np.int64)
        self.char_ids = np.array([i for _, i in chars], dtype=np.int64)
        self.end = len(encoder.vocab)  # END's id as the second character of a bigram
        self.codes = self.bigram_ids = None
        self.exact = True
        if encoder.bigram_vocab:
            stoi, pairs = encoder.vocab.stoi, []
            for i, token in enumerate(encoder.bigram_vocab.itos[2:], start=2):
                first, second = (stoi.get(c) for c in token) if len(token) == 2 else (None, None)
                second = self.end if token[1:] == END else second
                if first is None or second is None:
                    self.exact = False
                    break
                pairs.append((first * (self.end + 1) + second, i))
            else:
                pairs.sort()
                self.codes = np.array([c for c, _ in pairs], dtype=np.int64)
                self.bigram_ids = np.array([i for _, i in pairs], dtype=np.int64)

    def encode(self, texts):
        """(character ids, bigram ids, lengths) as flat int64 arrays over all texts, each text
        cut and filled exactly as TextEncoder.encode does."""
        texts = [t[:self.encoder.max_len] or " " for t in texts]
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        joined = "".join(texts)
        if self.encoder.bigram_vocab and (not self.exact or END in joined):
            encoded = [self.encoder.encode(t) for t in texts]
            return (np.array([i for c, _ in encoded for i in c], dtype=np.int64),
                    np.array([i for _, b in encoded for i in b], dtype=np.int64), lengths)
        points = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64)
        chars = _lookup(self.points, self.char_ids, points, 1)
        if not self.encoder.bigram_vocab:
            return chars, np.zeros_like(chars), lengths
        following = np.empty_like(chars)
        following[:-1] = chars[1:]
        following[np.cumsum(lengths) - 1] = self.end
        bigrams = _lookup(self.codes, self.bigram_ids, chars * (self.end + 1) + following, 1)
        return chars, bigrams, lengths

    def batches(self, texts, batch_size):
        """(indices, chars [n, L], bigrams [n, L]) for batches of at most batch_size texts
        of one length L each, shortest first; together the indices cover every text once."""
        if not texts:
            return
        chars, bigrams, lengths = self.encode(texts)
        starts = np.cumsum(lengths) - lengths
        order = np.argsort(lengths, kind="stable")
        cuts = np.flatnonzero(np.diff(lengths[order])) + 1
        for group in np.split(order, cuts):
            for index in np.array_split(group, -(-len(group) // batch_size)):
                at = starts[index][:, None] + np.arange(lengths[index[0]])
                yield index, torch.from_numpy(chars[at]), torch.from_numpy(bigrams[at])


# --- the networks ------------------------------------------------------------------------------

def _bigram_rows(bigrams, embedding):
    """(distinct bigram ids' embeddings [U, Db], each position's index into them), or
    (None, None) for a model without bigrams."""
    if embedding is None:
        return None, None
    distinct, inverse = torch.unique(bigrams, return_inverse=True)
    return embedding[distinct], inverse


class FastTextCNN:
    """TextCNN logits with the characters' half of every convolution folded into tables.

    For window k, row c*k + j of its table is what character c adds to each filter when it
    sits at offset j of the window, so a window's character sum is one embedding_bag over k
    rows. The bigrams' half is that same sum over rows computed per distinct bigram.
    """

    batch_size = 256

    def __init__(self, windows, tables, bigram_embedding, bigram_maps, biases, classifier):
        self.windows, self.tables, self.biases, self.classifier = windows, tables, biases, classifier
        self.bigram_embedding, self.bigram_maps = bigram_embedding, bigram_maps

    @classmethod
    @torch.no_grad()
    def from_model(cls, model):
        chars = model.embedding.chars.weight                             # [V, D]
        D = chars.shape[1]
        bigrams = model.embedding.bigrams
        tables, maps, biases = [], [], []
        for k, conv in zip(model.windows, model.convs):
            W = conv.weight                                              # [F, D (+ Db), k]
            tables.append(torch.einsum("cd,fdj->cjf", chars, W[:, :D]).reshape(-1, W.shape[0]).contiguous())
            maps.append(W[:, D:].permute(1, 2, 0).reshape(W.shape[1] - D, k * W.shape[0]).contiguous())  # [Db, k*F]
            biases.append(conv.bias.detach().clone())
        return cls(model.windows, tables, bigrams.weight.detach().clone() if bigrams is not None else None,
                   maps, biases, model.classifier)

    def nbytes(self):
        return sum(t.numel() * t.element_size() for t in self.tables + self.bigram_maps)

    @torch.no_grad()
    def logits(self, chars, bigrams, lengths):
        """The TextCNN's logits [B, C] for a 0-padded batch: chars, bigrams [B, T], lengths [B]."""
        T = max(chars.shape[1], max(self.windows))     # as TextCNN: pad up to the widest window
        chars, bigrams = F.pad(chars, (0, T - chars.shape[1])), F.pad(bigrams, (0, T - bigrams.shape[1]))
        embedded, inverse = _bigram_rows(bigrams, self.bigram_embedding)
        pooled = []
        for k, table, bigram_map, bias in zip(self.windows, self.tables, self.bigram_maps, self.biases):
            offsets = torch.arange(k, device=chars.device)
            n = T - k + 1
            h = F.embedding_bag((chars.unfold(1, k, 1) * k + offsets).reshape(-1, k), table, mode="sum")
            if embedded is not None:
                per_bigram = (embedded @ bigram_map).view(-1, table.shape[1])
                h += F.embedding_bag((inverse.unfold(1, k, 1) * k + offsets).reshape(-1, k), per_bigram, mode="sum")
            h = h.view(chars.shape[0], n, -1)
            valid = (lengths - k + 1).clamp(min=1).to(h.device)
            if (valid < n).any():  # windows running into padding, as TextCNN masks them
                h = h.masked_fill((torch.arange(n, device=h.device) >= valid[:, None])[..., None], float("-inf"))
            pooled.append(h.amax(dim=1) + bias)       # max then bias then ReLU = TextCNN's ReLU then max
        return self.classifier(torch.relu(torch.cat(pooled, dim=-1)))

    __call__ = logits


class FastBiLSTM:
    """BiLSTM-attention logits: the first layer's input gates folded into a table, its
    recurrence run here for all directions at once; the layers above it one fused nn.LSTM.

    Row c of the table holds, for each direction, W_ih @ [embedding of c, 0] + b_ih + b_hh;
    the bigram half of the input adds its own product, once per distinct bigram.
    """

    batch_size = 256

    def __init__(self, table, bigram_embedding, bigram_map, w_hh, upper, attention_proj, attention_vector,
                 classifier, directions, hidden):
        self.table, self.bigram_embedding, self.bigram_map, self.w_hh = table, bigram_embedding, bigram_map, w_hh
        self.upper, self.attention_proj, self.attention_vector = upper, attention_proj, attention_vector
        self.classifier, self.directions, self.hidden = classifier, directions, hidden

    @classmethod
    @torch.no_grad()
    def from_model(cls, model):
        first, H, dirs = model.rnns[0], model.hidden, model.directions
        chars = model.embedding.chars.weight
        D = chars.shape[1]
        # nn.LSTM's gates come as (input, forget, cell, output); ours as (input, forget,
        # output, cell), so that one sigmoid covers the first three.
        order = torch.cat([torch.arange(0, 2 * H), torch.arange(3 * H, 4 * H), torch.arange(2 * H, 3 * H)])
        suffixes = ["_l0", "_l0_reverse"][:dirs]
        w_ih = [getattr(first, "weight_ih" + s)[order] for s in suffixes]                      # [4H, D (+ Db)]
        bias = [(getattr(first, "bias_ih" + s) + getattr(first, "bias_hh" + s))[order] for s in suffixes]
        table = torch.cat([chars @ w[:, :D].T + b for w, b in zip(w_ih, bias)], dim=1)       # [V, dirs*4H]
        bigram_map = torch.cat([w[:, D:].T for w in w_ih], dim=1)                               # [Db, dirs*4H]
        w_hh = torch.stack([getattr(first, "weight_hh" + s)[order].T for s in suffixes])        # [dirs, H, 4H]
        upper = None
        if len(model.rnns) > 1:
            upper = nn.LSTM(H * dirs, H, num_layers=len(model.rnns) - 1, batch_first=True,
                            bidirectional=dirs == 2).to(chars.device).eval()
            for i, rnn in enumerate(model.rnns[1:]):
                for name, value in rnn.named_parameters():
                    getattr(upper, name.replace("_l0", f"_l{i}")).copy_(value)
        bigrams = model.embedding.bigrams
        return cls(table.contiguous(), bigrams.weight.detach().clone() if bigrams is not None else None,
                   bigram_map.contiguous(), w_hh.contiguous(), upper, model.attention_proj,
                   model.attention_vector, model.classifier, dirs, H)

    def nbytes(self):
        return sum(t.numel() * t.element_size() for t in (self.table, self.bigram_map, self.w_hh))

    def _first_layer(self, chars, bigrams):
        """The first layer's outputs [n, L, dirs*H] for one length L."""
        n, L = chars.shape
        H, dirs = self.hidden, self.directions
        gates = self.table[chars]                                      # [n, L, dirs*4H]
        embedded, inverse = _bigram_rows(bigrams, self.bigram_embedding)
        if embedded is not None:
            gates += (embedded @ self.bigram_map)[inverse]
        gates = gates.view(n, L, dirs, 4 * H).permute(1, 2, 0, 3)     # [L, dirs, n, 4H]
        if dirs == 2:  # the backward direction reads the headline from its end
            gates = torch.stack([gates[:, 0], gates[:, 1].flip(0)], dim=1)
        gates = gates.contiguous()
        h = gates.new_zeros(dirs, n, H)
        c = gates.new_zeros(dirs, n, H)
        out = gates.new_empty(L, dirs, n, H)
        for t in range(L):
            g = torch.baddbmm(gates[t], h, self.w_hh)
            s = torch.sigmoid(g[..., :3 * H])
            c = torch.addcmul(s[..., H:2 * H] * c, s[..., :H], torch.tanh(g[..., 3 * H:]))
            h = torch.mul(s[..., 2 * H:], torch.tanh(c), out=out[t])
        if dirs == 2:
            out = torch.stack([out[:, 0], out[:, 1].flip(0)], dim=1)
        return out.permute(2, 0, 1, 3).reshape(n, L, dirs * H)

    def _dense(self, chars, bigrams):
        x = self._first_layer(chars, bigrams)
        if self.upper is not None:
            x = self.upper(x)[0]
        scores = self.attention_vector(torch.tanh(self.attention_proj(x))).squeeze(-1)
        attention = torch.softmax(scores.float(), dim=-1)
        return self.classifier(torch.bmm(attention.unsqueeze(1).to(x.dtype), x).squeeze(1))

    @torch.no_grad()
    def logits(self, chars, bigrams, lengths):
        """The BiLSTM-attention's logits [B, C] for a 0-padded batch; rows of one length run together."""
        lengths = lengths.to(chars.device)
        if bool((lengths == chars.shape[1]).all()):
            return self._dense(chars, bigrams)
        out = torch.empty(chars.shape[0], self.classifier.out_features, device=chars.device)
        for L in torch.unique(lengths).tolist():
            rows = torch.nonzero(lengths == L).squeeze(1)
            out[rows] = self._dense(chars[rows, :L], bigrams[rows, :L])
        return out

    __call__ = logits


def fast_path(model):
    """The fast twin of a network of cls_core.models, or None where there is none (GRU, RNN)."""
    if isinstance(model, TextCNN):
        return FastTextCNN.from_model(model)
    if isinstance(model, BiLSTMAttention) and isinstance(model.rnns[0], nn.LSTM):
        return FastBiLSTM.from_model(model)
    return None
