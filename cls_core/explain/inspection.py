"""Looking inside one prediction. Every function takes a loaded Predictor and one headline
and returns plain numbers per character, so the app only has to draw them.

- `inspect_bilstm`: hidden states of every layer and direction, and attention weights.
- `inspect_textcnn`: which character n-grams won each filter's max-pool, and what that
  did to the predicted class's logit (exact: the classifier is linear in the pooled values).
- `inspect_linear`: each n-gram's exact share of the linear model's score.
- `reading`: class probabilities after each prefix, i.e. the answer as the headline is read.
- `occlusion`: how much the predicted class's probability drops without each character.
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


def inspect_textcnn(predictor, text, class_index=None):
    """Per window size, the n-grams that won a max-pool, with the number of filters they
    won and their summed contribution to class_index's logit (default: the prediction).
    A filter that fires nowhere in the headline (ReLU 0 at every position) has no winner."""
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
    return {"chars": chars, "probs": probs, "class_index": c, "windows": windows, "char_scores": char_scores}


def inspect_linear(predictor, text, class_index=None):
    if predictor.kind != "linear":
        raise ValueError(f"inspect_linear needs the linear model, not {predictor.kind}")
    probs = predictor.predict_proba([text])[0]
    c = int(probs.argmax()) if class_index is None else class_index
    ngrams, char_scores = predictor.linear.contributions(text, c)
    return {
        "chars": list(text),
        "probs": probs,
        "class_index": c,
        "ngrams": ngrams,
        "char_scores": char_scores,
        "intercept": float(predictor.linear.intercept[c]),
    }


def reading(predictor, text):
    """[T, C]: row t is the calibrated probability of each class given text[:t+1]."""
    chars = _characters(predictor, text)
    prefixes = ["".join(chars[: t + 1]) for t in range(len(chars))]
    return predictor.calibrated(predictor.scores_in_one_pass(prefixes))  # one pass, not one per length


def occlusion(predictor, text, class_index=None):
    """Per character: p(class | headline) - p(class | headline without that character).

    Positive = the character supports the class. Works for every model, so it is the
    common yardstick next to attention weights or n-gram contributions. Also returns every
    class's probability for the headline ("probs") and without each character ("without"),
    which the flip search would otherwise score again.
    """
    chars = _characters(predictor, text)
    variants = ["".join(chars)] + ["".join(chars[:t] + chars[t + 1 :]) or " " for t in range(len(chars))]
    probs = predictor.predict_proba(variants)
    c = int(probs[0].argmax()) if class_index is None else class_index
    return {
        "chars": chars,
        "class_index": c,
        "probability": float(probs[0, c]),
        "drop": probs[0, c] - probs[1:, c],
        "probs": probs[0],
        "without": probs[1:],
    }
