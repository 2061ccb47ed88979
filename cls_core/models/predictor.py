"""Predict topics for headlines with a shipped checkpoint (or several, averaged).

from cls_core.models.predictor import Predictor
p = Predictor.load("checkpoints/textcnn.pt")   # or a folder exported for the Hub: Predictor.load("hub/textcnn")
p.predict(["国足3:0胜泰国"], top_k=3)   # [[("sports", 0.98), ("game", 0.01), ...]]

python -m cls_core.predict "国足3:0胜泰国" "央行下调存款准备金率" --checkpoint checkpoints/textcnn.pt
"""

import argparse
import hashlib
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from scipy.special import softmax

from cls_core.data import TextEncoder
from cls_core.data.normalize import normalize_many, normalizer_for
from cls_core.models.checkpoint import CheckpointError, checkpoint_bytes, load_checkpoint
from cls_core.models.fast import FastEncoder, fast_path
from cls_core.models.hub import read_folder
from cls_core.models.linear import LinearModel
from cls_core.models.networks import build_model
from cls_core.models.precision import add_precision_argument, dtype_of, resolve_precision
from cls_core.models.unsure import unknown_share, verdict

# Up to this many lengths in one call, the BiLSTM's fast path beats its packed forward
# (python -m cls_core.bench --deep: a look inside scores prefixes and deletions this way).
FAST_LENGTHS = 3


def add_device_argument(parser):
    """The --device flag every command that runs a network takes (read it with resolve_device)."""
    parser.add_argument(
        "--device",
        default="auto",
        choices=["auto", "cuda", "cpu"],
        help="auto: CUDA when PyTorch sees a GPU, else the CPU",
    )


def resolve_device(device="auto"):
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("--device cuda asked for, but PyTorch sees no CUDA device")
    return torch.device(device)


@torch.no_grad()
def network_logits(model, encoder, texts, device, batch_size=None):
    """Raw logits [N, C] for texts, in input order, from a network or its fast path
    (cls_core.models.fast), fed batches of headlines of one length each."""
    if isinstance(model, torch.nn.Module):
        model.eval()
    if not isinstance(encoder, FastEncoder):
        encoder = FastEncoder(encoder)
    out = np.zeros((len(texts), model.classifier.out_features), dtype=np.float32)
    for index, chars, bigrams in encoder.batches(texts, batch_size or getattr(model, "batch_size", 512)):
        lengths = torch.full((len(index),), chars.shape[1], device=device)
        out[index] = model(chars.to(device), bigrams.to(device), lengths).float().cpu().numpy()
    return out


@dataclass
class Assessment:
    """What every answer carries besides its probabilities (see cls_core.models.unsure)."""

    read_as: str  # the headline normalised as the model reads it
    unknown: float  # share of its characters the model never saw in training
    unsure: bool
    reason: str  # why unsure ("" when sure)

    def as_dict(self):
        return {
            "read_as": self.read_as,
            "unknown_share": round(self.unknown, 4),
            "unsure": self.unsure,
            "reason": self.reason,
        }


def assess(predictor, texts, probs):
    """One Assessment per text, given the predictor's calibrated probabilities for them."""
    out = []
    for text, p in zip(texts, probs):
        read_as = predictor.normalize(text)
        unknown = predictor.unknown_share(read_as)
        out.append(
            Assessment(read_as, unknown, *verdict(read_as, float(np.max(p)), unknown, predictor.unsure_threshold))
        )
    return out


class Predictor:
    """A calibrated classifier over headlines: one network, or the linear model.

    Every text is first normalised exactly as the model's training text was (recorded in
    the checkpoint). `scores(texts)` are the raw logits (or SVM decision values); every
    probability it gives is softmax(scores / temperature), the temperature fitted on dev.
    A network predicts through its fast path (cls_core.models.fast), built from its weights here;
    `model` stays the nn.Module for inspection. A model changed later needs a new Predictor.

    `precision` ("fp32" or "bf16", see cls_core.models.precision) is what the fast path and
    the network's batched forward compute in; the nn.Module itself keeps its float32
    weights, so that gradients (integrated gradients, training) stay float32.

    `sha256` is the fingerprint of the checkpoint bytes it was loaded from (None for one
    built in memory): what it computes once and keeps (cls_core.explain.cache) is filed
    under it, so that a checkpoint rewritten at the same path is never answered for by
    this predictor's results, nor this predictor by the new file's.
    """

    def __init__(
        self,
        kind,
        classes,
        temperature=1.0,
        metrics=None,
        path=None,
        model=None,
        encoder=None,
        device="cpu",
        linear=None,
        config=None,
        normalization=None,
        unsure_threshold=None,
        extras=None,
        sha256=None,
        precision="fp32",
    ):
        self.kind, self.classes, self.temperature = kind, list(classes), float(temperature)
        self.metrics, self.path, self.config, self.sha256 = metrics or {}, path, config or {}, sha256
        self.model, self.encoder, self.device, self.linear = model, encoder, torch.device(device), linear
        self.normalization = normalization
        self.normalize = normalizer_for(normalization, str(path or kind))
        self.unsure_threshold = unsure_threshold
        self.extras = extras or {}  # what training recorded for the app: class counts, per-step loss, own data
        self.precision = precision if model is not None else "fp64"  # the linear model: scikit-learn's float64
        self.fast = fast_path(model, encoder) if model is not None else None
        if self.fast is not None and self.precision != "fp32":
            self.fast = self.fast.to(dtype_of(self.precision))
        self.fast_encoder = FastEncoder(encoder) if encoder is not None else None
        if linear is not None:  # the linear model lowercases, and its 1-grams are its characters
            self._known = {f for f in linear.features.tolist() if len(f) == 1}
        else:
            self._known = encoder.vocab.stoi if encoder else {}

    @classmethod
    def load(cls, path, device="auto", precision="auto"):
        """A checkpoint file (.pt, or .npz for the linear model), or a folder exported for the
        Hugging Face Hub (cls_core.models.hub): the same model, the same probabilities."""
        path = Path(path)
        if path.is_dir():
            payload, sha256 = read_folder(path)
        else:
            data = checkpoint_bytes(path)  # read once: the fingerprint is of the very bytes loaded
            sha256 = hashlib.sha256(data).hexdigest()
            payload = LinearModel.load(path, data) if path.suffix == ".npz" else load_checkpoint(path, data=data)
        if isinstance(payload, LinearModel):
            return cls.from_linear(payload, path, sha256)
        return cls.from_payload(payload, path, sha256, device, precision)

    @classmethod
    def from_linear(cls, linear, path=None, sha256=None):
        """The Predictor of a LinearModel (cls_core.models.linear)."""
        return cls(
            "linear",
            linear.classes,
            linear.temperature,
            linear.metrics,
            path,
            linear=linear,
            normalization=linear.normalization,
            unsure_threshold=linear.unsure_threshold,
            extras=linear.extras,
            sha256=sha256,
        )

    @classmethod
    def from_payload(cls, payload, path=None, sha256=None, device="auto", precision="auto"):
        """The Predictor of a network checkpoint's payload (see cls_core.models.checkpoint)."""
        device = resolve_device(device)
        try:
            model = build_model(payload["kind"], payload["config"])
            model.load_state_dict(payload["state_dict"])
        except (TypeError, ValueError, RuntimeError) as e:
            raise CheckpointError(f"{path}: weights do not fit the model ({str(e).splitlines()[0]})") from None
        model.to(device).eval()
        return cls(
            payload["kind"],
            payload["classes"],
            payload.get("temperature", 1.0),
            payload.get("metrics"),
            path,
            model=model,
            encoder=TextEncoder.from_json(payload["encoder"]),
            device=device,
            config=payload["config"],
            normalization=payload.get("normalization"),
            unsure_threshold=payload.get("unsure_threshold"),
            sha256=sha256,
            extras={k: payload[k] for k in ("class_counts", "train_loss_per_step", "data") if k in payload},
            precision=resolve_precision(precision, device),
        )

    @property
    def name(self):
        return Path(self.path).stem if self.path else self.kind

    def read_as(self, text):
        """The characters the model reads: the text normalised, cut as the encoder cuts it;
        an empty text is read as one space, as the encoder reads it."""
        text = self.normalize(text)
        return (text[: self.encoder.max_len] if self.encoder else text) or " "

    def unknown_share(self, read_as):
        """Share of the (normalised) text's characters this model never saw in training."""
        return unknown_share(read_as.lower() if self.linear is not None else read_as, self._known)

    def normalize_many(self, texts):
        """[self.normalize(t) for t in texts], in one pass (see cls_core.normalize.normalize_many)."""
        if self.normalization is None:
            return [self.normalize(t) for t in texts]
        return normalize_many(texts, self.normalization.get("opencc_config"))

    def scores(self, texts):
        texts = self.normalize_many(texts)
        if self.linear is not None:
            return self.linear.decision_function(texts)
        return network_logits(self.fast or self.model, self.fast_encoder, texts, self.device)

    def scores_in_one_pass(self, texts):
        """scores(texts) for texts of many lengths (prefixes, edits of one headline) in as
        few forward passes as the network allows. `scores` runs a network's fast path once
        per length, and for the BiLSTM each pass is a Python loop over the characters, so
        30 prefixes would cost 30 passes. The TextCNN's fast path takes one padded batch (it
        masks the padding); the BiLSTM's stays fastest for a few lengths, and beyond that the
        texts go through the network's own packed forward, one padded batch. Same logits to
        float rounding (tests/test_counterfactual.py)."""
        texts = [t or " " for t in texts]
        if self.encoder is None:
            return self.scores(texts)
        chars, bigrams, lengths = self.fast_encoder.encode(self.normalize_many(texts))
        if self.kind != "textcnn" and self.fast is not None and len(np.unique(lengths)) <= FAST_LENGTHS:
            return self.scores(texts)
        filled = np.arange(lengths.max())[None, :] < lengths[:, None]
        padded_chars, padded_bigrams = np.zeros(filled.shape, dtype=np.int64), np.zeros(filled.shape, dtype=np.int64)
        padded_chars[filled], padded_bigrams[filled] = chars, bigrams
        network = self.fast if self.kind == "textcnn" and self.fast is not None else self.model.eval()
        with torch.no_grad(), self.autocast():
            logits = network(*(torch.from_numpy(a).to(self.device) for a in (padded_chars, padded_bigrams, lengths)))
        return logits.float().cpu().numpy()

    def autocast(self):
        """A context in which the nn.Module computes in this predictor's precision."""
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.precision == "bf16")

    def calibrated(self, scores):
        """Calibrated probabilities [N, C] of scores [N, C]: softmax(scores / temperature)."""
        return softmax(np.asarray(scores, dtype=np.float64) / self.temperature, axis=1)

    def probabilities(self, texts):
        """(calibrated, uncalibrated) probabilities [N, C] from one pass over the texts."""
        scores = np.asarray(self.scores(texts), dtype=np.float64)
        return softmax(scores / self.temperature, axis=1), softmax(scores, axis=1)

    def predict_proba(self, texts):
        return self.probabilities(texts)[0]

    def predict(self, texts, top_k=3):
        """For each text, the top_k (class name, probability) pairs, most likely first."""
        probs = self.predict_proba(texts)
        top = np.argsort(-probs, axis=1)[:, :top_k]
        return [[(self.classes[j], float(p[j])) for j in row] for p, row in zip(probs, top)]

    def predict_assessed(self, texts):
        """(calibrated probabilities [N, C], one Assessment per text)."""
        probs = self.predict_proba(texts)
        return probs, assess(self, texts, probs)


PARALLEL_FROM = 256  # texts from which an ensemble's members score in threads of their own


class Ensemble:
    """The average of several predictors' calibrated probabilities.

    It reads text as its first member does (every shipped member normalises alike), counts
    a character unknown as the members do on average, and abstains below its own
    threshold, fitted on dev by `python -m cls_core.evaluation.robustness`.
    """

    kind = "ensemble"

    def __init__(self, members, unsure_threshold=None):
        if len({tuple(m.classes) for m in members}) != 1:
            raise ValueError("ensemble members disagree on the class names")
        self.members, self.classes = members, members[0].classes
        self.name = "+".join(m.name for m in members)
        self.precision = "+".join(m.precision for m in members)
        self.normalize = members[0].normalize
        self.unsure_threshold = unsure_threshold

    @property
    def sha256(self):
        """Its identity: the members' checkpoint sha256s joined by '+'."""
        return "+".join(m.sha256 or "" for m in self.members)

    def unknown_share(self, read_as):
        return float(np.mean([m.unknown_share(read_as) for m in self.members]))

    def probabilities(self, texts):
        if len(texts) >= PARALLEL_FROM:
            # The members score side by side, each on a core of its own: torch releases the
            # GIL while it computes. One headline would spend longer starting the threads.
            with ThreadPoolExecutor(len(self.members)) as pool:
                pairs = list(pool.map(lambda member: member.probabilities(texts), self.members))
        else:
            pairs = [m.probabilities(texts) for m in self.members]
        return tuple(np.mean([pair[i] for pair in pairs], axis=0) for i in (0, 1))

    def predict_proba(self, texts):
        return self.probabilities(texts)[0]

    predict = Predictor.predict
    predict_assessed = Predictor.predict_assessed


ENSEMBLE_METRICS = "ensemble.metrics.json"  # beside the checkpoints: the ensemble's own figures
# The shipped models: the name the page and the API use -> checkpoint file, in the order listed.
SHIPPED_MODELS = {"BiLSTM-attention": "bilstm_att.pt", "TextCNN": "textcnn.pt", "Linear (TF-IDF + SVM)": "linear.npz"}


def shipped_path(checkpoint_dir, filename):
    """Where a shipped model lies in checkpoint_dir: its checkpoint file, else the folder that
    `python -m cls_core.export --hub checkpoint_dir` exported it into (textcnn.pt -> textcnn/)."""
    path = Path(checkpoint_dir) / filename
    folder = path.with_suffix("")
    return folder if not path.exists() and folder.is_dir() else path


def ensemble_record(checkpoint_dir, members):
    """What `python -m cls_core.evaluation.robustness --write` recorded for an ensemble (its
    unsure threshold and test figures), if it was measured on exactly these members (matched
    by checkpoint file name); else None, since a threshold fitted on three models says
    nothing about the average of two."""
    path = Path(checkpoint_dir) / ENSEMBLE_METRICS
    if not path.exists():
        return None
    record = json.loads(path.read_text(encoding="utf-8"))
    recorded = sorted(record.get("members") or [])
    return record if recorded == sorted(Path(m.path).name for m in members) else None


def load_ensemble(members, checkpoint_dir):
    """The Ensemble of these predictors, with the threshold recorded for exactly them (if any)."""
    record = ensemble_record(checkpoint_dir, members)
    return Ensemble(members, record.get("unsure_threshold") if record else None)


def load_predictor(paths, device="auto", precision="auto"):
    """One checkpoint -> its Predictor; several -> their Ensemble."""
    members = [Predictor.load(p, device, precision) for p in paths]
    if len(members) == 1:
        return members[0]
    return load_ensemble(members, Path(paths[0]).parent)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m cls_core.predict", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("headlines", nargs="+")
    parser.add_argument(
        "--checkpoint",
        action="append",
        help="checkpoint file; repeat to average several (default checkpoints/textcnn.pt)",
    )
    parser.add_argument("--top-k", type=int, default=3)
    add_device_argument(parser)
    add_precision_argument(parser)
    args = parser.parse_args(argv)
    try:
        predictor = load_predictor(args.checkpoint or ["checkpoints/textcnn.pt"], args.device, args.precision)
    except (CheckpointError, RuntimeError) as e:
        sys.exit(f"error: {e}")
    for text, top in zip(args.headlines, predictor.predict(args.headlines, args.top_k)):
        print(text)
        for label, p in top:
            print(f"  {label:<14} {p:6.1%}")


if __name__ == "__main__":
    main()
