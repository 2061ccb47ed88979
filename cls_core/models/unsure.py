"""Knowing what a model doesn't know: a verdict, with a reason, for every answer.

A classifier always names one of its ten topics, even for `<script>`, emoji or English.
`verdict` says when that answer should not be trusted, as a stable code the page words in
the visitor's language:

    not_chinese     fewer than MIN_CHINESE Chinese characters, or Chinese characters are
                    less than half of the tokens. A token is a Chinese character, a Latin
                    word or number (a run of letters/digits counts once, so that
                    "苹果发布新一代iPhone" stays a headline) or any other non-space,
                    non-punctuation symbol (an emoji, say).
    unknown_chars   more than MAX_UNKNOWN_SHARE of the characters are outside the
                    model's vocabulary: it is guessing from what is left.
    low_confidence  the calibrated top probability is below the model's threshold, fitted
                    on dev so that TARGET_COVERAGE of dev headlines are answered.

The checks run in that order; the first that applies is the reason.
"""

import re
import unicodedata

import numpy as np

MIN_CHINESE = 2
MAX_UNKNOWN_SHARE = 0.3
TARGET_COVERAGE = 0.9
REASONS = ("not_chinese", "unknown_chars", "low_confidence")

_LATIN_RUN = re.compile(r"[A-Za-z0-9]+(?:[.'’][A-Za-z0-9]+)*")


def is_chinese(ch):
    """Whether a token (a vocabulary's <UNK> too) is one Chinese character: a CJK ideograph of
    any block (extensions beyond the BMP and the compatibility ideographs included), by its
    Unicode name."""
    if len(ch) != 1:
        return False
    return unicodedata.name(ch, "").startswith(("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH")) or (
        "\u3400" <= ch <= "\u9fff"
    )


def token_counts(text):
    """(Chinese characters, all tokens) of a normalised headline; see the module docstring."""
    chinese = sum(is_chinese(ch) for ch in text)
    rest = _LATIN_RUN.sub(" ", text)
    latin = len(_LATIN_RUN.findall(text))
    symbols = sum(1 for ch in rest if not ch.isspace() and not is_chinese(ch) and unicodedata.category(ch)[0] != "P")
    return chinese, chinese + latin + symbols


def looks_chinese(text):
    chinese, tokens = token_counts(text)
    return chinese >= MIN_CHINESE and chinese * 2 >= tokens


def unknown_share(text, known):
    """Share of the non-space characters of text that are not in `known` (a set or dict)."""
    chars = [ch for ch in text if not ch.isspace()]
    return sum(ch not in known for ch in chars) / len(chars) if chars else 1.0


def verdict(text, top_probability, unknown, threshold):
    """(unsure, reason code or "") for one normalised headline and one model's answer."""
    if not looks_chinese(text):
        return True, "not_chinese"
    if unknown > MAX_UNKNOWN_SHARE:
        return True, "unknown_chars"
    if threshold is not None and top_probability < threshold:
        return True, "low_confidence"
    return False, ""


def fit_confidence_threshold(probs, target_coverage=TARGET_COVERAGE):
    """The calibrated top probability below which a model abstains, so that target_coverage
    of the given (dev) headlines are still answered."""
    return float(np.quantile(np.asarray(probs).max(axis=1), 1 - target_coverage))


def answered_at(probs, labels, threshold):
    """{"threshold", "coverage", "accuracy"} of the headlines answered at this threshold."""
    probs = np.asarray(probs)
    answered = probs.max(axis=1) >= threshold
    correct = probs.argmax(axis=1) == np.asarray(labels)
    return {
        "threshold": float(threshold),
        "coverage": float(answered.mean()),
        "accuracy": float(correct[answered].mean()) if answered.any() else None,
    }


def coverage_curve(probs, labels, points=50):
    """Accuracy of the answered headlines against the share answered, for thresholds from 0
    (answer everything) upward: [{"threshold", "coverage", "accuracy"}]."""
    confidence = np.asarray(probs).max(axis=1)
    return [answered_at(probs, labels, t) for t in np.unique(np.quantile(confidence, np.linspace(0, 0.99, points)))]
