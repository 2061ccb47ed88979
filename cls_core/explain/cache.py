"""On-disk cache for what is computed once per checkpoint (unit index, test-set map,
agreement of attributions): `cached(name, predictor, data, build)`.

An entry is filed under the sha256 of the checkpoint bytes the predictor was loaded from
(Predictor.sha256) and of the data file it was computed over. A checkpoint rewritten at
the same path, whatever its size and time, is another predictor with another key: it
never reads an entry computed by the old weights, and a predictor still holding the old
weights never files its results under the new file's key. Entries are plain .npz arrays
written atomically and read with allow_pickle=False, or JSON.

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


def entry_path(name, predictor, data=None, suffix=".npz"):
    """Where the entry `name` of a predictor's checkpoint (computed over the data file `data`) lies."""
    if predictor.sha256 is None:
        raise ValueError(f"{predictor.name} was not loaded from a checkpoint file: it has nothing to cache under")
    key = predictor.sha256[:16] + (f"-{sha256_file(data)[:8]}" if data else "")
    return cache_dir() / f"{name}-{key}{suffix}"


def cached(name, predictor, data, build, suffix=".npz"):
    """The entry `name` of the predictor's checkpoint over the data file `data` (None for
    none): read from the cache, else build() is computed, written and read back, so that
    a fresh entry and a kept one look alike. build returns {name: array} for ".npz", a
    JSON-ready value for ".json"."""
    path = entry_path(name, predictor, data, suffix)
    load, save = (load_json, save_json) if suffix == ".json" else (load_arrays, save_arrays)
    if not path.exists():
        save(path, build())
    return load(path)


def load_arrays(path):
    """{name: array} of an .npz entry (kept in memory while the file is unchanged), or None."""
    path = Path(path)
    return _read_arrays(str(path), path.stat().st_mtime_ns) if path.exists() else None


@lru_cache(maxsize=8)
def _read_arrays(path, mtime_ns):  # mtime_ns only tells a rewritten entry from the one in memory
    with np.load(path, allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def forget():
    """Drop the entries kept in memory (the files stay)."""
    _read_arrays.cache_clear()


def save_arrays(path, arrays):
    def write(tmp):
        with open(tmp, "wb") as f:  # a file object, so numpy does not append ".npz" to the name
            np.savez_compressed(f, **arrays)
    atomic_write(path, write)


def load_json(path):
    return json.loads(Path(path).read_text(encoding="utf-8")) if Path(path).exists() else None


def save_json(path, value):
    atomic_write_text(path, json.dumps(value, ensure_ascii=False, indent=1))
