"""The classical baseline as a first-class model: TF-IDF character n-grams + a linear SVM.

Probabilities are softmax(decision values / T) with T fitted on dev, like the networks.
The file is a compressed .npz of plain arrays (n-gram list, idf, coefficients) plus JSON
metadata, read with allow_pickle=False: loading it can never run code.

Its explanation is exact: the score of class c is intercept[c] + sum over n-grams of
tfidf(n-gram) * coef[c, n-gram], so each n-gram's share of the decision is known.
"""

import io
import json
import re
from pathlib import Path

import numpy as np
from scipy.special import softmax
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from cls_core.models.calibration import fit_temperature
from cls_core.models.checkpoint import CheckpointError, atomic_write

FORMAT = "headline-lens-linear/1"
NGRAMS = (1, 2)


def _vectorizer(**kwargs):
    # The baseline from the project brief. The text is read through our preprocessor (a public
    # parameter), so that analyzed_text knows exactly what the n-grams are cut from.
    return TfidfVectorizer(
        analyzer="char", ngram_range=NGRAMS, sublinear_tf=True, dtype=np.float32, preprocessor=preprocess, **kwargs
    )


def preprocess(text):
    """What the vectorizer cuts n-grams from: analyzed_text's text."""
    return analyzed_text(text)[0]


def pipeline(C=1.0):
    """The unfitted recipe: TF-IDF character n-grams, then a linear SVM (seeded, so that the
    same data gives the same model)."""
    return make_pipeline(_vectorizer(), LinearSVC(C=C, random_state=0))


def analyzed_text(text):
    """The text as the vectorizer reads it (the preprocessor given to scikit-learn), and for
    each of its characters the index in `text` of the character it comes from: lowercased,
    each run of two or more whitespace characters folded into one space, a lone tab or
    newline kept as it is (as scikit-learn's own char analyzer folds, which then finds no run
    left to fold).
    """
    lowered = text.lower()
    origin = [i for i, ch in enumerate(text) for _ in ch.lower()]  # "İ" lowercases to two characters
    pieces = [
        (" " if len(m.group()) > 1 else m.group(), origin[m.start()])
        for m in re.finditer(r"\s\s+|.", lowered, flags=re.DOTALL)
    ]
    return "".join(ch for ch, _ in pieces), [i for _, i in pieces]


ABSENT_CLASS_SCORE = -1e4  # the intercept of a class no training text had: never the answer


def class_rows(svm, num_classes):
    """(coef [C, F], intercept [C]) with one row per class of the model, whatever the SVM saw.
    With two classes scikit-learn keeps one row, the second class's score against the first:
    the first gets its negation (the same decision, a softmax over two scores). A class absent
    from the training texts gets no weights and a score it never wins with."""
    coef, intercept = svm.coef_, svm.intercept_
    if len(svm.classes_) == 2:
        coef, intercept = np.vstack([-coef, coef]) / 2, np.concatenate([-intercept, intercept]) / 2
    rows = np.zeros((num_classes, coef.shape[1]), dtype=np.float32)
    bias = np.full(num_classes, ABSENT_CLASS_SCORE, dtype=np.float32)
    rows[svm.classes_], bias[svm.classes_] = coef, intercept
    return rows, bias


class LinearModel:
    def __init__(
        self,
        features,
        idf,
        coef,
        intercept,
        classes,
        temperature=1.0,
        metrics=None,
        normalization=None,
        unsure_threshold=None,
        extras=None,
    ):
        self.features = np.asarray(features)
        self.idf = np.asarray(idf, dtype=np.float32)
        self.coef = np.asarray(coef, dtype=np.float32)
        self.intercept = np.asarray(intercept, dtype=np.float32)
        self.classes, self.temperature, self.metrics = list(classes), float(temperature), metrics or {}
        self.normalization, self.unsure_threshold, self.extras = normalization, unsure_threshold, extras or {}
        self.vectorizer = _vectorizer(vocabulary={f: i for i, f in enumerate(self.features.tolist())})
        self.vectorizer.idf_ = self.idf

    @classmethod
    def fit(cls, texts, labels, classes, C=1.0, sample_weight=None):
        """sample_weight: per text, its weight in the SVM's loss (None: all 1)."""
        fitted = pipeline(C).fit(texts, labels, linearsvc__sample_weight=sample_weight)
        vectorizer, svm = fitted[0], fitted[1]
        features = np.array(vectorizer.get_feature_names_out(), dtype=str)
        return cls(features, vectorizer.idf_, *class_rows(svm, len(classes)), classes)

    def decision_function(self, texts):
        X = self.vectorizer.transform(texts)
        return np.asarray(X @ self.coef.T + self.intercept)

    def contributions(self, text, class_index):
        """Per n-gram and per character share of class_index's score (the intercept aside).

        Returns (ngrams, char_scores): ngrams is a list of (ngram, contribution), largest
        magnitude first; char_scores[t] spreads each n-gram's contribution evenly over the
        characters of its occurrences, so char_scores sums to the score minus the intercept.
        """
        row = self.vectorizer.transform([text])
        ngrams = [(str(self.features[j]), float(v * self.coef[class_index, j])) for j, v in zip(row.indices, row.data)]
        analyzed, origin = analyzed_text(text)
        char_scores = np.zeros(len(text))
        for ngram, value in ngrams:
            starts = [t for t in range(len(analyzed) - len(ngram) + 1) if analyzed.startswith(ngram, t)]
            for t in starts:
                for i in origin[t : t + len(ngram)]:
                    char_scores[i] += value / len(starts) / len(ngram)
        ngrams.sort(key=lambda item: -abs(item[1]))
        return ngrams, char_scores

    def parameters(self):
        return int(self.coef.size + self.intercept.size)

    def save(self, path):
        meta = {
            "format": FORMAT,
            "classes": self.classes,
            "temperature": self.temperature,
            "metrics": self.metrics,
            "ngram_range": list(NGRAMS),
            "normalization": self.normalization,
            "unsure_threshold": self.unsure_threshold,
            "extras": self.extras,
        }

        def write(tmp):
            with open(tmp, "wb") as f:  # a file object stops numpy from appending ".npz"
                np.savez_compressed(
                    f,
                    features=self.features,
                    idf=self.idf,
                    coef=self.coef,
                    intercept=self.intercept,
                    meta=np.array(json.dumps(meta)),
                )

        atomic_write(path, write)

    @classmethod
    def load(cls, path, data=None):
        """data: the file's bytes, when the caller has read them already."""
        path = Path(path)
        if data is None and not path.exists():
            raise CheckpointError(f"{path}: no such checkpoint")
        try:
            with np.load(path if data is None else io.BytesIO(data), allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in ("features", "idf", "coef", "intercept", "meta")}
            meta = json.loads(str(arrays.pop("meta")))
        except Exception as e:  # pickled payloads, truncation and foreign files all end here
            raise CheckpointError(f"{path}: not a readable linear checkpoint ({type(e).__name__}: {e})") from None
        if meta.get("format") != FORMAT:
            raise CheckpointError(f"{path}: not a headline-lens linear checkpoint")
        n = len(arrays["features"])
        if arrays["coef"].shape != (len(meta["classes"]), n) or arrays["idf"].shape != (n,):
            raise CheckpointError(f"{path}: array shapes do not match")
        return cls(
            classes=meta["classes"],
            temperature=meta["temperature"],
            metrics=meta["metrics"],
            normalization=meta.get("normalization"),
            unsure_threshold=meta.get("unsure_threshold"),
            extras=meta.get("extras"),
            **arrays,
        )


def out_of_fold_proba(texts, labels, classes, folds=5, C=1.0, seed=0):
    """Calibrated probabilities for each training text from a model that never saw it.

    A teacher's predictions on its own training data are nearly one-hot and teach a
    student nothing; k-fold predictions carry the baseline's real, held-out judgement.
    """
    folds = StratifiedKFold(folds, shuffle=True, random_state=seed)
    scores = cross_val_predict(pipeline(C), list(texts), labels, cv=folds, method="decision_function")
    if scores.shape != (len(texts), len(classes)):
        raise ValueError(f"out-of-fold scores need training headlines of all {len(classes)} classes")
    return softmax(scores / fit_temperature(scores, labels), axis=1)
