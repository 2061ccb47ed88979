"""Test sets of other outlets: NLPCC 2017's dev split and Toutiao 2018, each cut once into a
*fit* half (for every choice: options, seeds, temperature, the unsure threshold) and a
*report* half (read once per shipped checkpoint, after everything is chosen).

    python -m cls_core.data halves          # (re)writes data/halves/*.sha256 from ../shared/data
    python -m cls_core.evaluate --checkpoint checkpoints/textcnn.pt --split toutiao-fit --split nlpcc-fit

The halves are committed as the sha256 of each line (the UTF-8 bytes of `headline<TAB>label`,
no newline), so that they stay the same whatever else changes; they were drawn once,
stratified by label, seeded (HALVES_SEED). Toutiao is never trained on in any way: it is the
outlet the models never saw. Each set keeps the lines whose label its map names (the maps in
data/sources/), each line with the classes it may rightly be: NLPCC's `finance` and Toutiao's
`news_finance` channel mean "finance or stocks" (both file stock-market news under finance).

A slice of Toutiao's report half ships in data/outlet/ (checked by sha256, like the test
split), so that the Evaluate tab shows "an outlet never trained on" on a fresh clone: set
name "outlet".
"""

import hashlib
import os
from pathlib import Path

from sklearn.model_selection import train_test_split

from cls_core.data.sources import read_label_map
from cls_core.data.splits import DataFormatError, Dataset, _decoded_lines, read_classes, resolve_data_dir, sha256_file

REPO_DATA = Path(__file__).resolve().parents[2] / "data"
HALVES_DIR = REPO_DATA / "halves"
MAPS_DIR = REPO_DATA / "sources"
HALVES_SEED = 2026

# name -> (file under the sources folder, its map in data/sources/)
SOURCES = {
    "toutiao": ("toutiao2018/dev.tsv", "toutiao2018.map"),
    "nlpcc": ("nlpcc2017/dev.tsv", "nlpcc2017.map"),
}
HALVES = ("fit", "report")
OUTLET_SETS = tuple(f"{source}-{half}" for source in SOURCES for half in HALVES)

# The slice of Toutiao's report half that ships: a stratified sample of its mapped lines (under
# 1 MB), in the source file's order, checked like the test split.
SHIPPED_OUTLET = REPO_DATA / "outlet" / "toutiao-report.tsv"
SHIPPED_OUTLET_LINES = 10_000
SHIPPED_OUTLET_SHA256 = "fc70dedf42bf544892ebe59339373138f560cdc0e72a6e8720b7c2822c129eda"


def sources_dir(data_dir=None):
    """Where the other outlets' folders lie: $CLS_SOURCES_DIR, else beside the THUCNews folder
    (../shared/data holds THUCNews/, nlpcc2017/ and toutiao2018/)."""
    return Path(os.environ.get("CLS_SOURCES_DIR") or resolve_data_dir(data_dir).parent)


def line_sha256(line):
    return hashlib.sha256(line.encode("utf-8")).hexdigest()


def read_lines(path):
    """The non-blank lines of a `headline<TAB>label` file, as written (BOM and CR removed)."""
    return [line for _, line in _decoded_lines(path) if line.strip()]


def draw_halves(lines, seed=HALVES_SEED):
    """(fit, report): the lines cut in two halves, stratified by label."""
    labels = [line.rpartition("\t")[2] for line in lines]
    fit, report = train_test_split(lines, test_size=0.5, stratify=labels, random_state=seed)
    return fit, report


def write_halves(folder=None, out=HALVES_DIR):
    """Draw each source's halves and write them as sorted lists of line sha256s."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for source, (relative, _) in SOURCES.items():
        lines = read_lines(sources_dir(folder) / relative)
        for half, part in zip(HALVES, draw_halves(lines)):
            path = out / f"{source}-{half}.sha256"
            path.write_text("".join(h + "\n" for h in sorted(line_sha256(line) for line in part)))
            written.append((path, len(part)))
    return written


def write_outlet_slice(folder=None, out=SHIPPED_OUTLET):
    """The slice of Toutiao's report half that ships: SHIPPED_OUTLET_LINES of its lines whose
    channel the map names, stratified by channel, seeded."""
    mapped = mapped_labels("toutiao")
    lines = [line for line in half_lines("toutiao-report", folder) if line.rpartition("\t")[2] in mapped]
    keep, _ = train_test_split(
        range(len(lines)),
        train_size=SHIPPED_OUTLET_LINES,
        random_state=HALVES_SEED,
        stratify=[line.rpartition("\t")[2] for line in lines],
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(lines[i] + "\n" for i in sorted(keep)), encoding="utf-8")
    return out, len(keep)


def write_own_labels(out, folder=None):
    """NLPCC alone, in its own labels: the train lines and the fit half of NLPCC dev whose label
    its map names, as `headline<TAB>label` files for --train-file and --dev-file. What a model
    that learns NLPCC and nothing else reaches on them is the ceiling NLPCC's labels allow (the
    README's "NLPCC alone" rows). Returns [(path, lines)]."""
    labels = mapped_labels("nlpcc")
    fit = half_lines("nlpcc-fit", folder)  # first: it says where the sources are looked for when they are not
    parts = {
        "train.tsv": read_lines(sources_dir(folder) / Path(SOURCES["nlpcc"][0]).with_name("train.tsv")),
        "fit.tsv": fit,
    }
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, lines in parts.items():
        kept = [line for line in lines if line.rpartition("\t")[2] in labels]
        (out / name).write_text("".join(line + "\n" for line in kept), encoding="utf-8")
        written.append((out / name, len(kept)))
    return written


def half_hashes(name):
    path = HALVES_DIR / f"{name}.sha256"
    return set(path.read_text().split())


def mapped_labels(source):
    """The labels of a source that its map names."""
    return set(read_label_map(MAPS_DIR / SOURCES[source][1], read_classes(REPO_DATA / "demo" / "class.txt")))


def half_lines(name, data_dir=None):
    """The lines of one committed half ('toutiao-fit', 'nlpcc-report'…), as written in the
    source file; DataFormatError when the file lacks some of them."""
    source, _, half = name.partition("-")
    if source not in SOURCES or half not in HALVES:
        raise ValueError(f"unknown test set {name!r}: one of {', '.join(OUTLET_SETS + ('outlet',))}")
    path = sources_dir(data_dir) / SOURCES[source][0]
    if not path.exists():
        raise FileNotFoundError(
            f"{path} not found: the other outlets lie in ../shared/data beside the repository (or set $CLS_SOURCES_DIR)"
        )
    wanted = half_hashes(name)
    lines = [line for line in read_lines(path) if line_sha256(line) in wanted]
    if len(lines) != len(wanted):
        raise DataFormatError(
            f"{path}: {len(wanted) - len(lines)} lines of the committed half {name} are missing "
            f"(is this the file its README's sha256 names?)"
        )
    return lines


def mapped_dataset(lines, map_path, classes, where):
    """A Dataset of the lines whose label the map names, each with its set of classes."""
    mapping = read_label_map(map_path, classes)
    texts, sets = [], []
    for line in lines:
        text, tab, label = line.rpartition("\t")
        if not tab or not text.strip():
            raise DataFormatError(f"{where}: expected 'headline<TAB>label', found {line[:40]!r}")
        if label.strip() in mapping:
            texts.append(text.strip())
            sets.append(mapping[label.strip()])
    return Dataset(texts, [s[0] for s in sets], list(classes), label_sets=sets)


def load_outlet_set(name, classes, data_dir=None):
    """The Dataset of one set: 'toutiao-fit', 'toutiao-report', 'nlpcc-fit', 'nlpcc-report'
    (from the sources folder) or 'outlet' (the slice that ships)."""
    if name == "outlet":
        return mapped_dataset(
            read_lines(verified_outlet_slice()), MAPS_DIR / SOURCES["toutiao"][1], classes, SHIPPED_OUTLET
        )
    lines = half_lines(name, data_dir)  # an unknown name stops here
    relative, map_name = SOURCES[name.partition("-")[0]]
    return mapped_dataset(lines, MAPS_DIR / map_name, classes, sources_dir(data_dir) / relative)


def verified_outlet_slice():
    if not SHIPPED_OUTLET.exists():
        raise FileNotFoundError(f"{SHIPPED_OUTLET} is missing from this copy of the repository")
    if sha256_file(SHIPPED_OUTLET) != SHIPPED_OUTLET_SHA256:
        raise DataFormatError(f"{SHIPPED_OUTLET} differs from the slice that was shipped (sha256 mismatch)")
    return SHIPPED_OUTLET
