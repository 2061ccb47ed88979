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
from sklearn.model_selection import train_test_split

from cls_core.data.splits import DataFormatError, Dataset

MAX_BYTES = 20 * 1024 * 1024
MAX_LINES = 200_000
MIN_CLASSES, MAX_CLASSES = 2, 100
MIN_EXAMPLES = 10  # per class, in the whole file
LABELLED_SUFFIXES = (".tsv", ".txt", ".csv")
MAX_PROBLEMS_SHOWN = 20  # a broken file can have thousands; the first ones say enough


# What each kind of problem says, in English (the command line's words; the page words each
# kind in the visitor's language from the same details: cls_core.app.i18n, "labelled_<kind>").
PROBLEMS = {
    "no_file": "no such file",
    "file_type": "a {suffix} file; a labelled file is .tsv, .txt or .csv",
    "too_big": "{mb:.1f} MB; the limit is {limit_mb:.0f} MB",
    "not_utf8": "not valid UTF-8 ({reason} at byte {byte}); save the file as UTF-8",
    "no_column": "the header ({header}) has no column {missing}; name them text and label, "
    "or say which with --text-column/--label-column",
    "not_csv": "not readable as CSV ({error})",
    "too_many_lines": "more than {limit:,} lines; the limit is {limit:,}",
    "columns": "expected {expected} columns, found {found}",
    "columns_tsv": "expected {expected} columns (text<TAB>label), found {found}",
    "empty_text": "empty text",
    "empty_label": "empty label",
    "no_lines": "no labelled lines",
    "label_count": "a model needs {low} to {high} labels, found {count}",
    "few_examples": "label {label!r} has only {count} of the {minimum} lines each label needs",
    "unknown_labels": "labels not in the training file: {labels}",
}


@dataclass
class Problem:
    """One problem of a labelled file: its kind (a key of PROBLEMS), the file, the line (0 for
    the file as a whole) and the details its message fills in."""

    kind: str
    path: str
    line: int = 0
    details: dict = field(default_factory=dict)

    @property
    def where(self):
        return f"{self.path}:{self.line}" if self.line else self.path

    def __str__(self):
        return f"{self.where}: {PROBLEMS[self.kind].format(**self.details)}"


@dataclass
class LabelledFileReport:
    """What check_labelled_file found: the file's class counts (sorted by label), every problem
    that stops training (Problems, each naming the file and, where there is one, the line)."""

    path: str
    texts: list = field(default_factory=list)
    labels: list = field(default_factory=list)  # label strings, one per text
    problems: list = field(default_factory=list)
    problem_count: int = 0

    @property
    def ok(self):
        return self.problem_count == 0

    @property
    def class_counts(self):
        return dict(sorted(Counter(self.labels).items()))

    def problem(self, kind, line=0, **details):
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS_SHOWN:
            self.problems.append(Problem(kind, self.path, line, details))

    @property
    def problems_left_out(self):
        return self.problem_count - len(self.problems)

    def summary(self):
        """The problems as one message (the first MAX_PROBLEMS_SHOWN, and how many more)."""
        more = self.problems_left_out
        return "\n".join([str(p) for p in self.problems] + ([f"… and {more} more problems"] if more > 0 else []))


def _decode(raw, report):
    """The file's text, or None (with a problem naming the line) when it is not UTF-8."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        report.problem("not_utf8", line, reason=e.reason, byte=e.start)
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


def _csv_rows(text, text_column, label_column, report):
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
        report.problem("no_column", 1, header=", ".join(header), missing=" or ".join(map(repr, missing)))
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
        report.problem("not_csv", reader.line_num, error=str(e))


def check_labelled_file(
    path,
    text_column="text",
    label_column="label",
    min_examples=MIN_EXAMPLES,
    max_bytes=MAX_BYTES,
    max_lines=MAX_LINES,
    min_classes=MIN_CLASSES,
):
    """Read a labelled file and find every problem in it; raises nothing (a missing file is a
    problem too). The texts and labels read are in the report. min_classes is 1 for a dev or
    test file, which may hold a single label."""
    report = LabelledFileReport(str(path))
    path = Path(path)
    if not path.is_file():
        report.problem("no_file")
        return report
    if path.suffix.lower() not in LABELLED_SUFFIXES:
        report.problem("file_type", suffix=path.suffix or "(no suffix)")
        return report
    size = path.stat().st_size
    if size > max_bytes:
        report.problem("too_big", mb=size / 2**20, limit_mb=max_bytes / 2**20)
        return report
    text = _decode(path.read_bytes(), report)
    if text is None:
        return report
    first_line = text.split("\n", 1)[0]
    as_csv = _is_csv(path, first_line)
    rows = _csv_rows(text, text_column, label_column, report) if as_csv else _tsv_rows(text)
    for number, fields, expected in rows:
        if len(report.texts) >= max_lines:
            report.problem("too_many_lines", limit=max_lines)
            return report  # the labels of a part of the file say nothing of the whole
        if len(fields) != expected:
            report.problem("columns" if as_csv else "columns_tsv", number, found=len(fields), expected=expected)
            continue
        body, label = fields[0].strip(), fields[1].strip()
        if not body:
            report.problem("empty_text", number)
        elif not label:
            report.problem("empty_label", number)
        else:
            report.texts.append(body)
            report.labels.append(label)
    # the labels are counted over the lines read even when some lines have problems: every
    # problem at once, not a label with too few lines found only after the lines are fixed
    counts = report.class_counts
    if not counts:
        if not report.problem_count:
            report.problem("no_lines")
    elif not min_classes <= len(counts) <= MAX_CLASSES:
        report.problem("label_count", count=len(counts), low=min_classes, high=MAX_CLASSES)
    for label, count in counts.items():
        if count < min_examples:
            report.problem("few_examples", label=label, count=count, minimum=min_examples)
    return report


def read_labelled_file(path, text_column="text", label_column="label", classes=None, min_examples=MIN_EXAMPLES):
    """The file as a Dataset with labels indexing `classes` (default: its own labels, sorted),
    or a DataFormatError listing its problems. With classes given (a dev or test file read
    against the training file's classes), a label outside them is a problem and the
    per-label minimum does not apply."""
    report = check_labelled_file(
        path,
        text_column,
        label_column,
        min_examples=0 if classes else min_examples,
        min_classes=1 if classes else MIN_CLASSES,
    )
    if classes is not None and report.ok:
        unknown = sorted(set(report.labels) - set(classes))
        if unknown:
            report.problem("unknown_labels", labels=", ".join(map(repr, unknown)))
    elif classes is None and report.ok:
        classes = sorted(report.class_counts)
    if not report.ok:
        raise DataFormatError(report.summary())
    index = {name: i for i, name in enumerate(classes)}
    return Dataset(list(report.texts), [index[label] for label in report.labels], list(classes))


def carve_splits(data, shares=(0.8, 0.1, 0.1), seed=1):
    """Split a Dataset into len(shares) Datasets, stratified (each label in the same shares, as
    scikit-learn's train_test_split(stratify=...) cuts) and seeded: the same file and seed always
    give the same splits. Each later part is cut from what the earlier cuts left."""
    labels = np.asarray(data.labels)
    rest, parts, left = np.arange(len(labels)), [], 1.0
    for share in shares[:-1]:
        taken, rest = train_test_split(
            rest, train_size=share / left, stratify=labels[rest], random_state=seed, shuffle=True
        )
        parts.append(taken)
        left -= share
    parts.append(rest)
    return [
        Dataset([data.texts[i] for i in sorted(part)], [data.labels[i] for i in sorted(part)], list(data.classes))
        for part in parts
    ]


def labelled_lines(data):
    """data as the text of a `text<TAB>label name` file, what read_labelled_file reads back
    (tabs and line breaks inside a text become spaces)."""
    return "".join(f"{' '.join(text.split())}\t{data.classes[label]}\n" for text, label in zip(data.texts, data.labels))


def overlap_count(train, other):
    """How many texts of `other` occur in `train` too (after stripping)."""
    seen = set(train.texts)
    return sum(text in seen for text in other.texts)
