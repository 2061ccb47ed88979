"""What the app does, without the app: load the shipped models once, clean user input, and
answer each tab's questions with plain values and plotly figures.

app.py only wires Gradio widgets to the methods of `Demo`, so everything a visitor can
trigger is testable here without a browser.
"""

import csv
import hashlib
import io
import json
import random
import tempfile
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import explain, figures
from .checkpoint import CheckpointError
from .data import DataFormatError, load_split
from .evaluate import evaluate
from .models import count_parameters
from .predict import Ensemble, Predictor, load_ensemble_threshold

MAX_CHARS = 200          # longest headline the app reads; longer input is cut, with a notice
MAX_BATCH_LINES = 5000   # headlines per uploaded file
MAX_UPLOAD_BYTES = 2_000_000

# Display name -> checkpoint file name, in the order the app lists them.
MODEL_FILES = {"BiLSTM-attention": "bilstm_att.pt", "TextCNN": "textcnn.pt", "Linear (TF-IDF + SVM)": "linear.npz"}
ENSEMBLE = "Ensemble (average of the models)"
# Figures from the reference project's README (THUCNews, 180k training headlines).
PUBLISHED = [("TextCNN (reference, 180k train)", 0.9122), ("TextRNN (reference, 180k train)", 0.9112),
             ("TextRNN_Att (reference, 180k train)", 0.9090)]


# How the page words each unsure reason (cls_core.unsure).
REASON_TEXT = {"not_chinese": "not a Chinese headline", "unknown_chars": "too many unknown characters",
               "low_confidence": "low confidence"}


def verdict_text(assessment):
    """'✓ sure' or '⚠ unsure: low confidence' for a page."""
    return f"⚠ unsure: {REASON_TEXT[assessment['reason']]}" if assessment["unsure"] else "✓ sure"


def read_as_notice(text, results):
    """'Read as: …' when some model's normalisation changed the text, else ''."""
    read = {r[2]["read_as"] for r in results.values()} - {text}
    return "Read as: " + " / ".join(sorted(read)) if read else ""


class UserError(ValueError):
    """Something the visitor can fix; the app shows its message instead of a trace."""


def clean_headline(text):
    """(headline, notice): control characters dropped, whitespace folded, cut to MAX_CHARS.

    The rest of the normalisation (script, full-width forms) is each model's own, recorded
    in its checkpoint; the page shows its result as "read as".
    """
    text = " ".join("".join(" " if ch.isspace() else ch for ch in (text or "")
                            if ch.isspace() or unicodedata.category(ch)[0] != "C").split())
    if not text:
        raise UserError("Please type a headline first (it was empty).")
    notice = ""
    if len(text) > MAX_CHARS:
        notice = f"The input had {len(text)} characters; only the first {MAX_CHARS} were read."
        text = text[:MAX_CHARS]
    return text, notice


def file_fingerprint(path):
    stat = Path(path).stat()
    return f"{Path(path).resolve()}:{stat.st_size}:{stat.st_mtime_ns}"


@dataclass
class Demo:
    models: dict                      # display name -> Predictor
    problems: list                    # what could not be loaded, in words
    data_dir: Path
    checkpoint_dir: Path
    _cache: dict = field(default_factory=dict)
    _test: object = None

    @classmethod
    def load(cls, checkpoint_dir="checkpoints", data_dir="data/THUCNews", device="auto"):
        models, problems = {}, []
        for name, filename in MODEL_FILES.items():
            try:
                models[name] = Predictor.load(Path(checkpoint_dir) / filename, device)
            except (CheckpointError, RuntimeError, OSError) as e:
                problems.append(f"{name} is unavailable: {e}")
        return cls(models, problems, Path(data_dir), Path(checkpoint_dir))

    # --- choices ------------------------------------------------------------------------
    def model_names(self, ensemble=True):
        names = list(self.models)
        return names + [ENSEMBLE] if ensemble and len(names) > 1 else names

    def predictor(self, name):
        if name == ENSEMBLE:
            return Ensemble(list(self.models.values()), load_ensemble_threshold(self.checkpoint_dir))
        if name not in self.models:
            raise UserError(f"The model {name!r} is not loaded. " + " ".join(self.problems))
        return self.models[name]

    # --- Predict tab ----------------------------------------------------------------------
    def predict(self, text, names, top_k=5):
        """For each model name: ({display class: probability} for the top_k, milliseconds,
        assessment dict with read_as, unknown_share, unsure and reason)."""
        text, notice = clean_headline(text)
        results = {}
        for name in names:
            predictor = self.predictor(name)
            start = time.perf_counter()
            probs, (assessment,) = predictor.predict_assessed([text])
            ms = (time.perf_counter() - start) * 1000
            top = np.argsort(-probs[0])[:max(1, min(int(top_k), probs.shape[1]))]
            results[name] = ({figures.display_name(predictor.classes[i]): float(probs[0, i]) for i in top}, ms,
                             assessment.as_dict())
        return text, notice, results

    def test_split(self):
        if self._test is None:
            try:
                self._test = load_split(self.data_dir, "test")
            except (FileNotFoundError, DataFormatError) as e:
                raise UserError(f"The test split is not available: {e}") from None
        return self._test

    def random_test_headline(self, seed=None):
        test = self.test_split()
        i = random.Random(seed).randrange(len(test))
        return test.texts[i], test.classes[test.labels[i]]

    def predict_file(self, path):
        """Read a .txt (one headline a line) or .csv (first column, or a 'headline' column)
        and write a CSV of predictions with every class's probability. Returns its path."""
        path = Path(path)
        if path.stat().st_size > MAX_UPLOAD_BYTES:
            raise UserError(f"The file is larger than {MAX_UPLOAD_BYTES // 1_000_000} MB.")
        try:
            content = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise UserError("The file is not UTF-8 text.") from None
        if path.suffix.lower() == ".csv":
            rows = list(csv.reader(io.StringIO(content)))
            column = 0
            if rows and "headline" in [c.strip().lower() for c in rows[0]]:
                column = [c.strip().lower() for c in rows[0]].index("headline")
                rows = rows[1:]
            lines = [r[column] if len(r) > column else "" for r in rows]
        else:
            lines = content.splitlines()
        headlines = [clean_headline(line)[0] for line in lines if line.strip()]
        if not headlines:
            raise UserError("The file holds no headlines.")
        if len(headlines) > MAX_BATCH_LINES:
            raise UserError(f"The file holds {len(headlines)} headlines; the limit is {MAX_BATCH_LINES}.")
        out = io.StringIO()
        writer = csv.writer(out)
        names = self.model_names()
        classes = next(iter(self.models.values())).classes
        writer.writerow(["headline", "read_as"] + [f"{n}: prediction" for n in names]
                        + [f"{n}: probability" for n in names] + [f"{n}: unsure" for n in names]
                        + [f"{n}: reason" for n in names] + [f"{names[-1]}: p({c})" for c in classes])
        answers = {n: self.predictor(n).predict_assessed(headlines) for n in names}
        for i, h in enumerate(headlines):
            probs = {n: answers[n][0][i] for n in names}
            verdicts = {n: answers[n][1][i] for n in names}
            writer.writerow([h, verdicts[names[-1]].read_as] + [classes[int(probs[n].argmax())] for n in names]
                            + [f"{probs[n].max():.4f}" for n in names] + [verdicts[n].unsure for n in names]
                            + [verdicts[n].reason for n in names] + [f"{p:.4f}" for p in probs[names[-1]]])
        target = Path(tempfile.mkdtemp(prefix="headline-lens-")) / "predictions.csv"
        target.write_text(out.getvalue(), encoding="utf-8")
        return target, len(headlines)

    # --- Inside tab -----------------------------------------------------------------------
    def inside(self, text, name, layer=1, direction="forward"):
        """Everything the 'Inside the model' tab draws for one headline and one model."""
        text, notice = clean_headline(text)
        predictor = self.predictor(name)
        if predictor.kind == "ensemble":
            raise UserError("Pick one model (not the ensemble) to look inside.")
        classes = predictor.classes
        occluded = explain.occlusion(predictor, text)
        c = occluded["class_index"]
        chars = occluded["chars"]
        out = {"text": text, "notice": notice, "class": classes[c], "probability": occluded["probability"],
               "occlusion": figures.highlight(chars, occluded["drop"]),
               "occlusion_plot": figures.char_bars(chars, occluded["drop"], "Occlusion: drop in p("
                                                   + figures.display_name(classes[c]) + ") without each character",
                                                   "probability drop", signed=True),
               "reading_plot": figures.reading_chart(chars, explain.reading(predictor, text), classes),
               "hidden_plot": None, "norm_plot": None, "table": [], "windows": []}
        if predictor.kind == "bilstm_att":
            inside = explain.inspect_bilstm(predictor, text)
            layer = min(max(int(layer), 1), len(inside["hidden"]))
            d = 0 if direction == "forward" or len(inside["hidden"][0]) == 1 else 1
            hidden = inside["hidden"][layer - 1][d]
            out["hidden_plot"] = figures.hidden_heatmap(chars, hidden, f"Hidden states, layer {layer}, {direction}")
            out["norm_plot"] = figures.char_bars(chars, np.linalg.norm(hidden, axis=-1),
                                                 f"Hidden-state norm per character, layer {layer}, {direction}", "norm")
            scores, signed = inside["attention"], False
            out["weights_label"] = "Attention: where the model looks"
            title, value_name = "Attention weight of each character", "attention"
        elif predictor.kind == "textcnn":
            inside = explain.inspect_textcnn(predictor, text, c)
            scores, signed = inside["char_scores"], True
            out["table"] = [[f"{w['window']}-gram", s["ngram"], s["filters"], round(s["contribution"], 4)]
                            for w in inside["windows"] for s in w["spans"][:5]]
            out["windows"] = [(f"{w['window']}-character windows", figures.highlight(chars, w["char_scores"]))
                              for w in inside["windows"]]
            out["weights_label"] = "Winning n-grams (max-pool), all windows: their push toward the predicted class"
            title, value_name = "N-gram contribution to the predicted class, per character", "logit share"
        else:
            inside = explain.inspect_linear(predictor, text, c)
            scores, signed = inside["char_scores"], True
            out["table"] = [[f"{len(g)}-gram", g, 1, round(v, 4)] for g, v in inside["ngrams"][:15]]
            out["weights_label"] = "N-gram contributions: exactly what moves the linear score"
            title, value_name = "Exact n-gram contribution (tf-idf × weight), per character", "score share"
        out["weights"] = figures.highlight(chars, scores)
        out["weights_plot"] = figures.char_bars(chars, scores, title, value_name, signed=signed)
        return out

    # --- Evaluate tab ---------------------------------------------------------------------
    def evaluate(self, name, progress=None):
        """The full test-split report for a model, cached per checkpoint file and test file."""
        test = self.test_split()
        members = list(self.models) if name == ENSEMBLE else [name]
        key = hashlib.sha256(json.dumps([file_fingerprint(self.predictor(m).path) for m in members]
                                        + [file_fingerprint(self.data_dir / "test.txt")]).encode()).hexdigest()
        if key not in self._cache:
            report = evaluate(self.predictor(name), test, progress=progress)
            report["model"] = name
            self._cache[key] = report
        return self._cache[key]

    def coverage_curves(self):
        """{model: (coverage rows, chosen threshold's row)} for every model evaluated so far."""
        return {r["model"]: (r["coverage"], r["at_threshold"]) for r in self._cache.values()}

    @staticmethod
    def per_class_rows(report):
        return [[figures.display_name(r["class"]), round(r["precision"], 4), round(r["recall"], 4),
                 round(r["f1"], 4), r["support"]] for r in report["per_class"]]

    @staticmethod
    def cell_headlines(report, classes, true_class, predicted_class, limit=200):
        """Headlines of one confusion cell, most confident first (mistakes: most confident
        mistakes first)."""
        t, p = classes.index(true_class), classes.index(predicted_class)
        rows = [r for r in report["predictions"] if r["label"] == t and r["predicted"] == p]
        rows.sort(key=lambda r: -r["probability"])
        return [[r["text"], figures.display_name(classes[r["label"]]), figures.display_name(classes[r["predicted"]]),
                 round(r["probability"], 4)] for r in rows[:limit]], len(rows)

    def disagreements(self, limit=200):
        """Test headlines on which the single models disagree, with each one's answer."""
        names = list(self.models)
        reports = [self.evaluate(n) for n in names]
        classes = self.test_split().classes
        rows = []
        for i, base in enumerate(reports[0]["predictions"]):
            answers = [r["predictions"][i]["predicted"] for r in reports]
            if len(set(answers)) > 1:
                rows.append([base["text"], figures.display_name(classes[base["label"]])]
                            + [figures.display_name(classes[a]) + (" ✓" if a == base["label"] else " ✗")
                               for a in answers])
        return names, rows[:limit], len(rows)

    def predictions_csv(self, report):
        classes = self.test_split().classes
        target = Path(tempfile.mkdtemp(prefix="headline-lens-")) / "test_predictions.csv"
        with open(target, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["headline", "true", "predicted", "probability", "correct"])
            for r in report["predictions"]:
                writer.writerow([r["text"], classes[r["label"]], classes[r["predicted"]],
                                 f"{r['probability']:.4f}", r["label"] == r["predicted"]])
        return target

    # --- Overview tab ---------------------------------------------------------------------
    def class_counts(self):
        """{split: [count per class]} for the splits present."""
        counts = {}
        for split in ("train", "dev", "test"):
            try:
                data = load_split(self.data_dir, split)
            except (FileNotFoundError, DataFormatError):
                continue
            counts[split] = np.bincount(data.labels, minlength=len(data.classes)).tolist()
        return counts

    def model_rows(self):
        """[name, kind, parameters, file size MB, test accuracy, ECE] per loaded model."""
        rows = []
        for name, p in self.models.items():
            params = p.linear.parameters() if p.linear is not None else count_parameters(p.model)
            test = p.metrics.get("test", {})
            rows.append([name, f"{params:,}", round(Path(p.path).stat().st_size / 1e6, 1),
                         test.get("accuracy"), (test.get("ece") or {}).get("after")])
        return rows

    def training_log(self, name):
        path = Path(self.predictor(name).path).with_suffix(".log.jsonl")
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
