"""On-disk cache for what is computed once per checkpoint (unit index, test-set map,
agreement of attributions): `cached(name, predictor, data, build)`.

An entry is filed under the sha256 of the checkpoint bytes the predictor was loaded from
(Predictor.sha256) and of the data file it was computed over. A checkpoint rewritten at
the same path, whatever its size and time, is another predictor with another key: it
never reads an entry computed by the old weights, and a predictor still holding the old
weights never files its results under the new file's key. Entries are plain .npz arrays
written atomically and read with allow_pickle=False, or JSON.

    .cache/headline-lens/<name>-<checkpoint sha256[:16]>-<data file sha256[:8]>.npz

Shipped entries. checkpoints/shipped-cache/ (SHIPPED_DIR) holds the same entries, under the
same file names, for the shipped networks over the published test split (data/demo/test.txt,
byte for byte the full dataset's test.txt), so that a fresh clone draws the map, the
agreement and the unit list at once. It is read-only at serving time: `cached()` looks in the
cache directory, then there, and only then computes (into the cache directory). A shipped
entry is used only when its manifest (SHIPPED_DIR/manifest.json) records, for that file
name, the full sha256 of the checkpoint the predictor was loaded from, of the data file, and
of the entry file itself; a file that disagrees is passed over with a warning and computed
instead. The entries are built in float32 on the CPU (the manifest's "precision" and
"device" say so), whatever the app serves in. Rebuild them after retraining a shipped
checkpoint (tests/test_shipped_cache.py fails until then):

    python -m cls_core.explain.shipped
"""

import json
import os
import warnings
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import numpy as np

from cls_core.data import sha256_file
from cls_core.models.checkpoint import atomic_write, atomic_write_text

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_DIR = ROOT / "checkpoints" / "shipped-cache"  # None: read no shipped entries
MANIFEST = "manifest.json"
SHIP_COMMAND = "python -m cls_core.explain.shipped"


def cache_dir():
    """$HEADLINE_LENS_CACHE, else .cache/headline-lens in the repository."""
    return Path(os.environ.get("HEADLINE_LENS_CACHE") or ROOT / ".cache" / "headline-lens")


def file_name(name, checkpoint_sha256, data_sha256=None, suffix=".npz"):
    """The file name of an entry: <name>-<checkpoint sha256[:16]>[-<data sha256[:8]>]<suffix>."""
    return f"{name}-{checkpoint_sha256[:16]}" + (f"-{data_sha256[:8]}" if data_sha256 else "") + suffix


def _checkpoint_sha256(predictor):
    if predictor.sha256 is None:
        raise ValueError(f"{predictor.name} was not loaded from a checkpoint file: it has nothing to cache under")
    return predictor.sha256


def entry_path(name, predictor, data=None, suffix=".npz"):
    """Where the entry `name` of a predictor's checkpoint (computed over the data file `data`) lies."""
    sha = _checkpoint_sha256(predictor)
    return cache_dir() / file_name(name, sha, sha256_file(data) if data else None, suffix)


def cached(name, predictor, data, build, suffix=".npz", precision=None):
    """The entry `name` of the predictor's checkpoint over the data file `data` (None for
    none): read from the cache, else from the shipped entries, else build() is computed,
    written and read back, so that a fresh entry and a kept one look alike. build returns
    {name: array} for ".npz", a JSON-ready value for ".json".

    A predictor serving in bf16 builds in bf16, and files what it builds under a name of its
    own ("<name>-bf16"), so that no fp32 entry, the shipped ones above all, ever holds bf16
    results; it reads an fp32 entry where there is one (the float32 figures are the reference).
    `precision` says what build() computes in when that is not the predictor's own."""
    checkpoint_sha256, data_sha256 = _checkpoint_sha256(predictor), sha256_file(data) if data else None
    load, save = (load_json, save_json) if suffix == ".json" else (load_arrays, save_arrays)
    fp32 = cache_dir() / file_name(name, checkpoint_sha256, data_sha256, suffix)
    path = (
        fp32.with_name(file_name(f"{name}-bf16", checkpoint_sha256, data_sha256, suffix))
        if (precision or getattr(predictor, "precision", "fp32")) == "bf16"
        else fp32
    )
    for kept in dict.fromkeys([path, fp32]):
        if kept.exists():
            return load(kept)
    shipped = shipped_entry(fp32.name, checkpoint_sha256, data_sha256)
    if shipped is not None:
        return load(shipped)
    save(path, build())
    return load(path)


@contextmanager
def shipped_entries_ignored():
    """Within it, `cached()` reads no shipped entry (to time or rebuild a computation)."""
    global SHIPPED_DIR
    kept, SHIPPED_DIR = SHIPPED_DIR, None
    try:
        yield
    finally:
        SHIPPED_DIR = kept


def shipped_entry(name, checkpoint_sha256, data_sha256):
    """The path of the shipped entry file `name` if there is one and the manifest vouches for
    it (this checkpoint, this data file, these bytes); else None (with a warning when a file
    is there but does not match)."""
    if SHIPPED_DIR is None or not (Path(SHIPPED_DIR) / name).exists():
        return None
    path = Path(SHIPPED_DIR) / name
    problem = shipped_problem(path, checkpoint_sha256, data_sha256)
    if problem:
        warnings.warn(
            f"shipped cache entry {path} not used ({problem}); computing it instead. "
            f"`{SHIP_COMMAND}` rebuilds the shipped entries",
            stacklevel=3,
        )
        return None
    return path


def shipped_problem(path, checkpoint_sha256, data_sha256):
    """What is wrong with the shipped entry file at path for this checkpoint and data file
    (by its folder's manifest), or None when it may be used."""
    path = Path(path)
    if not path.exists():
        return "missing"
    record = read_manifest(path.parent).get("entries", {}).get(path.name)
    if record is None:
        return f"not in {MANIFEST}"
    if record.get("checkpoint_sha256") != checkpoint_sha256:
        return "built from another checkpoint"
    if record.get("data_sha256") != data_sha256:
        return "built over another data file"
    stat = path.stat()
    if record.get("sha256") != _file_sha256(str(path), stat.st_mtime_ns, stat.st_size):
        return "its bytes are not those the manifest records"
    return None


def read_manifest(folder):
    """The manifest of a shipped folder ({} when it has none or it is unreadable)."""
    path = Path(folder) / MANIFEST
    if not path.exists():
        return {}
    stat = path.stat()
    return _read_manifest(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4)
def _read_manifest(path, mtime_ns, size):  # mtime_ns and size tell a rewritten file from the one read
    try:
        manifest = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


@lru_cache(maxsize=32)
def _file_sha256(path, mtime_ns, size):
    return sha256_file(path)


def load_arrays(path):
    """{name: array} of an .npz entry (kept in memory while the file is unchanged), or None."""
    path = Path(path)
    return _read_arrays(str(path), path.stat().st_mtime_ns) if path.exists() else None


@lru_cache(maxsize=8)
def _read_arrays(path, mtime_ns):  # mtime_ns only tells a rewritten entry from the one in memory
    with np.load(path, allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def forget():
    """Drop the entries (and shipped manifests and fingerprints) kept in memory (the files stay)."""
    _read_arrays.cache_clear()
    _read_manifest.cache_clear()
    _file_sha256.cache_clear()


def save_arrays(path, arrays):
    def write(tmp):
        with open(tmp, "wb") as f:  # a file object, so numpy does not append ".npz" to the name
            np.savez_compressed(f, **arrays)

    atomic_write(path, write)


def load_json(path):
    return json.loads(Path(path).read_text(encoding="utf-8")) if Path(path).exists() else None


def save_json(path, value):
    atomic_write_text(path, json.dumps(value, ensure_ascii=False, indent=1))
