"""The prediction path: the shipped networks' logits with far less work per headline.

The networks in cls_core.models.networks are written for training and inspection; prediction needs
only their logits, and much of the arithmetic behind those can be done once, at load:

- Both networks first map each character's (fixed) embedding and its bigram's linearly:
  every window offset of every convolution, the input gates of the first LSTM layer. The
  map of the whole character table is itself a table, folded here once, and so is the map
  of each of the 8,192 most frequent bigrams, added to its first character's row (a
  bigram's id says which character it starts with); with <UNK>, that covers 72 % of the
  test split's positions at one row lookup each. The rarer bigrams (all 83,809 folded would
  take ≈ 772 MB for the TextCNN) are multiplied once per distinct bigram of a batch.
- The BiLSTM's first recurrence runs both directions in one batched product per step; the
  layers above it are one fused nn.LSTM.
- Headlines go in batches of one length each, so nothing is padded, packed or masked.
- Text -> ids is a few numpy passes over all the texts of a call, as is normalisation.

`fast_path(model, encoder)` gives the fast twin of a network, which returns the same logits
to float rounding (tests/test_fast.py); `Predictor` uses it for every prediction, while inspection,
attributions and training keep the nn.Module and its gradients.
"""

import copy

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from cls_core.data import END
from cls_core.models.networks import BiLSTMAttention, TextCNN

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
        texts = [t[: self.encoder.max_len] or " " for t in texts]
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        joined = "".join(texts)
        if self.encoder.bigram_vocab and (not self.exact or END in joined):
            encoded = [self.encoder.encode(t) for t in texts]
            return (
                np.array([i for c, _ in encoded for i in c], dtype=np.int64),
                np.array([i for _, b in encoded for i in b], dtype=np.int64),
                lengths,
            )
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


def _cast(module, dtype):
    """A copy of module in dtype (None stays None); the network's own module is left as it is."""
    return None if module is None else copy.deepcopy(module).to(dtype)


# --- the networks ------------------------------------------------------------------------------


def bigram_first_chars(encoder):
    """The character id each bigram id of the encoder starts with (-1 for <PAD> and <UNK>),
    or None for an encoder without bigrams: what folding a bigram with its character needs."""
    if encoder is None or not encoder.bigram_vocab:
        return None
    stoi = encoder.vocab.stoi
    first = [-1, -1] + [stoi.get(token[0], 1) for token in encoder.bigram_vocab.itos[2:]]
    return torch.tensor(first, dtype=torch.int64)


class Folding:
    """How a first layer linear in [character embedding, bigram embedding] becomes one table.

    The layer maps character c and bigram b to A[c] + B[b]. Rows of the folded table:
      [0, V)          A[c] + B[<UNK>]    the character's bigram is one the vocabulary lacks
      [V, 2V)         A[c]               the bigram is rare: B[b] is added per position,
                                         from the bigram's embedding times the layer's map
      [2V, 2V + K)    A[first(b)] + B[b] one of the K most frequent bigrams b = 2 .. K+1,
                                         whose first character is c (TextEncoder's ids make it so)
    The bigram vocabulary is sorted by frequency, so the first K cover most positions (with
    <UNK>, 72 % of the test split's for K = 8192) and cost one row lookup each, not two rows
    and a product. Without bigrams, or without the first characters, nothing is folded.
    """

    def __init__(self, vocab_size, bigram_embedding, first_chars, folded):
        self.V, self.bigram_embedding = vocab_size, bigram_embedding
        if bigram_embedding is None:
            self.K = 0
        else:
            self.K = min(folded, bigram_embedding.shape[0] - 2, len(first_chars) - 2) if first_chars is not None else 0
            self.first_chars = first_chars[2 : 2 + self.K].to(bigram_embedding.device) if self.K else None

    def to(self, dtype):
        """The same folding, with the rare bigrams' embeddings in dtype."""
        other = copy.copy(self)
        if self.bigram_embedding is not None:
            other.bigram_embedding = self.bigram_embedding.to(dtype)
        return other

    def table(self, char_rows, bigram_map):
        """The folded table [2V + K, width] from A = char_rows [V, width], B = embedding @ bigram_map."""
        if self.bigram_embedding is None:
            return char_rows.contiguous()
        unknown = self.bigram_embedding[1] @ bigram_map
        frequent = self.bigram_embedding[2 : 2 + self.K] @ bigram_map
        if self.K:
            frequent += char_rows[self.first_chars]
        return torch.cat([char_rows + unknown, char_rows, frequent]).contiguous()

    def rows(self, chars, bigrams):
        """(each position's row of the table [as chars], which positions have a rare bigram
        [as chars, bool], those bigrams' distinct embeddings [U, Db], and each rare position's
        index into them [P], in row-major order); the last three are None without bigrams."""
        if self.bigram_embedding is None:
            return chars, None, None, None
        folded = (bigrams >= 2) & (bigrams < 2 + self.K)
        rows = torch.where(bigrams == 1, chars, torch.where(folded, bigrams + (2 * self.V - 2), chars + self.V))
        rare = (bigrams != 1) & ~folded
        distinct, inverse = torch.unique(bigrams[rare], return_inverse=True)
        return rows, rare, self.bigram_embedding[distinct], inverse


class FastTextCNN:
    """TextCNN logits with each convolution's first layer folded into a table (Folding).

    For window k, row r*k + j of its table is what folded row r adds to each filter when it
    sits at offset j of the window, so a window's sum is one embedding_bag over k rows; a
    rare bigram's part is added to the k windows it sits in.
    """

    batch_size = 1024
    folded_bigrams = 8192

    def __init__(self, windows, folding, tables, bigram_maps, biases, classifier):
        self.windows, self.folding, self.tables, self.bigram_maps = windows, folding, tables, bigram_maps
        self.biases, self.classifier = biases, classifier

    @classmethod
    @torch.no_grad()
    def from_model(cls, model, first_chars=None):
        chars = model.embedding.chars.weight  # [V, D]
        D = chars.shape[1]
        bigrams = model.embedding.bigrams
        folding = Folding(
            chars.shape[0], bigrams.weight.detach() if bigrams is not None else None, first_chars, cls.folded_bigrams
        )
        tables, maps, biases = [], [], []
        for k, conv in zip(model.windows, model.convs):
            W = conv.weight  # [F, D (+ Db), k]
            maps.append(W[:, D:].permute(1, 2, 0).reshape(W.shape[1] - D, k * W.shape[0]).contiguous())  # [Db, k*F]
            char_rows = torch.einsum("cd,fdj->cjf", chars, W[:, :D]).reshape(chars.shape[0], -1)  # [V, k*F]
            tables.append(folding.table(char_rows, maps[-1]).view(-1, W.shape[0]))  # [rows*k, F]
            biases.append(conv.bias.detach().clone())
        return cls(model.windows, folding, tables, maps, biases, model.classifier)

    def nbytes(self):
        return sum(t.numel() * t.element_size() for t in self.tables + self.bigram_maps)

    def to(self, dtype):
        """A twin whose rare bigrams' products are computed in dtype. The tables stay float32:
        summing rows of them is bound by memory, not arithmetic, and torch's bf16 bags are slower."""
        return FastTextCNN(
            self.windows,
            self.folding.to(dtype),
            self.tables,
            [m.to(dtype) for m in self.bigram_maps],
            self.biases,
            self.classifier,
        )

    @torch.no_grad()
    def logits(self, chars, bigrams, lengths):
        """The TextCNN's logits [B, C] for a 0-padded batch: chars, bigrams [B, T], lengths [B]."""
        T = max(chars.shape[1], max(self.windows))  # as TextCNN: pad up to the widest window
        chars, bigrams = F.pad(chars, (0, T - chars.shape[1])), F.pad(bigrams, (0, T - bigrams.shape[1]))
        rows, rare, embedded, inverse = self.folding.rows(chars, bigrams)
        if rare is not None:  # each position's rare bigram as an index into `embedded`, else U: a zero row
            U = len(embedded)
            which = torch.full_like(rows, U)
            which[rare] = inverse
            embedded = F.pad(embedded, (0, 0, 0, 1))
        pooled = []
        for k, table, bigram_map, bias in zip(self.windows, self.tables, self.bigram_maps, self.biases):
            offsets = torch.arange(k, device=chars.device)
            n = T - k + 1
            h = F.embedding_bag((rows.unfold(1, k, 1) * k + offsets).reshape(-1, k), table, mode="sum")
            if rare is not None and U:  # the rare bigrams' part: a second bag that skips the other positions
                per_offset = (embedded @ bigram_map).to(table.dtype).view(-1, table.shape[1])  # [(U+1)*k, F]
                at = which.unfold(1, k, 1)
                index = torch.where(at < U, at * k + offsets, U * k)
                h += F.embedding_bag(index.reshape(-1, k), per_offset, mode="sum", padding_idx=U * k)
            h = h.view(chars.shape[0], n, -1)
            valid = (lengths - k + 1).clamp(min=1).to(h.device)
            if (valid < n).any():  # windows running into padding, as TextCNN masks them
                h = h.masked_fill((torch.arange(n, device=h.device) >= valid[:, None])[..., None], float("-inf"))
            pooled.append(h.amax(dim=1) + bias)  # max then bias then ReLU = TextCNN's ReLU then max
        return self.classifier(torch.relu(torch.cat(pooled, dim=-1)))

    __call__ = logits


class FastBiLSTM:
    """BiLSTM-attention logits: the first layer's input gates folded into a table (Folding)
    and its recurrence run here for both directions at once; the layers above it one fused
    nn.LSTM, whose input projection is one product over all positions.

    Row r of the table holds, for each direction, W_ih @ [embedding, bigram embedding] +
    b_ih + b_hh of the folded row. The backward direction's gates are stored reversed in
    time, so both directions step forward together.
    """

    batch_size = 256
    folded_bigrams = 8192

    def __init__(
        self, folding, table, bigram_map, w_hh, upper, attention_proj, attention_vector, classifier, directions, hidden
    ):
        self.folding, self.table, self.bigram_map, self.w_hh = folding, table, bigram_map, w_hh
        self.upper, self.attention_proj, self.attention_vector = upper, attention_proj, attention_vector
        self.classifier, self.directions, self.hidden = classifier, directions, hidden

    @classmethod
    @torch.no_grad()
    def from_model(cls, model, first_chars=None):
        H, dirs = model.hidden, model.directions
        chars = model.embedding.chars.weight
        D = chars.shape[1]
        # nn.LSTM's gates come as (input, forget, cell, output); ours as (input, forget,
        # output, cell), so that one sigmoid covers the first three.
        order = torch.cat([torch.arange(0, 2 * H), torch.arange(3 * H, 4 * H), torch.arange(2 * H, 3 * H)])
        suffixes = ["_l0", "_l0_reverse"][:dirs]
        first = model.rnns[0]
        w_ih = torch.cat([getattr(first, "weight_ih" + s)[order] for s in suffixes])  # [dirs*4H, D (+ Db)]
        bias = torch.cat([(getattr(first, "bias_ih" + s) + getattr(first, "bias_hh" + s))[order] for s in suffixes])
        w_hh = torch.stack([getattr(first, "weight_hh" + s)[order].T for s in suffixes]).contiguous()  # [dirs, H, 4H]
        bigrams = model.embedding.bigrams
        folding = Folding(
            chars.shape[0], bigrams.weight.detach() if bigrams is not None else None, first_chars, cls.folded_bigrams
        )
        bigram_map = w_ih[:, D:].T.contiguous()  # [Db, dirs*4H]
        table = folding.table(chars @ w_ih[:, :D].T + bias, bigram_map)  # [rows, dirs*4H]
        upper = None
        if len(model.rnns) > 1:  # time first, as the first layer's outputs come
            upper = (
                nn.LSTM(H * dirs, H, num_layers=len(model.rnns) - 1, bidirectional=dirs == 2).to(chars.device).eval()
            )
            for i, rnn in enumerate(model.rnns[1:]):
                for name, value in rnn.named_parameters():
                    getattr(upper, name.replace("_l0", f"_l{i}")).copy_(value)
        return cls(
            folding,
            table.view(-1, 4 * H),
            bigram_map,
            w_hh,
            upper,
            model.attention_proj,
            model.attention_vector,
            model.classifier,
            dirs,
            H,
        )

    def nbytes(self):
        return sum(t.numel() * t.element_size() for t in (self.table, self.bigram_map, self.w_hh))

    def to(self, dtype):
        """A twin computing in dtype (every table and layer cast; logits come back as float32)."""
        return FastBiLSTM(
            self.folding.to(dtype),
            self.table.to(dtype),
            self.bigram_map.to(dtype),
            self.w_hh.to(dtype),
            _cast(self.upper, dtype),
            _cast(self.attention_proj, dtype),
            _cast(self.attention_vector, dtype),
            _cast(self.classifier, dtype),
            self.directions,
            self.hidden,
        )

    def _recurrence(self, gates, w_hh):
        """The first layer's outputs [L, dirs, n, H] from its input gates [L, dirs, n, 4H]
        (the backward direction reversed in time, in and out)."""
        L, dirs, n, _ = gates.shape
        H = self.hidden
        h = gates.new_zeros(dirs, n, H)
        c = gates.new_zeros(dirs, n, H)
        out = gates.new_empty(L, dirs, n, H)
        for t in range(L):
            g = torch.baddbmm(gates[t], h, w_hh)
            s = torch.sigmoid(g[..., : 3 * H])
            c = torch.addcmul(s[..., H : 2 * H] * c, s[..., :H], torch.tanh(g[..., 3 * H :]))
            h = torch.mul(s[..., 2 * H :], torch.tanh(c), out=out[t])
        return out

    def _in_time_order(self, out):
        """[L, n, dirs*H] from the first layer's outputs [L, dirs, n, H]."""
        if self.directions == 1:
            return out[:, 0]
        return torch.cat([out[:, 0], out[:, 1].flip(0)], dim=-1)

    def _dense(self, chars, bigrams):
        """Logits [n, C] for n headlines of one length L: chars, bigrams [n, L]."""
        n, L = chars.shape
        dirs, H = self.directions, self.hidden
        rows, rare, embedded, inverse = self.folding.rows(chars, bigrams)
        rows = rows.T  # [L, n]
        if dirs == 2:
            rows = torch.stack([rows * 2, rows.flip(0) * 2 + 1], dim=1)  # [L, 2, n]: row r, direction d
        gates = F.embedding(rows.reshape(L, dirs, n), self.table)  # [L, dirs, n, 4H]
        if rare is not None and len(inverse):  # a rare bigram at (i, t): its product, at t and at L-1-t backwards
            i, t = torch.nonzero(rare, as_tuple=True)
            extra = F.embedding(inverse, embedded @ self.bigram_map)  # [P, dirs*4H]
            at = torch.stack([t, L - 1 - t][:dirs], dim=1) * dirs + torch.arange(dirs, device=t.device)
            gates.view(-1, 4 * H).index_add_(0, (at * n + i[:, None]).reshape(-1), extra.reshape(-1, 4 * H))
        x = self._in_time_order(self._recurrence(gates, self.w_hh))  # [L, n, dirs*H]
        if self.upper is not None:
            x = self.upper(x)[0]
        scores = self.attention_vector(torch.tanh(self.attention_proj(x))).squeeze(-1)  # [L, n]
        attention = torch.softmax(scores.float(), dim=0).to(x.dtype)
        return self.classifier(torch.einsum("ln,lnh->nh", attention, x)).float()

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


def fast_path(model, encoder=None):
    """The fast twin of a network of cls_core.models.networks, or None where there is none (GRU, RNN).
    Given the TextEncoder whose ids it will read, it folds the frequent bigrams too."""
    first_chars = bigram_first_chars(encoder)
    if isinstance(model, TextCNN):
        return FastTextCNN.from_model(model, first_chars)
    if isinstance(model, BiLSTMAttention) and isinstance(model.rnns[0], nn.LSTM):
        return FastBiLSTM.from_model(model, first_chars)
    return None
