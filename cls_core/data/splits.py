"""THUCNews splits: finding them and reading them strictly.

A split file holds one `headline<TAB>label` per line (UTF-8, label = line index in
class.txt); extra training files (corrections, your own data) name the class instead
(`headline<TAB>sports`, read_named_split). Every reader here fails loudly, naming file and line, because a silently
skipped line would quietly change every accuracy figure downstream.
"""

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

EMBEDDING_FILE = "embedding_Tencent.npz"
EMBEDDING_VOCAB_FILE = "embedding_Tencent.vocab.json"
DEFAULT_DATA_DIR = Path("data/THUCNews")
SPLITS = ("train", "dev", "test")

# The published split as it lies in ../shared (see its README): lines and sha256.
KNOWN_FILES = {
    "class.txt": (10, "005e8813ad639c219e5902dc84889202b4a717b4238497d26c3fbd5e43927a86"),
    "train.txt": (45_000, "6cb2d0a2c25c06ca51bc526cfa0a451fed2ee0382dce0b3ae5e322555eef0aa8"),
    "dev.txt": (10_000, "6ed73aa2c57ee1560c8f76570d48735c4b1c29ae4983fe3523d56e115813e175"),
    "test.txt": (10_000, "ebecc8c896635ad69730083ca7b81d37c42c9a5779bc05c9d2479d894e34f026"),
    EMBEDDING_FILE: (None, "8c3d59d109f48f119a3e04bddd7b8ac4c11245d11c57335f6be2de7ba7130b28"),
    EMBEDDING_VOCAB_FILE: (None, "2f37c734b25784152e3c2002694c8e2c21dabf2352f15d6f226eedb7c201ee85"),
}


class DataFormatError(ValueError):
    """A data file that does not follow the `headline<TAB>label` format."""


def resolve_data_dir(flag=None):
    """The data directory: the --data-dir flag, then $CLS_DATA_DIR, then data/THUCNews."""
    return Path(flag or os.environ.get("CLS_DATA_DIR") or DEFAULT_DATA_DIR)


def add_data_dir_argument(parser):
    """The --data-dir flag every command takes (read it with resolve_data_dir)."""
    parser.add_argument("--data-dir", help="default: $CLS_DATA_DIR, then data/THUCNews")


def sha256_file(path):
    """The sha256 of a file's bytes, in hex."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _decoded_lines(path):
    """Yield (line number, text) for each line, accepting a UTF-8 BOM and CRLF endings."""
    raw = Path(path).read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    for number, line in enumerate(raw.split(b"\n"), start=1):
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as e:
            raise DataFormatError(f"{path}:{number}: not valid UTF-8 ({e.reason} at byte {e.start})") from None
        yield number, text.rstrip("\r")


def read_classes(path):
    """Class names, one a line; index = label."""
    names = [text.strip() for _, text in _decoded_lines(path) if text.strip()]
    if not names:
        raise DataFormatError(f"{path}: no class names")
    if len(set(names)) != len(names):
        raise DataFormatError(f"{path}: duplicate class names")
    return names


def _read_labelled(path, what, label_of):
    """(texts, labels) of `headline<TAB>label` lines, label_of(label, where) turning each label
    into a class index (or raising DataFormatError); blank lines are skipped."""
    texts, labels = [], []
    for number, line in _decoded_lines(path):
        if not line.strip():
            continue
        text, tab, label = line.rpartition("\t")
        where = f"{path}:{number}"
        if not tab:
            raise DataFormatError(f"{where}: expected 'headline<TAB>{what}', found no tab")
        if not text.strip():
            raise DataFormatError(f"{where}: empty headline")
        labels.append(label_of(label.strip(), where))
        texts.append(text.strip())
    if not texts:
        raise DataFormatError(f"{path}: no headlines")
    return texts, labels


def read_split(path, num_classes):
    """Read `headline<TAB>label` lines. Returns (texts, labels); blank lines are skipped."""

    def label_of(label, where):
        try:
            label = int(label)
        except ValueError:
            raise DataFormatError(f"{where}: label {label!r} is not an integer") from None
        if not 0 <= label < num_classes:
            raise DataFormatError(f"{where}: label {label} is out of range 0..{num_classes - 1}")
        return label

    return _read_labelled(path, "label", label_of)


def read_named_split(path, classes):
    """Read `headline<TAB>class name` lines (the labels are names from class.txt, e.g.
    `sports`: what `python -m cls_core.feedback export` writes, and your own data). Returns
    (texts, labels as indices into classes); blank lines are skipped, any other fault stops."""
    index = {name: i for i, name in enumerate(classes)}

    def label_of(label, where):
        if label not in index:
            raise DataFormatError(f"{where}: label {label!r} is not a class of class.txt ({', '.join(classes)})")
        return index[label]

    return _read_labelled(path, "class name", label_of)


@dataclass
class SecondLabels:
    """A training split's second labelling, for a second head (cls_core.data.sources): its
    classes (a source's own labels), per line the index of its label (-1: none) and the
    weight of the second head's loss."""

    classes: list
    lines: list
    weight: float


@dataclass
class Dataset:
    """One split: texts, integer labels and the class names they index; `extra` records
    the files folded in (cls_core.data.sources: path, sha256, headlines, map, weight), none for
    a plain split. label_sets: per line, the tuple of classes it may rightly be (a source label
    such as NLPCC's finance means "finance or stocks"); labels then holds the set's first
    class (-1 and the empty set: a line for the second head alone). None: every line is its
    one label. weights: per line, its weight in the loss (None: all 1). second: the
    SecondLabels of a training split with a second head, else None."""

    texts: list
    labels: list
    classes: list
    extra: list = field(default_factory=list)
    label_sets: list | None = None
    weights: list | None = None
    second: SecondLabels | None = None

    def __len__(self):
        return len(self.texts)


def load_split(data_dir, split):
    data_dir = Path(data_dir)
    path = data_dir / f"{split}.txt"
    if not path.exists():
        raise FileNotFoundError(
            f"{path} not found. Put the THUCNews data there with "
            f"`python -m cls_core.data fetch --source ../shared/data/THUCNews` "
            f"or point --data-dir / CLS_DATA_DIR at it."
        )
    classes = read_classes(data_dir / "class.txt")
    texts, labels = read_split(path, len(classes))
    return Dataset(texts, labels, classes)


def class_counts(dataset):
    """Headlines per class, in label order."""
    return np.bincount(dataset.labels, minlength=len(dataset.classes)).tolist()


# --- the test split the demo ships ---------------------------------------------------------

DEMO_DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "demo"
DEMO_FILES = ("class.txt", "test.txt")  # the published files, checked against KNOWN_FILES


def verified_demo_dir(folder=DEMO_DATA_DIR):
    """The shipped test split's folder, once each file matches its sha256."""
    for name in DEMO_FILES:
        path, digest = Path(folder) / name, KNOWN_FILES[name][1]
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing from this copy of the repository")
        if sha256_file(path) != digest:
            raise DataFormatError(f"{path} differs from the published test split (sha256 mismatch)")
    return Path(folder)


def folder_of_test_split(data_dir):
    """Where the test split is read from: data_dir if it holds a test.txt, else data/demo/."""
    return Path(data_dir) if (Path(data_dir) / "test.txt").exists() else verified_demo_dir()
