"""One-file checkpoints: written atomically, read without unpickling code.

A network checkpoint is a dict of plain types and tensors saved with torch.save and read
with torch.load(weights_only=True), which refuses anything but tensors and builtins:

    format        "headline-lens/1"
    kind          "bilstm_att" | "textcnn"
    config        the model's constructor arguments
    state_dict    weights
    encoder       TextEncoder as JSON (character and bigram vocabularies, max length)
    classes       class names, index = label
    temperature   calibration temperature fitted on dev (1.0 = uncalibrated)
    train_sha256  fingerprint of the training file
    data          (a --train-file run only) the labelled file, its splits, class counts and
                  the characters' vectors (cls_core.training.own_data; README, "Your own data")
    metrics       {"dev": {...}, "test": {...}}
    versions      library versions that wrote it
"""

import io
import os
import platform
import tempfile
from pathlib import Path

import torch

FORMAT = "headline-lens/1"
REQUIRED = ("format", "kind", "config", "state_dict", "encoder", "classes")


class CheckpointError(ValueError):
    """A file that is not a usable headline-lens checkpoint."""


def checkpoint_file_name(kind):
    """The file a model of this kind is saved in: KIND.pt, or KIND.npz for the linear model
    (cls_core.models.linear: arrays, not a torch checkpoint)."""
    return f"{kind}.npz" if kind == "linear" else f"{kind}.pt"


def atomic_write(path, write):
    """Call write(tmp_path), then rename onto path: a crash never leaves half a file, and the
    file is on disk (fsynced) when this returns."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes files private; checkpoints are for sharing
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path, text):
    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)

    atomic_write(path, write)


def library_versions():
    import numpy
    import sklearn

    return {
        "python": platform.python_version(),
        "torch": str(torch.__version__),
        "numpy": numpy.__version__,
        "scikit-learn": sklearn.__version__,
    }


def save_checkpoint(path, payload):
    payload = dict(payload, format=FORMAT, versions=library_versions())
    atomic_write(path, lambda tmp: torch.save(payload, tmp))


def checkpoint_bytes(path):
    """The bytes of a checkpoint file (a CheckpointError when there is none)."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"{path}: no such checkpoint")
    return path.read_bytes()


def load_checkpoint(path, required=REQUIRED, data=None):
    """Load and validate; every failure is a CheckpointError that names the file.
    data: the file's bytes, when the caller has read them already."""
    path = Path(path)
    if data is None:
        data = checkpoint_bytes(path)
    try:
        payload = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as e:  # truncated zip, foreign pickle, random bytes: all end here
        raise CheckpointError(
            f"{path}: not a readable checkpoint ({type(e).__name__}: "
            f"{str(e).splitlines()[0] if str(e) else 'no detail'})"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a headline-lens checkpoint (format {FORMAT} expected)")
    missing = [key for key in required if key not in payload]
    if missing:
        raise CheckpointError(f"{path}: checkpoint lacks {', '.join(missing)}")
    return payload
