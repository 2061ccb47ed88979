"""The records the report and the model card are written from, all shipped in checkpoints/:

    NAME.metrics.json       what training measured for each model (dev and test figures)
    ensemble.metrics.json   the ensemble's test figures and unsure threshold
    robustness.json         python -m cls_core.evaluation.robustness --write
    outlets.json            python -m cls_core.evaluation.outlets report (THUCNews test beside other outlets)
    experiments.json        python -m cls_core.training.experiments
    report-record.json      python -m cls_core.report --record (cls_core.app.report.measure)
    shipped-cache/          the attention agreement (python -m cls_core.explain.shipped)

`Records.load()` reads them, and says which of them no longer match the checkpoints (a
report-record.json measured on other checkpoint bytes or another test file). Reading them
runs no model and imports no torch.
"""

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from cls_core.data.splits import DEMO_DATA_DIR

ROOT = Path(__file__).resolve().parents[3]
CHECKPOINT_DIR = ROOT / "checkpoints"
RECORD = CHECKPOINT_DIR / "report-record.json"
RECORD_COMMAND = "python -m cls_core.report --record"
CHECKPOINT_FILES = {
    "BiLSTM-attention": "bilstm_att.pt",
    "TextCNN": "textcnn.pt",
    "Linear (TF-IDF + SVM)": "linear.npz",
}  # = models.predictor.SHIPPED_MODELS, without torch
AGREEMENT_ENTRY = "agreement-1000-ig16"  # the shipped cache's entry (cls_core.explain.attribution.entry_name)


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checkpoint_hashes(checkpoint_dir=CHECKPOINT_DIR):
    """{checkpoint file: sha256} of the shipped models."""
    return {file: file_sha256(Path(checkpoint_dir) / file) for file in CHECKPOINT_FILES.values()}


def _json(path):
    return json.loads(Path(path).read_text(encoding="utf-8")) if Path(path).exists() else None


@dataclass
class Records:
    metrics: dict  # {model name: NAME.metrics.json}, the ensemble's under its name too
    robustness: dict  # robustness.json: {"bilstm_att"|"textcnn"|"linear"|"ensemble": {...}}
    experiments: dict  # experiments.json, or None
    measured: dict  # report-record.json
    agreement: dict  # {model name: the shipped agreement summary}
    problems: list  # why a record does not match the shipped checkpoints ([] = all good)
    outlets: dict | None = None  # outlets.json: python -m cls_core.evaluation.outlets report (None without one)

    @classmethod
    def load(cls, checkpoint_dir=CHECKPOINT_DIR, data_dir=DEMO_DATA_DIR, check=True):
        """The shipped records; check: compare report-record.json with the checkpoints' and
        the test file's sha256 (0.1 s for the 50 MB of checkpoints)."""
        checkpoint_dir = Path(checkpoint_dir)
        measured = _json(checkpoint_dir / RECORD.name)
        if measured is None:
            raise FileNotFoundError(f"{checkpoint_dir / RECORD.name} is missing: run {RECORD_COMMAND}")
        ensemble = measured["models"].keys() - CHECKPOINT_FILES.keys()
        metrics = {
            name: _json(checkpoint_dir / Path(file).with_suffix(".metrics.json").name)
            for name, file in CHECKPOINT_FILES.items()
        }
        metrics.update({name: _json(checkpoint_dir / "ensemble.metrics.json") for name in ensemble})
        problems = _problems(measured, checkpoint_dir, data_dir) if check else []
        return cls(
            metrics,
            _json(checkpoint_dir / "robustness.json") or {},
            _json(checkpoint_dir / "experiments.json"),
            measured,
            _agreement(checkpoint_dir, measured),
            problems,
            _json(checkpoint_dir / "outlets.json"),
        )

    @property
    def classes(self):
        return self.measured["data"]["classes"]

    @property
    def labels(self):
        return self.measured["data"]["labels"]

    def test_accuracy(self, name):
        """A model's test accuracy as its metrics record holds it (what training measured)."""
        return self.metrics[name]["test"]["accuracy"]

    def robustness_of(self, name):
        """robustness.json's row for a model as the page names it."""
        return self.robustness.get(record_key(name))

    def outlets_of(self, name):
        """outlets.json's row for a model as the page names it (None without one)."""
        return (self.outlets or {}).get(record_key(name))


def record_key(name):
    """How robustness.json and outlets.json name a model: its checkpoint's stem, or "ensemble"."""
    return Path(CHECKPOINT_FILES[name]).stem if name in CHECKPOINT_FILES else "ensemble"


def _problems(measured, checkpoint_dir, data_dir):
    problems = []
    for file, sha in checkpoint_hashes(checkpoint_dir).items():
        if measured["checkpoints"].get(file) != sha:
            problems.append(f"{RECORD.name} was measured on another {file}: run {RECORD_COMMAND}")
    if measured["data"]["sha256"] != file_sha256(Path(data_dir) / "test.txt"):
        problems.append(f"{RECORD.name} was measured on another test.txt: run {RECORD_COMMAND}")
    return problems


def _agreement(checkpoint_dir, measured):
    """{model name: agreement summary} from the shipped cache, for the networks whose
    checkpoint the cache entry was built from (its manifest says which)."""
    folder = Path(checkpoint_dir) / "shipped-cache"
    manifest = _json(folder / "manifest.json") or {"entries": {}}
    names = {file: name for name, file in CHECKPOINT_FILES.items()}
    out = {}
    for entry, about in manifest["entries"].items():
        current = measured["checkpoints"].get(about["checkpoint"]) == about["checkpoint_sha256"]
        if about["name"] == AGREEMENT_ENTRY and current and (folder / entry).exists():
            out[names[about["checkpoint"]]] = _json(folder / entry)
    return dict(sorted(out.items(), key=lambda item: list(CHECKPOINT_FILES).index(item[0])))
