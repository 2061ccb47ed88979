"""The shipped cache entries (checkpoints/shipped-cache/, see cls_core.explain.cache): what
is computed once per checkpoint, built for the shipped networks over the published test split
(data/demo/test.txt) and committed beside them, so that a fresh clone serves it at once.

For each shipped network: the t-SNE map (map-tsne) and the agreement of explanations over
the SAMPLE test headlines (agreement-1000-ig16); for the BiLSTM also the hidden-unit index
(units-k20). Each is computed exactly as at serving time, on the CPU in float32, into a
scratch cache; then the files are copied in atomically, stale ones removed, and
manifest.json (every entry's checkpoint, data file and own sha256) written last.

    python -m cls_core.explain.shipped            # rebuild them (a few minutes on 2 cores)
    python -m cls_core.explain.shipped --check    # do they match the shipped checkpoints?
"""

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import torch

from cls_core.data import sha256_file
from cls_core.explain import attribution, cache, projection, units
from cls_core.models.checkpoint import atomic_write, load_checkpoint
from cls_core.models.predictor import SHIPPED_MODELS, Predictor

CHECKPOINT_DIR = cache.ROOT / "checkpoints"
DATA_DIR = cache.ROOT / "data" / "demo"
NETWORKS = [file for file in SHIPPED_MODELS.values() if file.endswith(".pt")]
PRECISION = "float32"


def computations(kind):
    """[(entry name, suffix, compute(predictor, data_dir))] of what ships for a network of this kind."""
    out = [
        (projection.entry_name("tsne"), ".npz", lambda p, d: projection.test_map(p, d, "tsne")),
        (
            attribution.entry_name(attribution.SAMPLE),
            ".json",
            lambda p, d: attribution.cached_agreement(p, d, attribution.SAMPLE),
        ),
    ]
    if kind == "bilstm_att":
        out.append((units.entry_name(units.TOP_K), ".npz", lambda p, d: units.unit_index(p, d, units.TOP_K)))
    return out


def _float32_predictor(path):
    predictor = Predictor.load(path, "cpu", precision="fp32")  # shipped entries are fp32, whatever serves them
    dtypes = {
        str(t.dtype) for t in [*predictor.model.parameters(), *predictor.model.buffers()] if t.is_floating_point()
    }
    if dtypes != {f"torch.{PRECISION}"}:
        raise ValueError(f"{path}: the shipped entries are built in {PRECISION}, the network holds {sorted(dtypes)}")
    return predictor


def build(checkpoint_dir=CHECKPOINT_DIR, data_dir=DATA_DIR, out=None, networks=NETWORKS, log=print):
    """Compute every shipped entry of `networks` (files in checkpoint_dir) over data_dir's
    test split and put them, with their manifest, in `out` (default cache.SHIPPED_DIR)."""
    out = Path(out or cache.SHIPPED_DIR)
    data = Path(data_dir) / "test.txt"
    data_sha256 = sha256_file(data)
    entries = {}
    with tempfile.TemporaryDirectory(prefix="shipped-cache-") as scratch:
        with cache.shipped_entries_ignored(), _cache_dir(scratch):
            for file in networks:
                predictor = _float32_predictor(Path(checkpoint_dir) / file)
                for name, suffix, compute in computations(predictor.kind):
                    start = time.perf_counter()
                    compute(predictor, data_dir)
                    entry = cache.file_name(name, predictor.sha256, data_sha256, suffix)
                    entries[entry] = {
                        "checkpoint": file,
                        "kind": predictor.kind,
                        "name": name,
                        "checkpoint_sha256": predictor.sha256,
                        "data": data.name,
                        "data_sha256": data_sha256,
                        "sha256": sha256_file(Path(scratch) / entry),
                        "bytes": (Path(scratch) / entry).stat().st_size,
                    }
                    log(json.dumps({"entry": entry, "seconds": round(time.perf_counter() - start, 1)}))
        out.mkdir(parents=True, exist_ok=True)
        for entry in entries:
            atomic_write(out / entry, lambda tmp, entry=entry: shutil.copyfile(Path(scratch) / entry, tmp))
    for stale in out.iterdir():
        if stale.name not in entries and stale.name != cache.MANIFEST:
            stale.unlink()
    manifest = {
        "built_by": cache.SHIP_COMMAND,
        "precision": PRECISION,
        "device": "cpu",
        "torch": str(torch.__version__),
        "entries": entries,
    }
    atomic_write(
        out / cache.MANIFEST, lambda tmp: Path(tmp).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    )
    cache.forget()
    return manifest


@contextmanager
def _cache_dir(folder):
    """$HEADLINE_LENS_CACHE pointed at folder for the time of a with block."""
    kept = os.environ.get("HEADLINE_LENS_CACHE")
    os.environ["HEADLINE_LENS_CACHE"] = str(folder)
    try:
        yield
    finally:
        if kept is None:
            os.environ.pop("HEADLINE_LENS_CACHE", None)
        else:
            os.environ["HEADLINE_LENS_CACHE"] = kept


def check(checkpoint_dir=CHECKPOINT_DIR, data_dir=DATA_DIR, folder=None, networks=NETWORKS):
    """[problem] of the shipped entries against the checkpoints as they are now: every entry
    a network should have is there, built from these bytes over this data file ([] = all good)."""
    folder = Path(folder or cache.SHIPPED_DIR)
    data_sha256 = sha256_file(Path(data_dir) / "test.txt")
    problems = []
    for file in networks:
        raw = (Path(checkpoint_dir) / file).read_bytes()
        sha, kind = hashlib.sha256(raw).hexdigest(), load_checkpoint(Path(checkpoint_dir) / file, data=raw)["kind"]
        for name, suffix, _ in computations(kind):
            entry = folder / cache.file_name(name, sha, data_sha256, suffix)
            problem = cache.shipped_problem(entry, sha, data_sha256)
            if problem:
                problems.append(f"{file} {name}: {entry.name} {problem}")
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m cls_core.explain.shipped",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--check", action="store_true", help="only check the shipped entries, build nothing")
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        print("\n".join(problems) or f"the shipped entries in {cache.SHIPPED_DIR} match the shipped checkpoints")
        sys.exit(1 if problems else 0)
    torch.manual_seed(0)
    manifest = build()
    print(
        json.dumps(
            {
                "folder": str(cache.SHIPPED_DIR),
                "entries": len(manifest["entries"]),
                "bytes": sum(e["bytes"] for e in manifest["entries"].values()),
            }
        )
    )


if __name__ == "__main__":
    main()
