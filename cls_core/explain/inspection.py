"""Looking inside one prediction. Every function takes a loaded Predictor and one headline
and returns plain numbers per character, so the app only has to draw them.

- `inspect_bilstm`: hidden states of every layer and direction, and attention weights.
- `inspect_textcnn`: which character n-grams won each filter's max-pool, and what that
  did to the predicted class's logit (exact: the classifier is linear in the pooled values).
- `inspect_linear`: each n-gram's exact share of the linear model's score.
- `reading`: class probabilities after each prefix, i.e. the answer as the headline is read
  (`reading_scores`: the raw scores behind them).
- `occlusion`: how much the predicted class's probability drops without each character.

What is explained is the predicted class, or a class chosen (class_index); with
`rather_than`, a second class, it is the difference logit(class) - logit(rather_than):
"why stocks rather than finance?" asks what separates the two, not what makes stocks.
"""

import numpy as np

from cls_core.data import pad_batch


def _single_batch(predictor, text):
    chars, bigrams, lengths = pad_batch([predictor.encoder.encode(text)])
    d = predictor.device
    return chars.to(d), bigrams.to(d), lengths.to(d)


def _characters(predictor, text):
    """The characters the model actually reads (the encoder cuts long input)."""
    return list(text[: predictor.encoder.max_len]) if predictor.encoder else list(text)


def inspect_bilstm(predictor, text):
    if predictor.kind != "bilstm_att":
        raise ValueError(f"inspect_bilstm needs a BiLSTM-attention model, not {predictor.kind}")
    out = predictor.model.inspect(*_single_batch(predictor, text))
    logits = out["logits"].float().cpu().numpy()
    return {
        "chars": _characters(predictor, text),
        "probs": predictor.calibrated(logits)[0],
        "hidden": [[h[0].float().cpu().numpy() for h in layer] for layer in out["hidden"]],  # [T, H]
        "attention": out["attention"][0].float().cpu().numpy(),
    }


def inspect_textcnn(predictor, text, class_index=None, rather_than=None):
    """Per window size, the n-grams that won a max-pool, with the number of filters they
    won and their summed contribution to class_index's logit (default: the prediction), or
    to logit(class_index) - logit(rather_than). A filter that fires nowhere in the headline
    (ReLU 0 at every position) has no winner."""
    if predictor.kind != "textcnn":
        raise ValueError(f"inspect_textcnn needs a TextCNN model, not {predictor.kind}")
    out = predictor.model.inspect(*_single_batch(predictor, text))
    chars = _characters(predictor, text)
    probs = predictor.calibrated(out["logits"].float().cpu().numpy())[0]
    c = int(probs.argmax()) if class_index is None else class_index
    char_scores = np.zeros(len(chars))
    windows = []
    for w in out["windows"]:
        k = w["window"]
        fired = (w["value"][0] > 0).cpu().numpy()
        starts = np.where(fired, w["start"][0].cpu().numpy(), -1)
        contribution = w["contribution"][0, :, c].float().cpu().numpy()
        if rather_than is not None:  # the classifier is linear: the difference's share is the shares' difference
            contribution = contribution - w["contribution"][0, :, rather_than].float().cpu().numpy()
        spans, window_scores = [], np.zeros(len(chars))
        for start in np.unique(starts[fired]):
            won = starts == start
            end = min(start + k, len(chars))
            total = float(contribution[won].sum())
            spans.append(
                {
                    "start": int(start),
                    "end": int(end),
                    "ngram": "".join(chars[start:end]),
                    "filters": int(won.sum()),
                    "contribution": total,
                }
            )
            window_scores[start:end] += total / max(end - start, 1)
        spans.sort(key=lambda s: -abs(s["contribution"]))
        windows.append({"window": k, "spans": spans, "char_scores": window_scores})
        char_scores += window_scores
    return {
        "chars": chars,
        "probs": probs,
        "class_index": c,
        "rather_than": rather_than,
        "windows": windows,
        "char_scores": char_scores,
    }


def inspect_linear(predictor, text, class_index=None, rather_than=None):
    """Each n-gram's exact share of class_index's score (default: the prediction), or of
    score(class_index) - score(rather_than); the char_scores and the intercept add up to it."""
    if predictor.kind != "linear":
        raise ValueError(f"inspect_linear needs the linear model, not {predictor.kind}")
    probs = predictor.predict_proba([text])[0]
    c = int(probs.argmax()) if class_index is None else class_index
    ngrams, char_scores = predictor.linear.contributions(text, c)
    intercept = float(predictor.linear.intercept[c])
    if rather_than is not None:
        against, against_chars = predictor.linear.contributions(text, rather_than)
        against = dict(against)  # the same n-grams of the same text, another class's weights
        ngrams = sorted(((g, v - against[g]) for g, v in ngrams), key=lambda item: -abs(item[1]))
        char_scores = char_scores - against_chars
        intercept -= float(predictor.linear.intercept[rather_than])
    return {
        "chars": list(text),
        "probs": probs,
        "class_index": c,
        "rather_than": rather_than,
        "ngrams": ngrams,
        "char_scores": char_scores,
        "intercept": intercept,
    }


def reading_scores(predictor, text):
    """[T, C]: row t is the model's raw score (logit) of each class given text[:t+1]."""
    chars = _characters(predictor, text)
    prefixes = ["".join(chars[: t + 1]) for t in range(len(chars))]
    return predictor.scores_in_one_pass(prefixes)  # one pass, not one per length


def reading(predictor, text):
    """[T, C]: row t is the calibrated probability of each class given text[:t+1]."""
    return predictor.calibrated(reading_scores(predictor, text))


def occlusion(predictor, text, class_index=None, rather_than=None):
    """Per character: p(class | headline) - p(class | headline without that character);
    with rather_than, the drop of logit(class) - logit(rather_than) instead ("measure"
    says which: "probability" or "logit_difference"; "value" is it for the headline).

    Positive = the character supports the class (against rather_than). Works for every
    model, so it is the common yardstick next to attention weights or n-gram contributions.
    Also returns every class's probability for the headline ("probs") and without each
    character ("without"), which the flip search would otherwise score again.
    """
    chars = _characters(predictor, text)
    variants = ["".join(chars)] + ["".join(chars[:t] + chars[t + 1 :]) or " " for t in range(len(chars))]
    if rather_than is None:
        probs = predictor.predict_proba(variants)
        c = int(probs[0].argmax()) if class_index is None else class_index
        measured, measure = probs[:, c], "probability"
    else:
        scores = np.asarray(predictor.scores(variants), dtype=np.float64)
        probs = predictor.calibrated(scores)  # as predict_proba computes them
        c = int(probs[0].argmax()) if class_index is None else class_index
        measured, measure = scores[:, c] - scores[:, rather_than], "logit_difference"
    return {
        "chars": chars,
        "class_index": c,
        "rather_than": rather_than,
        "probability": float(probs[0, c]),
        "measure": measure,
        "value": float(measured[0]),
        "drop": measured[0] - measured[1:],
        "probs": probs[0],
        "without": probs[1:],
    }
