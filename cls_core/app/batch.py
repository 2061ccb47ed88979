"""Batch prediction: a file of headlines in, a CSV of every model's answers out.

    result = predict_file(registry, "headlines.txt", downloads)
    result.path, result.headlines, result.skipped   # the CSV, headlines predicted, empty lines skipped

A .txt holds one headline a line; a .csv holds them in its 'headline' (or 标题) column, and a
.csv without one is refused with a message, never read from a column it merely guesses. A line
that is empty once invisible characters are dropped (a lone zero-width space) is skipped like
a blank one. The CSV written starts with a UTF-8 byte-order mark, so that Excel reads it as
UTF-8.
"""

import csv
import io
from pathlib import Path
from typing import NamedTuple

from cls_core.app.i18n import class_name, text
from cls_core.app.inputs import MAX_BATCH_LINES, MAX_UPLOAD_BYTES, SpreadsheetWriter, clean_headline
from cls_core.app.wording import UserError, model_label
from cls_core.data.normalize import drop_invisible

HEADLINE_COLUMNS = ("headline", "标题")  # what a .csv's headline column may be called
BATCH_SUFFIXES = (".txt", ".csv")


class BatchResult(NamedTuple):
    path: Path  # the CSV of predictions
    headlines: int  # how many were predicted
    skipped: int  # lines skipped as empty


def read_lines(path):
    """The headline cells of an uploaded .txt or .csv, as written (UserError when unreadable)."""
    path = Path(path)
    if path.suffix.lower() not in BATCH_SUFFIXES:
        raise UserError("error_batch_file_type", suffix=path.suffix or "—")
    if path.stat().st_size > MAX_UPLOAD_BYTES:
        raise UserError("error_file_size", mb=MAX_UPLOAD_BYTES // 1_000_000)
    try:
        content = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError("error_not_utf8") from None
    if path.suffix.lower() != ".csv":
        return content.splitlines()
    rows = list(csv.reader(io.StringIO(content)))
    header = [c.strip().lower() for c in rows[0]] if rows else []
    named = [name for name in HEADLINE_COLUMNS if name in header]
    if not named:
        raise UserError("error_csv_no_headline", found=", ".join(c for c in header if c)[:200] or "—")
    column = header.index(named[0])
    return [r[column] if len(r) > column else "" for r in rows[1:]]


def read_headlines(path):
    """(headlines, lines skipped as empty) of an uploaded file, each headline cleaned."""
    lines = read_lines(path)
    headlines = [clean_headline(line)[0] for line in map(drop_invisible, lines) if line]
    if not headlines:
        raise UserError("error_no_headlines")
    if len(headlines) > MAX_BATCH_LINES:
        raise UserError("error_too_many", n=len(headlines), limit=MAX_BATCH_LINES)
    return headlines, len(lines) - len(headlines)


def predict_file(registry, path, downloads, names=None, lang="en"):
    """Predict every headline of the file with the models named (default: all, the ensemble
    last) and write a CSV worded in lang: the headline as read, each model's class,
    probability and verdict, then each model's probability of each of its classes (the models
    named may have different labels). Returns a BatchResult."""
    headlines, skipped = read_headlines(path)
    names = list(names or registry.names())
    labels = {n: registry.classes_of(n) for n in names}  # each model answers with its own labels
    answers = {n: registry.predictor(n).predict_assessed(headlines) for n in names}
    target = downloads.new_path("predictions.csv")
    with open(target, "w", encoding="utf-8-sig", newline="") as f:
        writer = SpreadsheetWriter(f)
        writer.writerow(_header(names, labels, lang))
        for i, headline in enumerate(headlines):
            probs = {n: answers[n][0][i] for n in names}
            verdicts = {n: answers[n][1][i] for n in names}
            writer.writerow(
                [headline, verdicts[names[-1]].read_as]
                + [class_name(labels[n][int(probs[n].argmax())], lang) for n in names]
                + [f"{probs[n].max():.4f}" for n in names]
                + [text("yes" if verdicts[n].unsure else "no", lang) for n in names]
                + [text(f"reason_{verdicts[n].reason}", lang) if verdicts[n].reason else "" for n in names]
                + [f"{p:.4f}" for n in names for p in probs[n]]
            )
    return BatchResult(target, len(headlines), skipped)


def _header(names, labels, lang):
    label = {n: model_label(n, lang) + text("colon", lang) for n in names}
    return (
        [text("col_headline", lang), text("col_read_as", lang)]
        + [f"{label[n]}{text('col_predicted', lang)}" for n in names]
        + [f"{label[n]}{text('col_probability', lang)}" for n in names]
        + [f"{label[n]}{text('col_unsure', lang)}" for n in names]
        + [f"{label[n]}{text('col_reason', lang)}" for n in names]
        + [f"{label[n]}p({class_name(c, lang)})" for n in names for c in labels[n]]
    )
