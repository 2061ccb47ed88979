"""What a visitor sends in and takes away: the limits on input, a headline cleaned before any
model reads it, CSV cells a spreadsheet cannot run, and the folder of files to download."""

import atexit
import csv
import shutil
import tempfile
import threading
import time
from pathlib import Path

from cls_core.app.i18n import text
from cls_core.app.wording import UserError
from cls_core.data.normalize import drop_invisible

MAX_CHARS = 200  # longest headline the app reads; longer input is cut, with a notice
MAX_BATCH_LINES = 5000  # headlines per uploaded file
MAX_UPLOAD_BYTES = 2_000_000
CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run such a cell


def clean_headline(headline, lang="en"):
    """(headline, notice): control characters dropped, whitespace folded, cut to MAX_CHARS.

    The rest of the normalisation (script, full-width forms) is each model's own, recorded
    in its checkpoint; the page shows its result as "read as".
    """
    headline = drop_invisible(headline)
    if not headline:
        raise UserError("error_empty")
    notice = ""
    if len(headline) > MAX_CHARS:
        notice = text("cut_notice", lang, n=len(headline), max=MAX_CHARS)
        headline = headline[:MAX_CHARS]
    return headline, notice


def csv_safe(cell):
    """A cell a spreadsheet shows as text: one starting with = + - @ (a formula) gets a ' first."""
    return "'" + cell if isinstance(cell, str) and cell.startswith(CSV_FORMULA_STARTS) else cell


class SpreadsheetWriter:
    """csv.writer for a file meant for a spreadsheet: every cell of every row escaped by
    csv_safe (label names are chosen by whoever trains a model, headlines by whoever types
    them), and the file starts with a UTF-8 BOM so that Excel reads it as UTF-8.

        with open(path, "w", encoding="utf-8-sig", newline="") as f:
            SpreadsheetWriter(f).writerow(["headline", "=1+1"])
    """

    def __init__(self, file):
        self._writer = csv.writer(file)

    def writerow(self, row):
        self._writer.writerow([csv_safe(cell) for cell in row])


class Downloads:
    """Files written for visitors to download, in one folder of our own: each write first
    removes files older than max_age seconds, and the folder goes when the process exits."""

    def __init__(self, max_age=3600):
        self.max_age = max_age
        self.folder = Path(tempfile.mkdtemp(prefix="headline-lens-"))
        self._cleaning = threading.Lock()  # one clean-up at a time: two would remove each other's finds
        atexit.register(shutil.rmtree, self.folder, True)

    def new_path(self, name):
        """A path NAME in a new folder of its own (so that two visitors' files never meet)."""
        with self._cleaning:
            now = time.time()
            for old in self.folder.iterdir():
                try:
                    if now - old.stat().st_mtime > self.max_age:
                        shutil.rmtree(old, ignore_errors=True)
                except FileNotFoundError:  # removed by hand, or by the exit handler
                    pass
            return Path(tempfile.mkdtemp(dir=self.folder)) / name
