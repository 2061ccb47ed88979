"""Hidden units, LSTMVis-style: what one BiLSTM unit tracks along a headline, and the
test-set contexts where it fires most.

The corpus index runs the BiLSTM over the whole test split once and keeps, per
(layer, direction, unit), the TOP_K highest activations with their headline and position,
plus each topic's mean of the unit's largest activation per headline. A unit is
topic-specific when one topic's mean stands out: specificity = (that topic's mean - the
mean of the other topics' means) / the unit's standard deviation over headlines.

The index is a compressed .npz of plain arrays (test texts and labels included), cached
per checkpoint and test file (cls_core.explain.cache); opening a view afterwards only reads it.

    python -m cls_core.explain.units --checkpoint checkpoints/bilstm_att.pt    # build, print time and size
"""

import argparse
import json
import time

import numpy as np
import torch

from cls_core.data import add_data_dir_argument, length_buckets, pad_batch, resolve_data_dir
from cls_core.data.test_file import as_test_file
from cls_core.explain import cache, inspection

TOP_K = 20
DIRECTIONS = ("forward", "backward")


def _require_bilstm(predictor):
    if predictor.kind != "bilstm_att":
        raise ValueError(f"hidden units need a BiLSTM-attention model, not {predictor.kind}")


@torch.no_grad()
def build_index(predictor, dataset, k=TOP_K, batch_size=256):
    """{name: array} of the corpus index (see the module docstring) over a Dataset."""
    _require_bilstm(predictor)
    model, encoder = predictor.model.eval(), predictor.encoder
    texts = [predictor.normalize(t) for t in dataset.texts]
    encoded = [encoder.encode(t) for t in texts]
    L, D, H = len(model.rnns), model.directions, model.hidden
    units = L * D * H
    top_values = torch.full((units, k), float("-inf"))
    top_where = torch.zeros((units, k), dtype=torch.long)  # headline * 1024 + position
    headline_max = torch.zeros((len(texts), units))
    for index in length_buckets([len(c) for c, _ in encoded], batch_size):
        chars, bigrams, lengths = pad_batch([encoded[i] for i in index])
        hidden = model.inspect(chars.to(predictor.device), bigrams.to(predictor.device), lengths.to(predictor.device))[
            "hidden"
        ]
        # [B, T, L*D*H], unit order (layer, direction, unit); padding can never win
        states = torch.cat([h for layer in hidden for h in layer], dim=-1).float().cpu()
        B, T, _ = states.shape
        states = states.masked_fill(~(torch.arange(T)[None, :] < lengths[:, None])[..., None], float("-inf"))
        headline_max[torch.as_tensor(index)] = states.max(dim=1).values
        where = (torch.as_tensor(index)[:, None] * 1024 + torch.arange(T)[None, :]).reshape(-1)
        values, positions = states.reshape(B * T, units).T.topk(min(k, B * T), dim=1)
        merged_values = torch.cat([top_values, values], dim=1)
        merged_where = torch.cat([top_where, where[positions]], dim=1)
        top_values, best = merged_values.topk(k, dim=1)
        top_where = merged_where.gather(1, best)
    labels = np.asarray(dataset.labels)
    maxima = headline_max.numpy()
    class_means = np.stack(
        [maxima[labels == c].mean(0) if (labels == c).any() else np.zeros(units) for c in range(len(dataset.classes))],
        axis=1,
    )  # [units, C]
    top_class = class_means.argmax(1)
    others = (class_means.sum(1) - class_means.max(1)) / max(len(dataset.classes) - 1, 1)
    specificity = (class_means.max(1) - others) / (maxima.std(0) + 1e-6)
    shape = (L, D, H)
    return {
        "top_values": top_values.numpy().reshape(*shape, k).astype(np.float32),
        "top_headline": (top_where // 1024).numpy().reshape(*shape, k).astype(np.int32),
        "top_position": (top_where % 1024).numpy().reshape(*shape, k).astype(np.int16),
        "class_means": class_means.reshape(*shape, -1).astype(np.float32),
        "specificity": specificity.reshape(shape).astype(np.float32),
        "top_class": top_class.reshape(shape).astype(np.int16),
        "texts": np.array(texts, dtype=str),
        "labels": labels.astype(np.int16),
        "classes": np.array(dataset.classes, dtype=str),
    }


def entry_name(k=TOP_K):
    """The cache entry name of the corpus index keeping k contexts per unit."""
    return f"units-k{k}"


def unit_index(predictor, data_dir, k=TOP_K):
    """The corpus index of this checkpoint over data_dir's test split (or a TestFile,
    cls_core.data.test_file): read from the cache, else built and cached (`python -m cls_core.explain.units`
    times both)."""
    _require_bilstm(predictor)
    # float32 whatever the predictor serves in: the index shows the very activations that
    # Inside's hidden states and unit tracks (float32, through the network itself) show
    test = as_test_file(data_dir)
    return cache.cached(
        entry_name(k), predictor, test.path, lambda: build_index(predictor, test.read(), k), precision="fp32"
    )


def _direction(direction):
    return DIRECTIONS.index(direction) if isinstance(direction, str) else int(direction)


def ranked_units(index, limit=50):
    """The most topic-specific units first: [{"layer" (1-based), "direction", "unit",
    "specificity", "topic"}]."""
    spec = index["specificity"]
    order = np.argsort(-spec, axis=None, kind="stable")[:limit]
    rows = []
    for layer, d, unit in zip(*np.unravel_index(order, spec.shape)):
        rows.append(
            {
                "layer": int(layer) + 1,
                "direction": DIRECTIONS[d],
                "unit": int(unit),
                "specificity": round(float(spec[layer, d, unit]), 3),
                "topic": str(index["classes"][index["top_class"][layer, d, unit]]),
            }
        )
    return rows


def unit_track(predictor, text, layer, direction, unit):
    """{"chars", "values"}: the unit's activation at each character of the text as read."""
    _require_bilstm(predictor)
    inside = inspection.inspect_bilstm(predictor, predictor.read_as(text))
    values = inside["hidden"][int(layer) - 1][_direction(direction)][:, int(unit)]
    return {"chars": inside["chars"], "values": values}


def unit_contexts(index, layer, direction, unit, k=10, width=4):
    """The k test contexts where the unit fires most, strongest first: [{"headline" (index in
    the test split), "position", "left", "char", "right", "activation", "topic"}]."""
    where = (int(layer) - 1, _direction(direction), int(unit))
    rows = []
    for value, h, t in zip(
        index["top_values"][where][:k], index["top_headline"][where][:k], index["top_position"][where][:k]
    ):
        if not np.isfinite(value):  # a split with fewer than k characters
            break
        text = str(index["texts"][h])
        rows.append(
            {
                "headline": int(h),
                "position": int(t),
                "left": text[max(0, t - width) : t],
                "char": text[t],
                "right": text[t + 1 : t + 1 + width],
                "activation": round(float(value), 4),
                "topic": str(index["classes"][index["labels"][h]]),
            }
        )
    return rows


def main(argv=None):
    from cls_core.models.predictor import Predictor

    parser = argparse.ArgumentParser(
        prog="python -m cls_core.explain.units",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--checkpoint", default="checkpoints/bilstm_att.pt")
    add_data_dir_argument(parser)
    args = parser.parse_args(argv)
    predictor = Predictor.load(args.checkpoint, "cpu")
    data_dir = resolve_data_dir(args.data_dir)
    path = cache.entry_path(entry_name(), predictor, data_dir / "test.txt")
    path.unlink(missing_ok=True)
    start = time.perf_counter()
    with cache.shipped_entries_ignored():  # build it, even for a checkpoint whose index ships
        index = unit_index(predictor, data_dir)
    built = time.perf_counter() - start
    cache.forget()
    start = time.perf_counter()
    unit_index(predictor, data_dir)
    opened = time.perf_counter() - start
    print(
        json.dumps(
            {
                "index": str(path),
                "build_seconds": round(built, 2),
                "bytes": path.stat().st_size,
                "open_seconds": round(opened, 3),
                "top_units": ranked_units(index, 5),
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
