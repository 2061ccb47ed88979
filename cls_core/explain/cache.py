"""On-disk cache for what is computed once per checkpoint (unit index, test-set map,
agreement of attributions), keyed by the checkpoint's fingerprint.

A fingerprint is the sha256 of the checkpoint file, so a retrained checkpoint (even one
copied over with the same size and time) gets fresh entries and an old entry is never
read for it. Entries are plain .npz arrays written atomically and read with
allow_pickle=False, or JSON.

    .cache/headline-lens/<name>-<checkpoint sha256[:16]>-<data file sha256[:8]>.npz
"""

import json
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from cls_core.models.checkpoint import atomic_write, atomic_write_text
from cls_core.data import sha256_file

ROOT = Path(__file__).resolve().parents[2]


def cache_dir():
    """$HEADLINE_LENS_CACHE, else .cache/headline-lens in the repository."""
    return Path(os.environ.get("HEADLINE_LENS_CACHE") or ROOT / ".cache" / "headline-lens")


@lru_cache(maxsize=64)
def _sha256(path, size, mtime_ns):  # size and mtime only invalidate the in-process memo
    return sha256_file(path)


def fingerprint(path):
    """sha256 of a checkpoint file (hashed once per process while the file is unchanged)."""
    path = Path(path).resolve()
    stat = path.stat()
    return _sha256(str(path), stat.st_size, stat.st_mtime_ns)


def entry_path(name, checkpoint, data=None, suffix=".npz"):
    """Where the entry `name` of a checkpoint (computed over the data file `data`) lies."""
    key = fingerprint(checkpoint)[:16] + (f"-{fingerprint(data)[:8]}" if data else "")
    return cache_dir() / f"{name}-{key}{suffix}"


def load_arrays(path):
    """{name: array} of an .npz entry, or None when there is none."""
    if not Path(path).exists():
        return None
    with np.load(path, allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def save_arrays(path, arrays):
    def write(tmp):
        with open(tmp, "wb") as f:  # a file object, so numpy does not append ".npz" to the name
            np.savez_compressed(f, **arrays)
    atomic_write(path, write)


def load_json(path):
    return json.loads(Path(path).read_text(encoding="utf-8")) if Path(path).exists() else None


def save_json(path, value):
    atomic_write_text(path, json.dumps(value, ensure_ascii=False, indent=1))
