"""Labelled files of your own: any short texts with any labels, read strictly.

A file is `text<TAB>label` lines (TSV, what `python -m cls_core.feedback export` writes; a first
line `text<TAB>label` is taken as a header) or CSV with a header naming a `text` and a `label`
column (or the columns given). Labels are any strings; the classes are kept in sorted order.

    report = check_labelled_file("mine.csv")        # class counts and every problem, raises nothing
    data = read_labelled_file("mine.csv")           # a Dataset, else DataFormatError naming file and line
    train, dev, test = carve_splits(data, (0.8, 0.1, 0.1), seed=1)   # stratified and seeded

The checks are the same for the command line and the browser's Train tab, which shows every
problem at once before anything runs.
"""

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cls_core.data.splits import DataFormatError, Dataset

MAX_BYTES = 20 * 1024 * 1024
MAX_LINES = 200_000
MIN_CLASSES, MAX_CLASSES = 2, 100
MIN_EXAMPLES = 10          # per class, in the whole file
MAX_PROBLEMS_SHOWN = 20    # a broken file can have thousands; the first ones say enough


@dataclass
class LabelledFileReport:
    """What check_labelled_file found: the file's class counts (sorted by label), every problem
    that stops training (each names the file and, where there is one, the line) and warnings."""
    path: str
    texts: list = field(default_factory=list)
    labels: list = field(default_factory=list)   # label strings, one per text
    problems: list = field(default_factory=list)
    problem_count: int = 0

    @property
    def ok(self):
        return self.problem_count == 0

    @property
    def class_counts(self):
        return dict(sorted(Counter(self.labels).items()))

    def problem(self, message):
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS_SHOWN:
            self.problems.append(message)

    def summary(self):
        """The problems as one message (the first MAX_PROBLEMS_SHOWN, and how many more)."""
        more = self.problem_count - len(self.problems)
        return "\n".join(self.problems + ([f"… and {more} more problems"] if more > 0 else []))


def _decode(path, raw, report):
    """The file's text, or None (with a problem naming the line) when it is not UTF-8."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        report.problem(f"{path}:{line}: not valid UTF-8 ({e.reason} at byte {e.start}); save the file as UTF-8")
        return None


def _is_csv(path, first_line):
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return True
    if suffix in (".tsv", ".txt"):
        return False
    return "\t" not in first_line


def is_csv_file(path):
    """Whether check_labelled_file reads path as CSV (what the checkpoint's record says of it)."""
    first_line = Path(path).read_bytes()[:65536].split(b"\n", 1)[0].decode("utf-8", errors="replace")
    return _is_csv(path, first_line)


def _tsv_rows(text):
    """(line number, fields, expected field count) of each non-blank line; a `text<TAB>label`
    header is skipped."""
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        fields = line.split("\t")
        if number == 1 and [f.strip().lower() for f in fields] == ["text", "label"]:
            continue
        yield number, fields, 2


def _csv_rows(path, text, text_column, label_column, report):
    """(line number, fields, expected field count) of each data row of a CSV file with a header;
    a row of the right length comes as [text, label]."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return
    names = [h.strip().lower() for h in header]
    missing = [c for c in (text_column, label_column) if c.lower() not in names]
    if missing:
        report.problem(f"{path}:1: the header ({', '.join(header)}) has no column {' or '.join(map(repr, missing))}; "
                       f"name them text and label, or say which with --text-column/--label-column")
        return
    columns = names.index(text_column.lower()), names.index(label_column.lower())
    try:
        for fields in reader:
            if not any(f.strip() for f in fields):
                continue
            if len(fields) != len(header):
                yield reader.line_num, fields, len(header)  # reported by the caller
            else:
                yield reader.line_num, [fields[columns[0]], fields[columns[1]]], 2
    except csv.Error as e:
        report.problem(f"{path}:{reader.line_num}: not readable as CSV ({e})")


def check_labelled_file(path, text_column="text", label_column="label", min_examples=MIN_EXAMPLES,
                        max_bytes=MAX_BYTES, max_lines=MAX_LINES, min_classes=MIN_CLASSES):
    """Read a labelled file and find every problem in it; raises nothing (a missing file is a
    problem too). The texts and labels read are in the report. min_classes is 1 for a dev or
    test file, which may hold a single label."""
    report = LabelledFileReport(str(path))
    path = Path(path)
    if not path.is_file():
        report.problem(f"{path}: no such file")
        return report
    size = path.stat().st_size
    if size > max_bytes:
        report.problem(f"{path}: {size / 2**20:.1f} MB; the limit is {max_bytes / 2**20:.0f} MB")
        return report
    text = _decode(path, path.read_bytes(), report)
    if text is None:
        return report
    first_line = text.split("\n", 1)[0]
    as_csv = _is_csv(path, first_line)
    rows = _csv_rows(path, text, text_column, label_column, report) if as_csv else _tsv_rows(text)
    for number, fields, expected in rows:
        if len(report.texts) >= max_lines:
            report.problem(f"{path}: more than {max_lines:,} lines; the limit is {max_lines:,}")
            break
        if len(fields) != expected:
            report.problem(f"{path}:{number}: {len(fields)} columns where {expected} are expected"
                           + ("" if as_csv else " (text<TAB>label)"))
            continue
        body, label = fields[0].strip(), fields[1].strip()
        if not body:
            report.problem(f"{path}:{number}: empty text")
        elif not label:
            report.problem(f"{path}:{number}: empty label")
        else:
            report.texts.append(body)
            report.labels.append(label)
    if report.problem_count:
        return report
    counts = report.class_counts
    if not counts:
        report.problem(f"{path}: no labelled lines")
    elif not min_classes <= len(counts) <= MAX_CLASSES:
        report.problem(f"{path}: {len(counts)} labels; a model needs {MIN_CLASSES} to {MAX_CLASSES}")
    for label, count in counts.items():
        if count < min_examples:
            report.problem(f"{path}: label {label!r} has {count} example{'s' if count != 1 else ''}; "
                           f"each label needs at least {min_examples}")
    return report


def read_labelled_file(path, text_column="text", label_column="label", classes=None, min_examples=MIN_EXAMPLES):
    """The file as a Dataset with labels indexing `classes` (default: its own labels, sorted),
    or a DataFormatError listing its problems. With classes given (a dev or test file read
    against the training file's classes), a label outside them is a problem and the
    per-label minimum does not apply."""
    report = check_labelled_file(path, text_column, label_column, min_examples=0 if classes else min_examples,
                                 min_classes=1 if classes else MIN_CLASSES)
    if classes is not None and report.ok:
        unknown = sorted(set(report.labels) - set(classes))
        if unknown:
            report.problem(f"{path}: labels not in the training file: {', '.join(map(repr, unknown))}")
    elif classes is None and report.ok:
        classes = sorted(report.class_counts)
    if not report.ok:
        raise DataFormatError(report.summary())
    index = {name: i for i, name in enumerate(classes)}
    return Dataset(list(report.texts), [index[label] for label in report.labels], list(classes))


def carve_splits(data, shares=(0.8, 0.1, 0.1), seed=1):
    """Split a Dataset into len(shares) Datasets, stratified (each label in the same shares,
    every part getting at least one of each label where the label has enough) and seeded:
    the same file and seed always give the same splits."""
    rng = np.random.default_rng(seed)
    labels = np.asarray(data.labels)
    parts = [[] for _ in shares]
    for label in range(len(data.classes)):
        rows = np.flatnonzero(labels == label)
        rng.shuffle(rows)
        # the later parts (dev, test) get their rounded share, at least one; the first the rest
        sizes = [max(1, round(len(rows) * s)) if len(rows) >= len(shares) else 0 for s in shares[1:]]
        cuts = np.cumsum([len(rows) - sum(sizes)] + sizes)[:-1]
        for part, chunk in zip(parts, np.split(rows, cuts)):
            part.extend(chunk.tolist())
    return [Dataset([data.texts[i] for i in sorted(part)], [data.labels[i] for i in sorted(part)], list(data.classes))
            for part in parts]


def labelled_lines(data):
    """data as the text of a `text<TAB>label name` file, what read_labelled_file reads back
    (tabs and line breaks inside a text become spaces)."""
    return "".join(f"{' '.join(text.split())}\t{data.classes[label]}\n" for text, label in zip(data.texts, data.labels))


def overlap_count(train, other):
    """How many texts of `other` occur in `train` too (after stripping)."""
    seen = set(train.texts)
    return sum(text in seen for text in other.texts)
