"""A model as a folder to share on the Hugging Face Hub: its weights in safetensors, all else in
JSON, so that loading it can never run code.

    hub/textcnn/
        model.safetensors   the network's state_dict; the linear model's idf, coef and intercept
        config.json         what rebuilds the model and reads its answers: kind, architecture and
                            sizes, the encoder's character and bigram vocabularies (the linear
                            model: its n-grams, index = column of coef), the classes with their
                            Chinese names, temperature, unsure threshold, the normalisation record
                            (with its OpenCC version) and the metrics training recorded
        README.md           its model card (python -m cls_core.export writes the folder and the card)

    save_folder(predictor, "hub/textcnn", class_names={"sports": "体育", ...})
    Predictor.load("hub/textcnn")    # through read_folder: the same probabilities as the checkpoint

`read_folder` gives back what Predictor.load builds from a checkpoint file: a LinearModel, or a
payload shaped as a network checkpoint's (cls_core.models.checkpoint).
"""

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import safetensors.numpy
import safetensors.torch
from safetensors import SafetensorError

from cls_core.data.fetch import replace_folder
from cls_core.models.checkpoint import CheckpointError
from cls_core.models.linear import NGRAMS, LinearModel

FORMAT = "headline-lens-hub/1"
WEIGHTS, CONFIG, CARD = "model.safetensors", "config.json", "README.md"
LINEAR_ARCHITECTURE = "TfidfVectorizer(char 1-2-grams) + LinearSVC"
TRAINING_RECORDS = ("class_counts", "data")  # of a predictor's extras: what the app shows of training


def is_model_folder(path):
    """Whether path is a folder save_folder wrote (a hidden one is a folder being written)."""
    path = Path(path)
    return path.is_dir() and not path.name.startswith(".") and (path / CONFIG).is_file() and (path / WEIGHTS).is_file()


def folder_contents(predictor, class_names=None):
    """(tensors by name, config): what model.safetensors and config.json hold for a Predictor.
    class_names: {class: its Chinese name}, for the classes that have one."""
    class_names = class_names or {}
    linear = predictor.linear
    if linear is not None:
        tensors = {"idf": linear.idf, "coef": linear.coef, "intercept": linear.intercept}
        architecture = LINEAR_ARCHITECTURE
        sizes = {"ngram_range": list(NGRAMS), "features": len(linear.features), "num_classes": len(linear.classes)}
        vocabulary = {"ngrams": linear.features.tolist()}
    else:
        tensors = {name: t.detach().cpu().contiguous() for name, t in predictor.model.state_dict().items()}
        architecture, sizes = type(predictor.model).__name__, predictor.config
        vocabulary = {"encoder": json.loads(predictor.encoder.to_json())}
    config = {
        "format": FORMAT,
        "kind": predictor.kind,
        "architecture": architecture,
        "config": sizes,
        "classes": predictor.classes,
        "class_names": {c: class_names[c] for c in predictor.classes if c in class_names},
        "temperature": predictor.temperature,
        "unsure_threshold": predictor.unsure_threshold,
        "normalization": predictor.normalization,
        "metrics": predictor.metrics,
        "training": {k: predictor.extras[k] for k in TRAINING_RECORDS if k in predictor.extras},
        **vocabulary,  # the long lists last: what a person reads comes first in the file
    }
    return tensors, config


def save_folder(predictor, out, class_names=None, card=None):
    """Write predictor's model.safetensors and config.json (and card, a README.md text) into the
    folder out. They are written into a folder beside it first and renamed in whole, so that a
    crash leaves the old folder or the new one, never weights of one and a config of another."""
    out = Path(out)
    tensors, config = folder_contents(predictor, class_names)
    if predictor.linear is not None:
        weights = safetensors.numpy.save(tensors, metadata={"format": "np"})
    else:
        weights = safetensors.torch.save(tensors, metadata={"format": "pt"})
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        (staging / WEIGHTS).write_bytes(weights)
        (staging / CONFIG).write_text(json.dumps(config, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        if card is not None:
            (staging / CARD).write_text(card, encoding="utf-8")
        os.chmod(staging, 0o755)  # mkdtemp makes folders private; these are for sharing
        replace_folder(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def read_folder(folder):
    """(a LinearModel or a network checkpoint's payload, the folder's sha256) of a folder
    save_folder wrote. The sha256 is of config.json's bytes then model.safetensors', read once.
    Every failure is a CheckpointError that names the folder."""
    folder = Path(folder)
    if not (folder / CONFIG).is_file() or not (folder / WEIGHTS).is_file():
        raise CheckpointError(f"{folder}: not a model folder ({CONFIG} and {WEIGHTS} expected)")
    config_bytes, weights = (folder / CONFIG).read_bytes(), (folder / WEIGHTS).read_bytes()
    sha256 = hashlib.sha256(config_bytes)
    sha256.update(weights)
    try:
        config = json.loads(config_bytes)
    except ValueError as e:
        raise CheckpointError(f"{folder}: {CONFIG} is not JSON ({e})") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise CheckpointError(f"{folder}: not a headline-lens model folder (format {FORMAT} expected)")
    try:
        if config["kind"] == "linear":
            model = linear_model(config, safetensors.numpy.load(weights))
        else:
            model = network_payload(config, safetensors.torch.load(weights))
    except (ValueError, KeyError, TypeError, SafetensorError) as e:  # truncated weights, a key missing
        raise CheckpointError(f"{folder}: not a readable model folder ({type(e).__name__}: {e})") from None
    return model, sha256.hexdigest()


def common_fields(config):
    """The fields every kind of model keeps, as LinearModel and a checkpoint name them."""
    return {
        "classes": config["classes"],
        "temperature": config.get("temperature", 1.0),
        "metrics": config.get("metrics") or {},
        "normalization": config.get("normalization"),
        "unsure_threshold": config.get("unsure_threshold"),
    }


def linear_model(config, tensors):
    features = np.asarray(config["ngrams"])
    shape = (len(config["classes"]), len(features))
    if tensors["coef"].shape != shape or tensors["idf"].shape != shape[1:] or tensors["intercept"].shape != shape[:1]:
        raise ValueError("array shapes do not match the n-grams and classes")
    return LinearModel(
        features,
        tensors["idf"],
        tensors["coef"],
        tensors["intercept"],
        extras=config.get("training"),
        **common_fields(config),
    )


def network_payload(config, tensors):
    """A network checkpoint's payload (its encoder as JSON text, as checkpoints keep it)."""
    return {
        "kind": config["kind"],
        "config": config["config"],
        "state_dict": tensors,
        "encoder": json.dumps(config["encoder"], ensure_ascii=False),
        **common_fields(config),
        **(config.get("training") or {}),
    }
