"""Training on a labelled file of your own (`python -m cls_core.train --train-file FILE`): its
splits, what the checkpoint records of them, and the files a run leaves in its folder.

    own = read_own_data(args)       # every file checked and split; warnings printed; nothing written
    files = RunFiles(args.out, own) # refuses a folder that holds another file's splits
    with stopped_by_sigterm():
        files.write_splits()        # models/NAME/dev.tsv and test.tsv
        ...train...                 # on failure or a stop: files.remove_created()

The splits: with neither --dev-file nor --test-file, a stratified, seeded 80/10/10 split of the
training file; with only one of them, the other is carved from the training file (10 %); with
both, nothing is carved. The dev and test splits are written beside the checkpoint as
`text<TAB>label` files, so that the Evaluate tab finds the test split, and so that every model
trained into one folder is measured on the same lines.
"""

import signal
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from cls_core.data import DataFormatError, Dataset, class_counts, sha256_file
from cls_core.data.labelled import carve_splits, is_csv_file, labelled_lines, overlap_count, read_labelled_file
from cls_core.models.checkpoint import atomic_write_text

DEFAULT_SPLIT_SEED = 1
# Which parts are carved from the training file, by (dev file given, test file given).
CARVED_PARTS = {
    (False, False): ((0.8, 0.1, 0.1), ("train", "dev", "test")),
    (False, True): ((0.9, 0.1), ("train", "dev")),
    (True, False): ((0.9, 0.1), ("train", "test")),
    (True, True): None,
}
SPLIT_FILES = ("dev", "test")  # written beside the checkpoint as dev.tsv and test.tsv


@dataclass
class OwnData:
    """The three splits of a labelled file of one's own (raw text, as read) and the record of
    them the checkpoint keeps under "data" (see README, "Your own data")."""

    train: Dataset
    dev: Dataset
    test: Dataset
    record: dict

    @property
    def classes(self):
        return self.train.classes

    def split(self, name):
        return {"train": self.train, "dev": self.dev, "test": self.test}[name]


def file_record(path, data):
    """What the checkpoint keeps of one file read: its path, fingerprint and labelled lines."""
    return {"path": str(path), "sha256": sha256_file(path), "lines": len(data)}


def read_own_data(args):
    """The splits args name (--train-file, --dev-file, --test-file, --text-column,
    --label-column, --split-seed), every file checked; a DataFormatError names file and line.
    Warns on stderr of dev or test texts that also occur in train."""
    columns = {"text_column": args.text_column, "label_column": args.label_column}
    train = read_labelled_file(args.train_file, **columns)
    classes = train.classes
    given = {
        name: read_labelled_file(path, classes=classes, **columns)
        for name, path in (("dev", args.dev_file), ("test", args.test_file))
        if path
    }
    record = {"source": "own", "train_file": file_record(args.train_file, train)}
    for name in given:
        record[f"{name}_file"] = file_record(getattr(args, f"{name}_file"), given[name])
    carving = CARVED_PARTS["dev" in given, "test" in given]
    if carving is None:
        splits = {"train": train, **given}
        record["carved"] = None
    else:
        shares, parts = carving
        splits = dict(zip(parts, carve_splits(train, shares, args.split_seed)), **given)
        record["carved"] = {"shares": list(shares), "parts": list(parts), "seed": args.split_seed}
    for name in SPLIT_FILES:
        overlap = overlap_count(splits["train"], splits[name])
        if overlap:
            print(
                f"warning: {overlap} {name} text{'s' if overlap != 1 else ''} also occur"
                f"{'s' if overlap == 1 else ''} in train",
                file=sys.stderr,
            )
    record["splits"] = {name: len(splits[name]) for name in ("train", "dev", "test")}
    record["class_counts"] = {name: class_counts(splits[name]) for name in ("train", "dev", "test")}
    if is_csv_file(args.train_file):
        record.update(columns)
    return OwnData(splits["train"], splits["dev"], splits["test"], record)


class RunFiles:
    """The files one run writes into its output folder (the checkpoint, its side files, the
    split files), and which of them were there before, so that a failed or stopped run removes
    exactly what it wrote, and the folders too (models/NAME, models/) that it made and leaves
    empty."""

    def __init__(self, out, own, side_files):
        self.out, self.own = Path(out), own
        self.folder = self.out.parent
        self.split_paths = {name: self.folder / f"{name}.tsv" for name in SPLIT_FILES}
        paths = [self.out, *side_files, *self.split_paths.values()]
        self.created = [p for p in paths if not p.exists()]
        # the folders this run will make, deepest first
        self.made_folders = [f for f in (self.folder, *self.folder.parents) if not f.exists()]
        self.check_splits()

    def split_text(self, name):
        return labelled_lines(self.own.split(name))

    def check_splits(self):
        """Refuse a folder whose dev.tsv or test.tsv holds other lines than this run's: the
        models trained into one folder are compared on the same splits."""
        for name, path in self.split_paths.items():
            if path.exists() and path.read_bytes() != self.split_text(name).encode("utf-8"):
                raise DataFormatError(
                    f"{path} holds another {name} split than this run's: {self.folder} has models trained on "
                    f"other data (or other split options); train into a new folder, or remove {path.name}"
                )

    def write_splits(self):
        for name, path in self.split_paths.items():
            if not path.exists():
                atomic_write_text(path, self.split_text(name))

    def remove_created(self):
        for path in self.created:
            path.unlink(missing_ok=True)
        for folder in self.made_folders:
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()


class Stopped(Exception):
    """The run was asked to stop (SIGTERM), as the browser's Train tab does on Cancel."""


class stopped_by_sigterm:
    """While inside, SIGTERM raises Stopped in the main thread, so that the run unwinds as on
    Ctrl-C and its clean-up runs (the default SIGTERM ends the process at once)."""

    def __enter__(self):
        self.previous = None
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGTERM, self.stop)
        return self

    @staticmethod
    def stop(signum, frame):
        raise Stopped("stopped by SIGTERM")

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)
        return False
