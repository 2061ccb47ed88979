"""What the app does, without the app: load the shipped models once, clean user input, and
answer each tab's questions with plain values, tables and plotly figures, worded in the
visitor's language (cls_core.app.i18n).

app.py only wires Gradio widgets to the methods of `Demo`, so everything a visitor can
trigger is testable here without a browser.

The demo needs no dataset: the test split and class list ship in data/demo/ (verified by
sha256 when read), and the Overview's train/dev counts and loss curves come from what the
checkpoints recorded. A test.txt in the data directory (--data-dir, $CLS_DATA_DIR) wins.
"""

import atexit
import csv
import hashlib
import html
import io
import json
import random
import shutil
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cls_core.explain import attribution, inspection
from cls_core.app import deep, figures
from cls_core.models.checkpoint import CheckpointError
from cls_core.data import DataFormatError, load_split
from cls_core.evaluation.evaluate import evaluate
from cls_core.app.deep_figures import agreement_chart, deep_text
from .i18n import LANGUAGES, class_name, text
from cls_core.models.networks import count_parameters
from cls_core.data.normalize import drop_invisible
from cls_core.models.predictor import SHIPPED_MODELS as MODEL_FILES, Predictor, ensemble_record, load_ensemble

MAX_CHARS = 200          # longest headline the app reads; longer input is cut, with a notice
MAX_BATCH_LINES = 5000   # headlines per uploaded file
MAX_UPLOAD_BYTES = 2_000_000

ENSEMBLE = "Ensemble (average of the models)"
NAME_KEYS = {"Linear (TF-IDF + SVM)": "model_linear", ENSEMBLE: "model_ensemble"}  # names the page translates
# Figures from the reference project's README (THUCNews, 180k training headlines).
PUBLISHED = [("TextCNN", 0.9122), ("TextRNN", 0.9112), ("TextRNN_Att", 0.9090)]

# What the demo itself needs ships with the repository, checked against the published split.
DEMO_DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "demo"
DEMO_FILES = {"class.txt": "005e8813ad639c219e5902dc84889202b4a717b4238497d26c3fbd5e43927a86",
              "test.txt": "ebecc8c896635ad69730083ca7b81d37c42c9a5779bc05c9d2479d894e34f026"}

UNIFORM_ATTENTION = 2.0  # attention is "nearly uniform" when no character gets twice the even share
CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run such a cell
MARKDOWN_SPECIAL = set("\\`*_{}[]()#+-.!|~")
TABS = ("predict", "inside", "map", "evaluate", "experiments", "overview")  # the page's tabs, as links name them


class UserError(ValueError):
    """Something the visitor can fix. `key` names the message in cls_core.app.i18n; str() is
    the English text (the API's)."""

    def __init__(self, key, **fields):
        self.key, self.fields = key, fields
        super().__init__(text(key, "en", **fields))

    def text(self, lang):
        return text(self.key, lang, **self.fields)


def model_label(name, lang="en"):
    """How the page names a model (the API always uses the English name)."""
    return text(NAME_KEYS[name], lang) if name in NAME_KEYS else name


def verdict_text(assessment, lang="en"):
    """'✓ sure' or '⚠ unsure: low confidence' in the page's language."""
    if not assessment["unsure"]:
        return text("sure", lang)
    return text("unsure", lang, reason=text(f"reason_{assessment['reason']}", lang))


def markdown_literal(s):
    """s shown as typed inside Markdown: no tag, link or emphasis can come of it."""
    return "".join("\\" + ch if ch in MARKDOWN_SPECIAL else ch for ch in html.escape(s, quote=False))


def read_as_notice(headline, results, lang="en"):
    """'Read as: …' (Markdown) when some model's normalisation changed the text, else ''."""
    read = {r[2]["read_as"] for r in results.values()} - {headline}
    return text("read_as", lang, text=" / ".join(markdown_literal(r) for r in sorted(read))) if read else ""


def clean_headline(headline, lang="en"):
    """(headline, notice): control characters dropped, whitespace folded, cut to MAX_CHARS.

    The rest of the normalisation (script, full-width forms) is each model's own, recorded
    in its checkpoint; the page shows its result as "read as".
    """
    headline = drop_invisible(headline)
    if not headline:
        raise UserError("error_empty")
    notice = ""
    if len(headline) > MAX_CHARS:
        notice = text("cut_notice", lang, n=len(headline), max=MAX_CHARS)
        headline = headline[:MAX_CHARS]
    return headline, notice


def csv_safe(cell):
    """A cell a spreadsheet shows as text: one starting with = + - @ (a formula) gets a ' first."""
    return "'" + cell if isinstance(cell, str) and cell.startswith(CSV_FORMULA_STARTS) else cell


def file_fingerprint(path):
    stat = Path(path).stat()
    return f"{Path(path).resolve()}:{stat.st_size}:{stat.st_mtime_ns}"


def verified_demo_dir(folder=DEMO_DATA_DIR):
    """The shipped test split's folder, once each file matches its sha256."""
    for name, digest in DEMO_FILES.items():
        path = Path(folder) / name
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing from this copy of the repository")
        with open(path, "rb") as f:
            if hashlib.file_digest(f, "sha256").hexdigest() != digest:
                raise DataFormatError(f"{path} differs from the published test split (sha256 mismatch)")
    return Path(folder)


def test_split_dir(data_dir):
    """Where the test split is read from: data_dir if it holds a test.txt, else data/demo/."""
    return Path(data_dir) if (Path(data_dir) / "test.txt").exists() else verified_demo_dir()


def smoothed(values, window=None):
    """Trailing mean over `window` values (default: 1 % of them, at least 1)."""
    values = np.asarray(values, dtype=float)
    window = window or max(1, len(values) // 100)
    sums = np.cumsum(np.insert(values, 0, 0.0))
    counts = np.minimum(np.arange(1, len(values) + 1), window)
    return (sums[1:] - sums[np.maximum(np.arange(1, len(values) + 1) - window, 0)]) / counts


class Gate:
    """At most `running` calls at once and `waiting` more in line for one kind of work;
    anything beyond that is refused at once rather than queued for minutes."""

    def __init__(self, running, waiting):
        self.capacity = running + waiting
        self._slots = threading.BoundedSemaphore(running)
        self._lock = threading.Lock()
        self._inside = 0

    @contextmanager
    def __call__(self):
        with self._lock:
            if self._inside >= self.capacity:
                raise UserError("error_busy")
            self._inside += 1
        try:
            with self._slots:
                yield
        finally:
            with self._lock:
                self._inside -= 1


class Downloads:
    """Files written for visitors to download, in one folder of our own: each write first
    removes files older than max_age seconds, and the folder goes when the process exits."""

    def __init__(self, max_age=3600):
        self.max_age = max_age
        self.folder = Path(tempfile.mkdtemp(prefix="headline-lens-"))
        atexit.register(shutil.rmtree, self.folder, True)

    def new_path(self, name):
        now = time.time()
        for old in self.folder.iterdir():
            if now - old.stat().st_mtime > self.max_age:
                shutil.rmtree(old, ignore_errors=True)
        return Path(tempfile.mkdtemp(dir=self.folder)) / name


@dataclass
class Demo:
    models: dict                      # display name -> Predictor
    problems: list                    # what could not be loaded, in words
    data_dir: Path
    checkpoint_dir: Path
    unavailable: dict = field(default_factory=dict)  # display name -> why it did not load
    inspect_gate: Gate = field(default_factory=lambda: Gate(running=2, waiting=6))
    evaluate_gate: Gate = field(default_factory=lambda: Gate(running=1, waiting=3))
    downloads: Downloads = field(default_factory=Downloads)
    _cache: dict = field(default_factory=dict)
    _test: object = None
    _model_locks: dict = field(default_factory=dict)
    _evaluating: dict = field(default_factory=dict)
    _evaluating_lock: threading.Lock = field(default_factory=threading.Lock)
    # integrated gradients beside the rest of a look inside: one thread per look the inspect gate lets run
    _attributing: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=2, thread_name_prefix="integrated-gradients"))

    @classmethod
    def load(cls, checkpoint_dir="checkpoints", data_dir="data/THUCNews", device="auto"):
        models, unavailable = {}, {}
        for name, filename in MODEL_FILES.items():
            try:
                models[name] = Predictor.load(Path(checkpoint_dir) / filename, device)
            except (CheckpointError, RuntimeError, OSError) as e:
                unavailable[name] = str(e)
        problems = [text("model_unavailable", "en", name=n, error=e) for n, e in unavailable.items()]
        return cls(models, problems, Path(data_dir), Path(checkpoint_dir), unavailable)

    def problem_lines(self, lang="en"):
        return [text("model_unavailable", lang, name=n, error=e) for n, e in self.unavailable.items()]

    # --- choices ------------------------------------------------------------------------
    def model_names(self, ensemble=True):
        names = list(self.models)
        return names + [ENSEMBLE] if ensemble and len(names) > 1 else names

    def model_choices(self, lang="en", ensemble=True, networks=False):
        """[(label in lang, name)] for a picker (networks: only the neural networks)."""
        names = self.network_names() if networks else self.model_names(ensemble)
        return [(model_label(n, lang), n) for n in names]

    def network_names(self):
        """The neural networks (not the linear model): what has a representation to map."""
        return [n for n, p in self.models.items() if p.encoder is not None]

    @property
    def classes(self):
        return next(iter(self.models.values())).classes if self.models else []

    def predictor(self, name):
        if name == ENSEMBLE:
            return load_ensemble(list(self.models.values()), self.checkpoint_dir)
        if name not in self.models:
            raise UserError("error_not_loaded", name=repr(name))
        return self.models[name]

    def using(self, name):
        """The lock of one model's network: the flip search, and integrated gradients (Captum)
        on the network's copy, put hooks on an embedding while they run, so no other request
        may run the network or its copy (inspection, units, the map) meanwhile. Prediction
        takes the fast path, which the hooks do not touch, and needs no lock."""
        return self._model_locks.setdefault(name, threading.RLock())

    def window_count(self):
        """How many window sizes the convolutional models have (0 without one)."""
        return max((len(p.config.get("windows", [])) for p in self.models.values()), default=0)

    def rnn_shape(self, name):
        """(layers, directions) of a recurrent model, None for the others (no such controls)."""
        predictor = self.models.get(name)
        if predictor is None or predictor.kind != "bilstm_att":
            return None
        return int(predictor.config.get("layers", 1)), 2 if predictor.config.get("bidirectional", True) else 1

    # --- Predict tab ----------------------------------------------------------------------
    def predict(self, headline, names, top_k=5, lang="en"):
        """For each model name: ({class as the page names it: probability} for the top_k,
        milliseconds, assessment dict with read_as, unknown_share, unsure and reason)."""
        if not names:
            raise UserError("error_choose_model")
        headline, notice = clean_headline(headline, lang)
        results = {}
        for name in names:
            predictor = self.predictor(name)
            start = time.perf_counter()
            probs, (assessment,) = predictor.predict_assessed([headline])
            ms = (time.perf_counter() - start) * 1000
            top = np.argsort(-probs[0])[:max(1, min(int(top_k), probs.shape[1]))]
            results[name] = ({class_name(predictor.classes[i], lang): float(probs[0, i]) for i in top}, ms,
                             assessment.as_dict())
        return headline, notice, results

    @staticmethod
    def answer_panels(headline, notice, results, lang="en"):
        """(note markdown, [(panel label, top classes)]): each model's answer with its verdict."""
        notes = [text("note", lang, text=n) for n in (notice, read_as_notice(headline, results, lang)) if n]
        panels = [(text("panel_label", lang, model=model_label(name, lang), verdict=verdict_text(verdict, lang),
                         ms=ms), top) for name, (top, ms, verdict) in results.items()]
        return "  \n".join(notes), panels

    @staticmethod
    def truth_line(true_class, results, lang="en"):
        """'True label: 体育 — TextCNN: ✓ right; …' for a test headline's answers."""
        truth = class_name(true_class, lang)
        verdicts = [text("right", lang, model=model_label(name, lang)) if next(iter(top)) == truth else
                    text("wrong", lang, model=model_label(name, lang), guess=next(iter(top)))
                    for name, (top, _, _) in results.items()]
        return text("true_label", lang, truth=truth, verdicts="; ".join(verdicts))

    def api_predict(self, headline, model, top_k=5):
        """The /predict API's answer (English class names, stable reason codes)."""
        headline, notice, results = self.predict(headline, [model], top_k)
        top, ms, verdict = results[model]
        return {"headline": headline, "notice": notice, "model": model, "top": top, "milliseconds": ms,
                "read_as": verdict["read_as"], "unsure": verdict["unsure"], "reason": verdict["reason"],
                "unknown_share": verdict["unknown_share"]}

    def test_split(self):
        if self._test is None:
            try:
                self._test = load_split(test_split_dir(self.data_dir), "test")
            except (FileNotFoundError, DataFormatError) as e:
                raise UserError("error_no_test_split", error=str(e)) from None
        return self._test

    def random_test_headline(self, seed=None):
        test = self.test_split()
        i = random.Random(seed).randrange(len(test))
        return test.texts[i], test.classes[test.labels[i]]

    def predict_file(self, path):
        """Read a .txt (one headline a line) or .csv (first column, or a 'headline' column)
        and write a CSV of predictions with every class's probability. Returns (its path,
        headlines predicted, empty lines skipped)."""
        path = Path(path)
        if path.stat().st_size > MAX_UPLOAD_BYTES:
            raise UserError("error_file_size", mb=MAX_UPLOAD_BYTES // 1_000_000)
        try:
            content = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise UserError("error_not_utf8") from None
        if path.suffix.lower() == ".csv":
            rows = list(csv.reader(io.StringIO(content)))
            column = 0
            if rows and "headline" in [c.strip().lower() for c in rows[0]]:
                column = [c.strip().lower() for c in rows[0]].index("headline")
                rows = rows[1:]
            lines = [r[column] if len(r) > column else "" for r in rows]
        else:
            lines = content.splitlines()
        cleaned = [drop_invisible(line) for line in lines]  # a zero-width space alone is an empty line
        headlines = [clean_headline(line)[0] for line in cleaned if line]
        skipped = len(lines) - len(headlines)
        if not headlines:
            raise UserError("error_no_headlines")
        if len(headlines) > MAX_BATCH_LINES:
            raise UserError("error_too_many", n=len(headlines), limit=MAX_BATCH_LINES)
        names = self.model_names()
        classes = self.classes
        target = self.downloads.new_path("predictions.csv")
        with open(target, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["headline", "read_as"] + [f"{n}: prediction" for n in names]
                            + [f"{n}: probability" for n in names] + [f"{n}: unsure" for n in names]
                            + [f"{n}: reason" for n in names] + [f"{names[-1]}: p({c})" for c in classes])
            answers = {n: self.predictor(n).predict_assessed(headlines) for n in names}
            for i, h in enumerate(headlines):
                probs = {n: answers[n][0][i] for n in names}
                verdicts = {n: answers[n][1][i] for n in names}
                writer.writerow([csv_safe(h), csv_safe(verdicts[names[-1]].read_as)]
                                + [classes[int(probs[n].argmax())] for n in names]
                                + [f"{probs[n].max():.4f}" for n in names] + [verdicts[n].unsure for n in names]
                                + [verdicts[n].reason for n in names] + [f"{p:.4f}" for p in probs[names[-1]]])
        return target, len(headlines), skipped

    # --- Inside tab -----------------------------------------------------------------------
    def inside(self, headline, name, layer=1, direction="forward", lang="en"):
        """Everything the 'Inside the model' tab draws for one headline and one model."""
        with self.using(name):
            return self._inside(headline, name, layer, direction, lang)

    def _inside(self, headline, name, layer, direction, lang):
        headline, notice = clean_headline(headline, lang)
        predictor = self.predictor(name)
        if predictor.kind == "ensemble":
            raise UserError("error_pick_one")
        classes = predictor.classes
        occluded = inspection.occlusion(predictor, headline)
        c = occluded["class_index"]
        chars = occluded["chars"]
        shown = class_name(classes[c], lang)
        out = {"text": headline, "notice": notice, "class": classes[c], "probability": occluded["probability"],
               "occlusion": figures.highlight(chars, occluded["drop"]),
               "occlusion_plot": figures.char_bars(chars, occluded["drop"], text("title_occlusion", lang, cls=shown),
                                                   text("axis_probability_drop", lang), shown, lang),
               "reading_plot": figures.reading_chart(chars, inspection.reading(predictor, headline), classes, lang),
               "hidden_plot": None, "norm_plot": None, "table": [], "table_headers": [], "windows": [],
               "attention_note": "",
               # what `deeper` would otherwise compute again (cls_core.explain.attribution.method_scores)
               "method_scores": {"chars": chars, "class_index": c, "scores": {"occlusion": occluded["drop"]},
                                 "probabilities": occluded["probs"], "deletions": occluded["without"]}}
        if predictor.kind == "bilstm_att":
            inside = inspection.inspect_bilstm(predictor, headline)
            layer = min(max(int(layer), 1), len(inside["hidden"]))
            d = 1 if direction == "backward" and len(inside["hidden"][0]) > 1 else 0
            hidden = inside["hidden"][layer - 1][d]
            where = dict(layer=layer, direction=text(("forward", "backward")[d], lang))
            out["hidden_plot"] = figures.hidden_heatmap(chars, hidden, text("title_hidden", lang, **where), lang)
            out["norm_plot"] = figures.char_bars(chars, np.linalg.norm(hidden, axis=-1),
                                                 text("title_norm", lang, **where), text("axis_norm", lang))
            attention = inside["attention"]
            out["method_scores"]["scores"]["attention"] = attention[:len(chars)]
            out["attention_note"] = attention_note(chars, attention, lang)
            out["weights"] = figures.highlight(chars, attention)
            out["weights_label"] = text("weights_attention", lang)
            out["weights_plot"] = figures.char_bars(chars, attention, text("title_attention", lang),
                                                    text("axis_attention", lang), lang=lang,
                                                    reference=1 / len(chars))
            return out
        if predictor.kind == "textcnn":
            inside = inspection.inspect_textcnn(predictor, headline, c)
            scores = inside["char_scores"]
            out["table_headers"] = [text(k, lang) for k in ("col_window", "col_ngram", "col_filters", "col_contribution")]
            out["table"] = [[text("ngram_window", lang, k=w["window"]), s["ngram"], s["filters"],
                             f"{s['contribution']:+.3f}"]
                            for w in inside["windows"] for s in w["spans"][:5] if s["ngram"].strip()]
            out["windows"] = [(text("window_label", lang, k=w["window"]), figures.highlight(chars, w["char_scores"]))
                              for w in inside["windows"]]
            out["weights_label"] = text("weights_textcnn", lang)
            title, axis = text("title_textcnn", lang), text("axis_logit_share", lang)
        else:
            inside = inspection.inspect_linear(predictor, headline, c)
            scores = inside["char_scores"]
            out["table_headers"] = [text(k, lang) for k in ("col_ngram", "col_linear_score")]
            out["table"] = [[g, f"{v:+.3f}"] for g, v in inside["ngrams"] if g.strip()][:15]
            out["weights_label"] = text("weights_linear", lang)
            title, axis = text("title_linear", lang), text("axis_score_share", lang)
        out["method_scores"]["scores"]["ngram"] = scores
        out["weights"] = figures.highlight(chars, scores)
        out["weights_plot"] = figures.char_bars(chars, scores, title, axis, shown, lang)
        return out

    def look_inside(self, headline, name, layer=1, direction="forward", lang="en"):
        """(inside, deeper) for one headline and model: everything the Inside tab shows.
        Integrated gradients, the longest part, start first, on a second thread and on the
        network's copy (attribution.attribution_model), while the rest runs here: the two
        cores share one look."""
        cleaned, _ = clean_headline(headline, lang)
        predictor = self.predictor(name)
        with self.inspect_gate(), self.using(name):
            ig = (self._attributing.submit(attribution.integrated_gradients, predictor, cleaned)
                  if name in self.network_names() else None)
            try:
                r = self._inside(headline, name, layer, direction, lang)
                return r, self.deeper(headline, name, lang, inside=r, ig=ig)
            finally:
                if ig is not None:
                    wait([ig])  # the copy is free again before the next look may start

    def inside_summary(self, r, name, lang="en"):
        lines = [text("inside_summary", lang, model=model_label(name, lang), n=len(r["text"]),
                      cls=class_name(r["class"], lang), p=r["probability"])]
        lines += [r["attention_note"]] if r["attention_note"] else []
        lines += [text("note", lang, text=r["notice"])] if r["notice"] else []
        return "  \n".join(lines)

    def api_inspect(self, headline, model):
        """/inspect: per-character weights and occlusion, and for a network integrated
        gradients (one float per character of the text as read) with Captum's convergence
        delta (in logits); both None for the linear model, whose n-gram scores are exact."""
        with self.inspect_gate(), self.using(model):
            r = self.inside(headline, model)
            predictor = self.predictor(model)
            ig = attribution.integrated_gradients(predictor, r["text"]) if model in self.network_names() else None
        return {"headline": r["text"], "class": r["class"], "probability": r["probability"],
                "weights": r["weights"], "occlusion": r["occlusion"],
                "integrated_gradients": None if ig is None else [round(float(v), 5) for v in ig["scores"]],
                "ig_delta": None if ig is None else ig["ig_delta"]}

    # --- Evaluate tab ---------------------------------------------------------------------
    def evaluate(self, name, progress=None):
        """The full test-split report for a model, cached per checkpoint file and test file."""
        test = self.test_split()
        members = list(self.models) if name == ENSEMBLE else [name]
        key = hashlib.sha256(json.dumps([file_fingerprint(self.predictor(m).path) for m in members]
                                        + [file_fingerprint(test_split_dir(self.data_dir) / "test.txt")]
                                        ).encode()).hexdigest()
        with self._evaluating_lock:
            lock = self._evaluating.setdefault(key, threading.Lock())
        with lock:  # a second request for the same report waits for the first and reuses it
            if key not in self._cache:
                with self.evaluate_gate():
                    report = evaluate(self.predictor(name), test, progress=progress)
                report["model"] = name
                self._cache[key] = report
        return self._cache[key]

    def api_evaluate(self, model):
        report = self.evaluate(model)
        return {k: report[k] for k in ("model", "headlines", "accuracy", "macro_f1", "ece", "nll", "confusion")}

    @staticmethod
    def evaluation_summary(report, lang="en"):
        return text("eval_summary", lang, model=model_label(report["model"], lang), n=report["headlines"],
                    acc=report["accuracy"], f1=report["macro_f1"], ece=report["ece"]["after"],
                    seconds=report["seconds"])

    def coverage_curves(self, lang="en"):
        """{model as the page names it: (coverage rows, chosen threshold's row)} for every
        model evaluated so far."""
        return {model_label(r["model"], lang): (r["coverage"], r["at_threshold"]) for r in self._cache.values()}

    @staticmethod
    def per_class_rows(report, lang="en"):
        return [[class_name(r["class"], lang), f"{r['precision']:.1%}", f"{r['recall']:.1%}", f"{r['f1']:.1%}",
                 r["support"]] for r in report["per_class"]]

    def confusion_table(self, report, normalize=False, lang="en"):
        """The confusion matrix as a table coloured like a heatmap (a pandas Styler): rows are
        true classes, columns predictions; counts, or each row's shares in per cent."""
        import pandas as pd
        counts = np.asarray(report["confusion"], dtype=float)
        totals = counts.sum(axis=1, keepdims=True)
        shares = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
        names = [class_name(c, lang) for c in self.classes]
        cells = [[f"{s:.0%}" for s in row] for row in shares] if normalize else counts.astype(int).tolist()
        frame = pd.DataFrame([[n] + row for n, row in zip(names, cells)],
                             columns=[text("confusion_corner", lang)] + names)
        colours = [[""] + [figures.heat_css(s) for s in row] for row in shares]
        return frame.style.apply(lambda _: pd.DataFrame(colours, columns=frame.columns), axis=None)

    def cell_headlines(self, report, true_index, predicted_index, lang="en", limit=200):
        """(rows, message) for one confusion cell: its headlines, most confident first (for
        mistakes: the most confident mistakes first)."""
        rows = [r for r in report["predictions"] if r["label"] == true_index and r["predicted"] == predicted_index]
        rows.sort(key=lambda r: -r["probability"])
        true_name, predicted_name = (class_name(self.classes[i], lang) for i in (true_index, predicted_index))
        table = [[r["text"], true_name, predicted_name, f"{r['probability']:.1%}"] for r in rows[:limit]]
        kind = text("cell_correct" if true_index == predicted_index else "cell_mistakes", lang)
        return table, text("cell_message", lang, total=len(rows), true=true_name, predicted=predicted_name, kind=kind)

    def disagreements(self, limit=200, lang="en"):
        """Test headlines on which the single models disagree, with each one's answer."""
        names = list(self.models)
        reports = [self.evaluate(n) for n in names]
        classes = self.test_split().classes
        rows = []
        for i, base in enumerate(reports[0]["predictions"]):
            answers = [r["predictions"][i]["predicted"] for r in reports]
            if len(set(answers)) > 1:
                rows.append([base["text"], class_name(classes[base["label"]], lang)]
                            + [class_name(classes[a], lang) + (" ✓" if a == base["label"] else " ✗")
                               for a in answers])
        return names, rows[:limit], len(rows)

    def predictions_csv(self, report):
        classes = self.test_split().classes
        target = self.downloads.new_path("test_predictions.csv")
        with open(target, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["headline", "true", "predicted", "probability", "correct"])
            for r in report["predictions"]:
                writer.writerow([csv_safe(r["text"]), classes[r["label"]], classes[r["predicted"]],
                                 f"{r['probability']:.4f}", r["label"] == r["predicted"]])
        return target

    # --- Overview tab ---------------------------------------------------------------------
    def class_counts(self):
        """{split: [count per class]}: train and dev as the checkpoints recorded them (else
        read from the data directory, if there), test from the test split served."""
        counts = {}
        recorded = next((p.extras["class_counts"] for p in self.models.values() if p.extras.get("class_counts")), {})
        for split in ("train", "dev"):
            if split in recorded:
                counts[split] = list(recorded[split])
            elif (self.data_dir / f"{split}.txt").exists():
                try:
                    data = load_split(self.data_dir, split)
                    counts[split] = np.bincount(data.labels, minlength=len(data.classes)).tolist()
                except DataFormatError:
                    pass
        try:
            test = self.test_split()
            counts["test"] = np.bincount(test.labels, minlength=len(test.classes)).tolist()
        except UserError:
            pass
        return counts

    def class_count_rows(self, counts, lang="en"):
        return [[class_name(c, lang)] + [counts[s][i] for s in counts] for i, c in enumerate(self.classes)]

    def model_rows(self):
        """{name, parameters, megabytes, accuracy, ece} per loaded model, then the ensemble
        (its figures from checkpoints/ensemble.metrics.json)."""
        rows = []
        for name, p in self.models.items():
            params = p.linear.parameters() if p.linear is not None else count_parameters(p.model)
            test = p.metrics.get("test", {})
            rows.append({"name": name, "parameters": params, "megabytes": Path(p.path).stat().st_size / 1e6,
                         "accuracy": test.get("accuracy"), "ece": (test.get("ece") or {}).get("after")})
        record = ensemble_record(self.checkpoint_dir, list(self.models.values()))
        if ENSEMBLE in self.model_names() and record:
            test = record.get("test", {})
            rows.append({"name": ENSEMBLE, "parameters": sum(r["parameters"] for r in rows),
                         "megabytes": sum(r["megabytes"] for r in rows), "accuracy": test.get("accuracy"),
                         "ece": (test.get("ece") or {}).get("after")})
        return rows

    @staticmethod
    def model_table(rows, lang="en"):
        def share(x):
            return f"{x:.2%}" if x is not None else "—"
        return [[model_label(r["name"], lang), f"{r['parameters']:,}", f"{r['megabytes']:.1f}", share(r["accuracy"]),
                 share(r["ece"])] for r in rows]

    @staticmethod
    def accuracy_bars(rows, lang="en"):
        """[(name, accuracy, note, ours)] for figures.accuracy_bars: the reference, then ours."""
        bars = [(text("reference_name", lang, model=m), acc, text("published_note", lang), False)
                for m, acc in PUBLISHED]
        return bars + [(model_label(r["name"], lang), r["accuracy"], text("ours_note", lang), True)
                       for r in rows if r["accuracy"]]

    def best_accuracy(self):
        return max((r["accuracy"] for r in self.model_rows() if r["accuracy"]), default=None)

    def training_log(self, name):
        path = Path(self.predictor(name).path).with_suffix(".log.jsonl")
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def training_curve(self, name, lang="en"):
        """The training curves of a network: the per-step loss its checkpoint recorded,
        smoothed (or the logged running means of older checkpoints), dev loss and accuracy
        per epoch from its log. None for a model trained in one pass (the linear one)."""
        predictor = self.predictor(name)
        log = self.training_log(name)
        epochs = [r for r in log if r["type"] == "epoch"]
        losses = predictor.extras.get("train_loss_per_step")
        if losses is not None and len(losses):
            losses = np.asarray(losses, dtype=float)
            steps = np.arange(1, len(losses) + 1)
            keep = np.unique(np.linspace(0, len(losses) - 1, min(len(losses), 800)).astype(int))
            train = (steps[keep], smoothed(losses)[keep], text("train_loss", lang))
        else:
            logged = [r for r in log if r["type"] == "step"]
            if not logged:
                return None
            train = ([r["step"] for r in logged], [r["train_loss"] for r in logged],
                     text("train_loss_running", lang))
        return figures.training_curves(train, epochs, text("title_training", lang, model=model_label(name, lang)),
                                       lang)


    # --- Look deeper (cls_core.app.deep): Inside's second half, units, the map, slices ----------
    def deeper(self, headline, name, lang="en", inside=None, ig=None):
        """Integrated gradients beside the other methods, how far they agree, the fewest
        characters that keep the answer and the smallest edit that flips it. inside: what
        `inside` returned for this headline and model (its scores are not computed again);
        ig: integrated gradients already under way (see look_inside)."""
        headline, _ = clean_headline(headline, lang)
        predictor = self.predictor(name)
        if predictor.kind == "ensemble":
            raise UserError("error_pick_one")
        with self.using(name):
            r = deep.attributions(predictor, headline, lang=lang, inside=inside, ig=ig)
        return {"methods_plot": r["methods_plot"], "agreement": agreement_text(r["agreement"], lang),
                "counterfactuals": counterfactual_text(r, predictor.classes, lang), "attributions": r}

    def has_units(self, name):
        return self.rnn_shape(name) is not None

    def unit_choices(self, name, lang="en"):
        """[(label, "layer/direction/unit")] of the BiLSTM's units, most topic-specific first;
        builds the corpus index at first use (cached on disk per checkpoint)."""
        if not self.has_units(name):
            raise UserError("error_units_bilstm")
        with self.evaluate_gate(), self.using(name):
            view = deep.units_view(self.predictor(name), test_split_dir(self.data_dir), lang=lang)
        return [(text("unit_choice", lang, layer=u["layer"], direction=text(u["direction"], lang), unit=u["unit"],
                      topic=class_name(u["topic"], lang), specificity=u["specificity"]),
                 f"{u['layer']}/{u['direction']}/{u['unit']}") for u in view["units"]]

    def unit_view(self, headline, name, unit_key, lang="en"):
        """(the unit's activation along the headline, the test contexts where it fires most)."""
        if not self.has_units(name):
            raise UserError("error_units_bilstm")
        headline, _ = clean_headline(headline, lang)
        layer, direction, unit = unit_key.split("/")
        with self.using(name):
            view = deep.units_view(self.predictor(name), test_split_dir(self.data_dir), headline, int(layer),
                                   direction, int(unit), lang=lang)
        rows = [[c["headline"], f"{c['left']}【{c['char']}】{c['right']}", f"{c['activation']:.3f}",
                 class_name(c["topic"], lang)] for c in view["contexts"]]
        return view["track_plot"], rows

    def test_map(self, name, lang="en"):
        """The map of the test split for one model (built at first use, then cached)."""
        if name not in self.network_names():
            raise UserError("error_map_network")
        predictor = self.predictor(name)
        with self.evaluate_gate(), self.using(name):
            view = deep.map_view(predictor, test_split_dir(self.data_dir), lang=lang)
        return view["figure"], text("map_summary", lang, model=model_label(name, lang), n=len(view["texts"]),
                                    seconds=view["seconds"])

    def test_headline(self, index):
        """The test split's headline number `index` (as the map and the unit contexts number them)."""
        texts = self.test_split().texts
        try:
            index = int(index)
        except (TypeError, ValueError):
            raise UserError("error_headline_number", n=len(texts) - 1) from None
        if not 0 <= index < len(texts):
            raise UserError("error_headline_number", n=len(texts) - 1)
        return texts[index]

    def slices(self, lang="en"):
        """Accuracy by headline length and by share of unknown characters, for every single
        model evaluated so far (None before the first evaluation)."""
        reports = {r["model"]: r for r in self._cache.values() if r["model"] != ENSEMBLE}
        if not reports:
            return None, None
        labels = {n: model_label(n, lang) for n in reports}  # the plots' legend, in the visitor's language
        view = deep.slices_view({labels[n]: self.predictor(n) for n in reports},
                                {labels[n]: r for n, r in reports.items()}, lang)
        return view["length_plot"], view["unknown_plot"]

    def attention_agreement(self, lang="en", progress=None, sample=attribution.SAMPLE):
        """"Does attention explain the prediction?": the methods' rank agreement over a sample
        of the test split, per network (computed once per checkpoint, then cached)."""
        networks = {n: self.models[n] for n in self.network_names()}
        summaries = {}
        for i, (name, predictor) in enumerate(networks.items()):
            if progress:
                progress(i / len(networks), model_label(name, lang))
            with self.evaluate_gate(), self.using(name):
                view = deep.agreement_view({model_label(name, lang): predictor}, test_split_dir(self.data_dir),
                                           sample=sample, lang=lang)
            summaries.update(view["summaries"])
        figure = agreement_chart(summaries, lang)
        rows = [[model, " vs ".join(deep_text(m, lang) for m in pair.split(" vs ")), f"{v['mean']:+.3f}",
                 f"{v['median']:+.3f}", v["n"]] for model, s in summaries.items() for pair, v in s["pairs"].items()]
        return figure, rows

    def experiments(self, lang="en"):
        """The tutorials' claims measured (checkpoints/experiments.json) as figures, or None."""
        view = deep.experiments_view(self.checkpoint_dir / "experiments.json", lang)
        return None if view is None else view["figures"]


def link_query(tab, headline="", models=(), lang="en"):
    """The query string of a link that opens this view: '?tab=inside&model=TextCNN&headline=…'."""
    fields = {"tab": tab, "model": ",".join(models), "headline": (headline or "")[:MAX_CHARS], "lang": lang}
    return "?" + urllib.parse.urlencode({k: v for k, v in fields.items() if v})


def read_link(params, names):
    """What a link asks for, from its query parameters (a dict), each part checked: an
    unknown tab, model or language is ignored, the headline is cut to MAX_CHARS.
    Returns {"tab", "headline", "models", "lang"} (lang None: follow the browser)."""
    tab = params.get("tab", "").lower()
    models = [m for m in params.get("model", "").split(",") if m in names]
    return {"tab": tab if tab in TABS else "predict", "headline": (params.get("headline") or "")[:MAX_CHARS],
            "models": models, "lang": params.get("lang") if params.get("lang") in LANGUAGES else None}


def attention_note(chars, attention, lang="en"):
    """In plain words, how far attention is from the even share 1/n."""
    n = len(chars)
    ratio = float(np.max(attention)) * n
    if ratio < UNIFORM_ATTENTION:
        return text("attention_uniform", lang, ratio=ratio, n=n, share=1 / n)
    return text("attention_peaked", lang, char=chars[int(np.argmax(attention))], ratio=ratio, n=n, share=1 / n)


def agreement_text(agreement, lang="en"):
    """One headline's rank agreement between attribution methods, in words."""
    pairs = ["; ".join(f"{' vs '.join(deep_text(m, lang) for m in pair.split(' vs '))} "
                       f"{'—' if np.isnan(rho) else f'{rho:+.2f}'}" for pair, rho in agreement.items())]
    return text("agreement_line", lang, pairs=pairs[0]) if agreement else ""


def counterfactual_text(r, classes, lang="en"):
    """The fewest characters that keep the answer, and the smallest edit that flips it, in words."""
    reduction, flip = r["reduction"], r["flip"]
    lines = [text("reduction_line", lang, text=markdown_literal(reduction["text"]), k=len(reduction["kept"]),
                  n=len(r["chars"]), cls=class_name(classes[reduction["class_index"]], lang),
                  p=reduction["probability"])]
    found = flip["flip"]
    if found is None:
        lines.append(text("flip_none", lang, n=flip["evaluations"]))
    else:
        edit = found["edit"]
        how = (text("edit_delete", lang, old=markdown_literal(edit["from"]), position=edit["position"] + 1)
               if edit["kind"] == "delete" else
               text("edit_replace", lang, old=markdown_literal(edit["from"]), new=markdown_literal(edit["to"]),
                    position=edit["position"] + 1))
        lines.append(text("flip_line", lang, edit=how, text=markdown_literal(found["text"]),
                          cls=class_name(classes[found["class_index"]], lang), p=found["probability"],
                          was=class_name(classes[flip["original_class_index"]], lang)))
    return "  \n".join(lines)
