"""Integrated gradients, and how far the ways of explaining one prediction agree.

Integrated gradients (Sundararajan et al., 2017; Captum's `LayerIntegratedGradients`)
credits each character with its share of logit(headline) - logit(baseline), integrated
along the straight line between the two in embedding space:

- layer: the networks' `embedding` (character vector joined to its bigram vector), so a
  character's score is the sum of its embedding row's attributions;
- baseline: the all-padding input (ids 0, whose embeddings are zero vectors), same length;
- target: the logit of the predicted class, or of a class chosen; with a second class
  (rather_than), the difference logit(class) - logit(rather_than), so that the scores
  answer "why this topic rather than that one?" and sum to the change of that difference;
- `ig_delta`: Captum's convergence delta, sum(scores) - (logit(x) - logit(baseline)),
  in logits, kept within MAX_DELTA: a headline whose delta exceeds it is redone with twice
  the steps, up to MAX_STEPS. N_STEPS = 16 keeps 93 % of test headlines within it at the
  first try, 32 keeps 99 % at twice the cost (`python -m cls_core.explain.attribution --steps`), so
  16 with the retry is the cheaper way to the same bound.

For the linear model its exact n-gram scores (inspection.inspect_linear) play that role.

`method_scores` gives every per-character method a model has (integrated gradients,
attention, occlusion, n-gram scores) on the text as read; `agreement` their Spearman rank
correlation; `test_agreement` the same over (a sample of) the test split, cached per
checkpoint: "does attention explain the prediction?"

    python -m cls_core.explain.attribution --checkpoint checkpoints/bilstm_att.pt [--sample 1000]
"""

import argparse
import copy
import itertools
import json
import threading
import time
import weakref

import numpy as np
import torch
from captum.attr import LayerIntegratedGradients
from scipy.stats import spearmanr

from cls_core.data import add_data_dir_argument, load_split, pad_batch, resolve_data_dir
from cls_core.data.test_file import as_test_file
from cls_core.explain import cache, inspection

N_STEPS = 16  # chosen with --steps: see the module docstring
MAX_STEPS = 128
MAX_DELTA = 0.05  # logits
STEPS_STUDIED = (8, 16, 32, 64)  # python -m cls_core.explain.attribution --steps, by default
SAMPLE = 1000  # test headlines for the test-split agreement (every k-th: test.txt is sorted by topic)

# The methods each kind of model has, and the pairs whose agreement is reported.
METHODS = {
    "bilstm_att": ("integrated_gradients", "attention", "occlusion"),
    "textcnn": ("integrated_gradients", "ngram", "occlusion"),
    "linear": ("ngram", "occlusion"),
}


_copies: "weakref.WeakKeyDictionary[torch.nn.Module, torch.nn.Module]" = weakref.WeakKeyDictionary()
_copying = threading.Lock()


def attribution_model(model):
    """The copy of a network that integrated gradients run on. Captum hooks the embedding of
    the model it attributes, so on the network itself nothing else could run meanwhile; on
    a copy, the rest of a look inside uses the network at the same time (Demo.look_inside).
    Copied at first use, as the fast path is built at load: weights changed later in place
    are not seen (a changed model needs a new Predictor). The copy lives as long as the
    network does (a weak key): a model unloaded takes its copy with it."""
    with _copying:
        copied = _copies.get(model)
        if copied is None:
            copied = _copies[model] = copy.deepcopy(model).eval()
        return copied


def _contrast(model):
    """The network's logits, each row less the logit of the class it is explained against
    (rather_than[i]; -1: none), so that target t stands for logit(t) - logit(rather_than)."""

    def forward(chars, bigrams, lengths, rather_than):
        logits = model(chars, bigrams, lengths)
        against = logits.gather(1, rather_than.clamp(min=0)[:, None])
        return logits - against * (rather_than >= 0)[:, None]

    return forward


def _integrate(predictor, texts, n_steps, targets=None, rather_than=None):
    """One Captum pass over a batch of headlines (already Predictor.read_as). rather_than:
    per text, the class whose logit the target's is compared with, or None."""
    encoded = [predictor.encoder.encode(t) for t in texts]
    chars, bigrams, lengths = (t.to(predictor.device) for t in pad_batch(encoded))
    model = attribution_model(predictor.model)
    if targets is None:
        with torch.no_grad():
            targets = model(chars, bigrams, lengths).argmax(-1).tolist()
    if rather_than is None or all(r is None for r in rather_than):
        forward, extra = model, (lengths,)
    else:  # Captum repeats the extra arguments along the path, as it does the lengths
        against = torch.tensor([-1 if r is None else r for r in rather_than], device=lengths.device)
        forward, extra = _contrast(model), (lengths, against)
    ig = LayerIntegratedGradients(forward, model.embedding)
    attributions, delta = ig.attribute(
        (chars, bigrams),
        baselines=(torch.zeros_like(chars), torch.zeros_like(bigrams)),
        target=list(targets),
        additional_forward_args=extra,
        n_steps=n_steps,
        internal_batch_size=n_steps * len(texts),
        return_convergence_delta=True,
    )
    per_char = attributions.sum(-1).detach().float().cpu().numpy()  # [B, T]
    return (
        [per_char[i, : len(c)] for i, (c, _) in enumerate(encoded)],
        delta.detach().float().cpu().numpy(),
        list(targets),
    )


def integrated_gradients_batch(predictor, texts, n_steps=N_STEPS, targets=None, rather_than=None):
    """For each text: {"chars", "scores" (one float per character read), "ig_delta",
    "class_index", "rather_than", "n_steps"}; a headline whose |delta| exceeds MAX_DELTA is
    redone with twice the steps (up to MAX_STEPS). targets: the class per text (default: the
    network's prediction); rather_than: per text, a class to explain the target against
    (the scores then sum to the change of logit(target) - logit(rather_than)), or None."""
    if predictor.encoder is None:
        raise ValueError("integrated gradients need a network; the linear model's n-gram scores are exact")
    texts = [predictor.read_as(t) for t in texts]
    against = list(rather_than) if rather_than is not None else [None] * len(texts)
    scores, deltas, targets = _integrate(predictor, texts, n_steps, targets, against)
    steps = [n_steps] * len(texts)
    for i in range(len(texts)):
        while abs(deltas[i]) > MAX_DELTA and steps[i] < MAX_STEPS:
            steps[i] *= 2
            (scores[i],), (deltas[i],), _ = _integrate(predictor, [texts[i]], steps[i], [targets[i]], [against[i]])
    return [
        {"chars": list(t), "scores": s, "ig_delta": float(d), "class_index": c, "rather_than": r, "n_steps": n}
        for t, s, d, c, r, n in zip(texts, scores, deltas, targets, against, steps)
    ]


def integrated_gradients(predictor, text, n_steps=N_STEPS, target=None, rather_than=None):
    return integrated_gradients_batch(
        predictor, [text], n_steps, None if target is None else [target], None if rather_than is None else [rather_than]
    )[0]


def _explains(known, text, topic, rather_than):
    """Whether scores already computed (known) explain what is asked of this text: the same
    characters, the same class (topic None: the answer) against the same rather_than."""
    if known is None or list(known["chars"]) != list(text) or known.get("rather_than") != rather_than:
        return False
    if topic is None and known.get("probabilities") is not None:
        topic = int(np.argmax(known["probabilities"]))
    return topic is None or int(known["class_index"]) == topic


def method_scores(predictor, text, ig=None, known=None, topic=None, rather_than=None):
    """{"chars", "class_index", "rather_than", "ig_delta", "scores": {method: one float per
    character}} for every method in METHODS[predictor.kind], on the text as read, each
    explaining class topic (default: the answer), or logit(topic) - logit(rather_than)
    (occlusion: its drop) when rather_than is given. Attention explains no class: it is the
    same whatever is asked.

    ig: integrated_gradients for this text, already computed (used where it explains what is
    asked). known: scores already computed for this model (Demo.inside's "method_scores":
    {"chars", "class_index", "rather_than", "scores": {method: per character},
    "probabilities"}); used where they explain the same of the same characters, so that the
    Inside tab does not run occlusion twice."""
    text = predictor.read_as(text)
    if _explains(known, text, topic, rather_than):
        c = int(known["class_index"])
        scores = {m: np.asarray(v, dtype=float) for m, v in known["scores"].items() if m in METHODS[predictor.kind]}
    else:
        c, scores = topic, {}
    if "occlusion" not in scores:
        occluded = inspection.occlusion(predictor, text, topic, rather_than)
        c, scores["occlusion"] = occluded["class_index"], np.asarray(occluded["drop"], dtype=float)
    out = {"chars": list(text), "class_index": c, "rather_than": rather_than, "ig_delta": None, "scores": scores}
    if predictor.kind != "linear":
        if ig is None or ig["class_index"] != c or ig.get("rather_than") != rather_than:
            ig = integrated_gradients(predictor, text, target=c, rather_than=rather_than)  # explain what is shown
        scores["integrated_gradients"], out["ig_delta"] = ig["scores"], ig["ig_delta"]
    if predictor.kind == "bilstm_att" and "attention" not in scores:
        scores["attention"] = inspection.inspect_bilstm(predictor, text)["attention"][: len(text)]
    elif predictor.kind == "textcnn" and "ngram" not in scores:
        scores["ngram"] = inspection.inspect_textcnn(predictor, text, c, rather_than)["char_scores"]
    elif predictor.kind == "linear" and "ngram" not in scores:
        scores["ngram"] = inspection.inspect_linear(predictor, text, c, rather_than)["char_scores"]
    return out


def pairs(kind):
    return list(itertools.combinations(METHODS[kind], 2))


def pair_name(a, b):
    return f"{a} vs {b}"


def spearman(a, b):
    """Rank correlation of two per-character scores; nan when either is constant or too short."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(spearmanr(a, b).statistic)


def agreement(scored, kind):
    """{"A vs B": Spearman rho} for one headline's method_scores."""
    s = scored["scores"]
    return {pair_name(a, b): spearman(s[a], s[b]) for a, b in pairs(kind)}


def sample_indices(n, sample):
    """Every k-th index, so that a sample of a topic-sorted split keeps every topic."""
    if not sample or sample >= n:
        return np.arange(n)
    return np.linspace(0, n - 1, sample).round().astype(int)


def sample_texts(dataset, sample):
    """The texts at sample_indices: every k-th headline of the split."""
    return [dataset.texts[i] for i in sample_indices(len(dataset), sample)]


def test_agreement(predictor, dataset, sample=SAMPLE, batch_size=16, progress=None):
    """Spearman of every method pair over a sample of the split (uncached; see cached_agreement).

    Returns {"pairs": {"A vs B": {"mean", "median", "n"}}, "ig_delta": {...}, "headlines",
    "seconds"}; headlines shorter than 3 characters or with a constant score are skipped.
    """
    start = time.perf_counter()
    texts = sample_texts(dataset, sample)
    rhos = {pair_name(a, b): [] for a, b in pairs(predictor.kind)}
    deltas = []
    for i in range(0, len(texts), batch_size):
        chunk = texts[i : i + batch_size]
        igs = integrated_gradients_batch(predictor, chunk) if predictor.kind != "linear" else [None] * len(chunk)
        for text, ig in zip(chunk, igs):
            scored = method_scores(predictor, text, ig)
            for name, rho in agreement(scored, predictor.kind).items():
                rhos[name].append(rho)
            if ig is not None:
                deltas.append(abs(ig["ig_delta"]))
        if progress:
            progress(min(1.0, (i + batch_size) / len(texts)))
    summary = {}
    for name, values in rhos.items():
        values = np.asarray(values)
        values = values[~np.isnan(values)]
        summary[name] = {
            "mean": round(float(values.mean()), 4),
            "median": round(float(np.median(values)), 4),
            "n": int(len(values)),
        }
    out = {
        "model": predictor.name,
        "kind": predictor.kind,
        "headlines": len(texts),
        "pairs": summary,
        "seconds": round(time.perf_counter() - start, 1),
    }
    if deltas:
        deltas = np.asarray(deltas)
        out["ig_delta"] = {
            "max": round(float(deltas.max()), 4),
            "p95": round(float(np.percentile(deltas, 95)), 4),
            "within": round(float((deltas <= MAX_DELTA).mean()), 4),
        }
    return out


def entry_name(sample=SAMPLE):
    """The cache entry name of the agreement over `sample` test headlines (None: all)."""
    return f"agreement-{sample or 'all'}-ig{N_STEPS}"


def cached_agreement(predictor, data_dir, sample=SAMPLE, progress=None):
    """test_agreement over data_dir's test split (or a TestFile, cls_core.data.test_file),
    computed once per checkpoint (and sample size) and kept on disk."""
    test = as_test_file(data_dir)
    return cache.cached(
        entry_name(sample),
        predictor,
        test.path,
        lambda: test_agreement(predictor, test.read(), sample, progress=progress),
        ".json",
    )


def steps_study(predictor, texts, steps=STEPS_STUDIED):
    """|convergence delta| (max, p95, share within MAX_DELTA) and ms per headline at each
    n_steps, without the retry: how N_STEPS was chosen."""
    texts = [predictor.read_as(t) for t in texts]
    rows = []
    for n in steps:
        start = time.perf_counter()
        deltas = np.abs(np.concatenate([_integrate(predictor, [t], n)[1] for t in texts]))
        rows.append(
            {
                "n_steps": n,
                "max": round(float(deltas.max()), 4),
                "p95": round(float(np.percentile(deltas, 95)), 4),
                "within": round(float((deltas <= MAX_DELTA).mean()), 4),
                "ms_per_headline": round((time.perf_counter() - start) * 1000 / len(texts), 1),
            }
        )
    return rows


def main(argv=None):
    from cls_core.models.predictor import Predictor

    parser = argparse.ArgumentParser(
        prog="python -m cls_core.explain.attribution",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--checkpoint", action="append", required=True)
    add_data_dir_argument(parser)
    parser.add_argument("--sample", type=int, default=SAMPLE, help="test headlines (0 = all 10,000)")
    parser.add_argument(
        "--steps",
        type=int,
        nargs="*",
        help=f"measure the convergence delta at these n_steps instead (default: {' '.join(map(str, STEPS_STUDIED))})",
    )
    args = parser.parse_args(argv)
    data_dir = resolve_data_dir(args.data_dir)
    for path in args.checkpoint:
        predictor = Predictor.load(path, "cpu")
        if args.steps is not None:
            texts = sample_texts(load_split(data_dir, "test"), args.sample)
            print(
                json.dumps(
                    {
                        "model": predictor.name,
                        "headlines": len(texts),
                        "steps": steps_study(predictor, texts, args.steps or STEPS_STUDIED),
                    }
                )
            )
        else:
            print(json.dumps(cached_agreement(predictor, data_dir, args.sample or None)))


if __name__ == "__main__":
    main()
