"""Counterfactuals: how little of a headline keeps the answer, and how little change flips it.

- `input_reduction` (Feng et al., 2018): drop the least important characters while the
  model keeps its answer. The characters are first ordered by importance (integrated
  gradients or occlusion, given, else occlusion) and every "drop the k least important"
  is scored in one batch; the best is then reduced greedily, one character at a time.
- `smallest_flip` (HotFlip, Ebrahimi et al., 2018): one character deleted or replaced so
  that the top topic changes. Every deletion is tried; replacements (position x vocabulary
  character) are ranked by a first-order estimate of how much they lower the margin
  logit(answer) - logit(runner-up) -- (e_new - e_old) . d margin / d e at that position --
  and the best-ranked are verified by the model. The linear model ranks them by its own
  unigram weights instead. Edits of Chinese characters come first: a flip found by swapping
  "-" for "箭" is as real but reads as noise, so edits that touch punctuation, digits or
  Latin letters are tried (with half the replacements' budget) and shown only when no
  edit of a Chinese character flips the answer; the flip then says so ("chinese": False).
  Given a topic (`to`), it looks for the smallest edit that makes the answer that topic
  ("why stocks rather than finance?": what would make it finance?), ranking replacements by
  the margin logit(answer) - logit(to) instead.

Both are bounded by a number of model evaluations, not by time, so they give the same
answer on every machine and tests need no clock. Each step scores all its candidate
headlines in one forward pass (`Predictor.scores_in_one_pass`), whatever their lengths.

How many flips each budget finds, on a sample of the test split:

    python -m cls_core.explain.counterfactual --checkpoint checkpoints/bilstm_att.pt [--sample 200]
"""

import argparse
import json
import time
from functools import lru_cache

import numpy as np
import torch

from cls_core.data import add_data_dir_argument, load_split, resolve_data_dir
from cls_core.explain.attribution import sample_texts
from cls_core.explain.inspection import occlusion
from cls_core.models.gradients import layer_gradient
from cls_core.models.unsure import is_chinese

REDUCTION_EVALUATIONS = 64
FLIP_EVALUATIONS = 128
# A BiLSTM evaluation costs four to five TextCNN ones, and on 200 test headlines the BiLSTM's
# search finds 66 flips within 64 evaluations against 68 within 128 (the TextCNN's 71 against
# 80): `python -m cls_core.explain.counterfactual --checkpoint checkpoints/bilstm_att.pt`.
FLIP_EVALUATIONS_BY_KIND = {"bilstm_att": 64}
FALLBACK_SHARE = 2  # half the replacements' budget is kept for edits of other characters


def _chinese_edit(edit):
    """An edit (kind, position, from, to) that changes only Chinese characters."""
    _, _, old, new = edit
    return is_chinese(old) and (not new or is_chinese(new))


def flip_budget(predictor):
    """The number of model evaluations smallest_flip may spend on this model."""
    return FLIP_EVALUATIONS_BY_KIND.get(predictor.kind, FLIP_EVALUATIONS)


def _answer(predictor, texts):
    """(predicted class, calibrated probabilities) per text, one forward pass."""
    probs = predictor.calibrated(predictor.scores_in_one_pass(texts))
    return probs.argmax(1), probs


def input_reduction(predictor, text, importance=None, max_evaluations=REDUCTION_EVALUATIONS):
    """{"text" (the reduced headline), "kept" (positions of the kept characters in the text
    as read), "class_index", "probability", "evaluations"}; the answer is the original one."""
    chars = list(predictor.read_as(text))
    if importance is None:
        importance = occlusion(predictor, "".join(chars))["drop"]
    # 1. the headline itself and, for every k at once, it without its k least important characters
    order = np.argsort(np.asarray(importance, dtype=float), kind="stable")
    k_max = max(0, min(len(chars) - 1, max_evaluations - 1))
    candidates = [sorted(set(range(len(chars))) - set(order[:k].tolist())) for k in range(k_max + 1)]
    answers, probs = _answer(predictor, ["".join(chars[i] for i in keep) for keep in candidates])
    evaluations, c = len(candidates), answers[0]
    keeping = np.flatnonzero(answers == c)
    kept, best_p = candidates[keeping[-1]], float(probs[keeping[-1], c])
    # 2. greedy: drop the one character whose loss leaves the answer surest, while it stays
    while len(kept) > 1 and evaluations + len(kept) <= max_evaluations:
        candidates = [kept[:i] + kept[i + 1 :] for i in range(len(kept))]
        answers, probs = _answer(predictor, ["".join(chars[i] for i in keep) for keep in candidates])
        evaluations += len(candidates)
        scores = np.where(answers == c, probs[:, c], -1.0)
        if scores.max() < 0:
            break
        kept, best_p = candidates[int(scores.argmax())], float(scores.max())
    return {
        "text": "".join(chars[i] for i in kept),
        "kept": kept,
        "class_index": int(c),
        "probability": best_p,
        "evaluations": evaluations,
    }


def _network_estimates(predictor, chars, c, runner_up):
    """[T, V] first-order change of the margin when position t becomes vocabulary char v."""
    model, encoder = predictor.model.eval(), predictor.encoder
    ids, bigrams = encoder.encode("".join(chars))
    x = torch.tensor([ids], device=predictor.device)
    b = torch.tensor([bigrams], device=predictor.device)
    grad = layer_gradient(
        model,
        model.embedding.chars,
        (x, b, torch.tensor([len(ids)], device=predictor.device)),
        lambda logits: logits[0, c] - logits[0, runner_up],
    )[0]  # [T, E]
    table = model.embedding.chars.weight.detach()  # [V, E]
    with torch.no_grad():
        estimates = grad @ table.T - (grad * table[x[0]]).sum(-1, keepdim=True)
    estimates[:, :2] = float("inf")  # never <PAD> or <UNK>
    estimates[torch.arange(len(ids), device=x.device), x[0]] = float("inf")  # nor the same character
    return estimates.cpu().numpy(), encoder.vocab.itos


@lru_cache(maxsize=4)
def _unigrams(linear):
    """(feature columns, characters) of the linear model's 1-grams."""
    unigrams = [i for i, f in enumerate(linear.features.tolist()) if len(f) == 1]
    return unigrams, [str(linear.features[i]) for i in unigrams]


def _linear_estimates(predictor, chars, c, runner_up):
    """[T, V] change of the unigram part of the margin, over the model's 1-gram features."""
    linear = predictor.linear
    unigrams, vocabulary = _unigrams(linear)
    weight = linear.coef[c, unigrams] - linear.coef[runner_up, unigrams]  # [V]
    column = {ch: j for j, ch in enumerate(vocabulary)}
    current = np.array([weight[column[ch.lower()]] if ch.lower() in column else 0.0 for ch in chars])
    estimates = weight[None, :] - current[:, None]
    for t, ch in enumerate(chars):
        if ch.lower() in column:
            estimates[t, column[ch.lower()]] = np.inf
    return estimates, vocabulary


def _smallest(values, k):
    """Indices of the k smallest values, smallest first, ties in index order: the first k of
    a stable argsort, without sorting all positions x vocabulary (126,000 values)."""
    if k >= len(values):
        return np.argsort(values, kind="stable")
    candidates = np.flatnonzero(values <= np.partition(values, k - 1)[k - 1])
    return candidates[np.argsort(values[candidates], kind="stable")[:k]]


@lru_cache(maxsize=8)
def _chinese_mask(vocabulary):
    """Which of a vocabulary's characters are Chinese (a look inside asks for each of its searches)."""
    return np.array([is_chinese(v) for v in vocabulary])


def _replacements(estimates, vocabulary, chars, k, chinese):
    """The k best-ranked replacements (kind, position, from, to), best first: of a Chinese
    character by a Chinese character (chinese=True), or the others."""
    if k <= 0:
        return []
    both = np.array([is_chinese(ch) for ch in chars])[:, None] & _chinese_mask(tuple(vocabulary))
    ranked = np.where(both == chinese, estimates, np.inf)
    flat = _smallest(ranked.ravel(), k)
    return [
        ("replace", int(t), chars[t], vocabulary[v])
        for t, v in zip(*np.unravel_index(flat, ranked.shape))
        if np.isfinite(ranked[t, v])
    ]


def _flipped(answers, c, to):
    """Which answers count as flipped: any other than c, or (to given) to itself."""
    return answers != c if to is None else answers == to


def _best_flip(edits, variants, answers, probs, c, to=None):
    """Of the edits that flip the answer (to `to`, when given), the surest: among those of
    Chinese characters if any, else among all; None when none flips."""
    flipped = _flipped(answers, c, to)
    chinese = flipped & np.array([_chinese_edit(e) for e in edits], dtype=bool)
    pool = np.flatnonzero(chinese if chinese.any() else flipped)
    if not len(pool):
        return None
    best = pool[np.argmax(probs[pool, answers[pool]])]
    kind, t, old, new = edits[best]
    return {
        "text": variants[best],
        "edit": {"kind": kind, "position": t, "from": old, "to": new},
        "class_index": int(answers[best]),
        "probability": float(probs[best, answers[best]]),
        "chinese": bool(chinese.any()),
    }


def smallest_flip(predictor, text, max_evaluations=None, known=None, to=None):
    """One character deleted or replaced that changes the top topic (to topic `to`, a class
    index, when given and not the answer already), within max_evaluations model evaluations
    (default: flip_budget).

    Returns {"flip", "to", "original_class_index", "original_probability", "evaluations"};
    "to" is the topic searched for (None: any other); flip is None when no edit within the
    budget flips the answer, else {"text", "edit": {"kind": "delete"|"replace", "position",
    "from", "to"}, "class_index", "probability", "chinese"}: of the flips found, the one
    whose new answer is surest, an edit of Chinese characters when one flips (then
    "chinese" is True).

    known: Demo.inside's "method_scores" for this headline. Its occlusion already scored the
    headline ("probabilities") and the headline without each character ("deletions"), so
    those are not scored again: the same answer, 1 + len(headline) model passes fewer.
    """
    chars = list(predictor.read_as(text))
    budget = (max_evaluations or flip_budget(predictor)) - 1
    edits = [("delete", t, chars[t], "") for t in range(len(chars)) if len(chars) > 1][:budget]
    variants = ["".join(chars[:t]) + "".join(chars[t + 1 :]) for _, t, _, _ in edits]
    if known is not None and known.get("deletions") is not None and list(known["chars"]) == chars:
        probs = np.vstack([known["probabilities"], np.asarray(known["deletions"])[: len(edits)]])
        answers = probs.argmax(1)
    else:  # the headline and its deletions: one pass
        answers, probs = _answer(predictor, ["".join(chars)] + variants)
    c, original_p = int(answers[0]), float(probs[0, answers[0]])
    to = None if to is None or int(to) == c else int(to)
    runner_up = int(np.argsort(-probs[0])[1]) if to is None else to  # the margin to close
    answers, probs = answers[1:], probs[1:]
    if len(edits) < budget:
        estimate = _linear_estimates if predictor.linear is not None else _network_estimates
        estimates, vocabulary = estimate(predictor, chars, c, runner_up)
        room = budget - len(edits)
        for chinese, k in ((True, room - room // FALLBACK_SHARE), (False, None)):
            if not chinese and _flipped(answers[np.array([_chinese_edit(e) for e in edits], dtype=bool)], c, to).any():
                break  # an edit of Chinese characters flips it: no need to try the others
            replacements = _replacements(estimates, vocabulary, chars, k or budget - len(edits), chinese)
            if replacements:
                replaced = ["".join(chars[:t]) + new + "".join(chars[t + 1 :]) for _, t, _, new in replacements]
                more_answers, more_probs = _answer(predictor, replaced)
                edits, variants = edits + replacements, variants + replaced
                answers, probs = np.concatenate([answers, more_answers]), np.vstack([probs, more_probs])
    return {
        "flip": _best_flip(edits, variants, answers, probs, c, to),
        "to": to,
        "original_class_index": int(c),
        "original_probability": original_p,
        "evaluations": 1 + len(edits),
    }


def flip_study(predictor, texts, budgets=(32, 64, 96, 128)):
    """Per budget: how many of the texts get a flip, how many of those by a deletion, and
    the milliseconds per text: how FLIP_EVALUATIONS_BY_KIND was chosen."""
    rows = []
    for budget in budgets:
        start = time.perf_counter()
        flips = [smallest_flip(predictor, t, budget)["flip"] for t in texts]
        found = [f for f in flips if f is not None]
        rows.append(
            {
                "evaluations": budget,
                "flips": len(found),
                "by_deletion": sum(f["edit"]["kind"] == "delete" for f in found),
                "of_chinese_characters": sum(f["chinese"] for f in found),
                "ms_per_headline": round((time.perf_counter() - start) * 1000 / len(texts), 1),
            }
        )
    return rows


def main(argv=None):
    from cls_core.models.predictor import Predictor

    parser = argparse.ArgumentParser(
        prog="python -m cls_core.explain.counterfactual",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--checkpoint", action="append", required=True)
    add_data_dir_argument(parser)
    parser.add_argument("--sample", type=int, default=200, help="test headlines, every k-th")
    parser.add_argument("--budgets", type=int, nargs="+", default=[32, 64, 96, 128])
    args = parser.parse_args(argv)
    texts = sample_texts(load_split(resolve_data_dir(args.data_dir), "test"), args.sample)
    for path in args.checkpoint:
        predictor = Predictor.load(path, "cpu")
        print(
            json.dumps(
                {
                    "model": predictor.name,
                    "headlines": len(texts),
                    "budgets": flip_study(predictor, texts, args.budgets),
                }
            )
        )


if __name__ == "__main__":
    main()
