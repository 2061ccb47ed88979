"""FeedbackStore: visitors' corrections in one SQLite file.

Safe by default:
- an acknowledged correction is on disk: each insert is its own transaction, committed in
  WAL mode with synchronous=FULL (the log is fsynced at each commit), so a `kill -9` of the
  app, or a power cut, right after the visitor saw "kept" loses nothing;
- one connection, used under a lock: concurrent corrections are written one after another,
  each once; other processes (the list/export command) read beside the app through WAL;
- the file has a cap: past it an insert raises StoreFull, which the app words for the
  visitor, instead of filling the disk;
- the schema has a version (PRAGMA user_version) and a list of migrations, each taking
  version i to i + 1, run in one transaction when an older file is opened.
"""

import os
import sqlite3
import subprocess
import threading
from dataclasses import astuple, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path

from cls_core.models.checkpoint import atomic_write_text

DEFAULT_MAX_MB = 100
MAX_HEADLINE_CHARS = 1000  # the app reads 200; this only bounds what any caller can make us keep

# MIGRATIONS[i] takes a database from schema version i to i + 1; SCHEMA_VERSION is their count.
MIGRATIONS = [
    # 0 -> 1: the first schema
    """CREATE TABLE corrections (
           id INTEGER PRIMARY KEY AUTOINCREMENT,
           created TEXT NOT NULL,           -- UTC, ISO 8601
           headline TEXT NOT NULL,          -- as typed (control characters dropped, spaces folded)
           read_as TEXT NOT NULL,           -- as the model read it (its normalisation)
           model TEXT NOT NULL,
           answer TEXT NOT NULL,            -- the model's top class (a class.txt name)
           probability REAL NOT NULL,       -- its calibrated probability
           correction TEXT NOT NULL,        -- the visitor's class (a class.txt name)
           app_commit TEXT                  -- git commit of the app, when known
       )""",
    # 1 -> 2: which checkpoint file answered
    "ALTER TABLE corrections ADD COLUMN checkpoint_sha256 TEXT",
]
SCHEMA_VERSION = len(MIGRATIONS)


class FeedbackError(ValueError):
    """A correction that cannot be kept (the app turns these into messages for the visitor)."""


class StoreFull(FeedbackError):
    """The database has reached its size cap."""


class StoreBusy(FeedbackError):
    """Another process (a copy of the app, a backup, sqlite3 at a prompt) holds the database's
    write lock past the wait: nothing was kept."""


@dataclass(frozen=True)
class Correction:
    """What one click on "this answer is wrong" keeps; never anything about the visitor."""

    headline: str
    read_as: str
    model: str
    answer: str
    probability: float
    correction: str
    app_commit: str | None = None
    checkpoint_sha256: str | None = None


COLUMNS = [f.name for f in fields(Correction)]


def default_db_path():
    """$HEADLINE_LENS_FEEDBACK_DB, else $XDG_DATA_HOME (~/.local/share)/headline-lens/feedback.sqlite3:
    outside the repository, so that no correction is ever committed by accident."""
    if os.environ.get("HEADLINE_LENS_FEEDBACK_DB"):
        return Path(os.environ["HEADLINE_LENS_FEEDBACK_DB"])
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return data_home / "headline-lens" / "feedback.sqlite3"


def app_commit(root=None):
    """The git commit the app runs from: $HEADLINE_LENS_COMMIT (an image built without .git
    can be given it), else `git rev-parse HEAD`, else None."""
    if os.environ.get("HEADLINE_LENS_COMMIT"):
        return os.environ["HEADLINE_LENS_COMMIT"]
    root = root or Path(__file__).resolve().parents[2]
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    return commit if out.returncode == 0 and commit else None


class FeedbackStore:
    def __init__(self, path, max_mb=DEFAULT_MAX_MB, read_only=False, busy_seconds=10):
        """read_only: open the file as it is, for reading beside a running app (list, export):
        no migration, no write; a file of an older schema is read with the columns it has.
        busy_seconds: how long a write waits for another process's lock before StoreBusy."""
        self.path = Path(path)
        self.max_bytes = int(max_mb * 1024 * 1024)
        self._lock = threading.Lock()
        if read_only:
            self._db = sqlite3.connect(
                f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=busy_seconds, check_same_thread=False
            )
            self._db.row_factory = sqlite3.Row
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: no implicit transactions; each write says BEGIN IMMEDIATE itself.
        self._db = sqlite3.connect(self.path, timeout=busy_seconds, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._migrate()

    def close(self):
        with self._lock:
            self._db.close()

    # --- schema ---------------------------------------------------------------------------

    def schema_version(self):
        return self._db.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self):
        """Bring the file to SCHEMA_VERSION, all steps in one transaction (all or none)."""
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            raise FeedbackError(f"{self.path} has schema version {version}; this app knows up to {SCHEMA_VERSION}")
        if version == SCHEMA_VERSION:
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            for step in MIGRATIONS[version:]:
                self._db.execute(step)
            self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    # --- writing --------------------------------------------------------------------------

    def size_bytes(self):
        """The database's pages in use, plus its write-ahead log not yet copied back."""
        pages = self._db.execute("PRAGMA page_count").fetchone()[0] * self._db.execute("PRAGMA page_size").fetchone()[0]
        wal = Path(f"{self.path}-wal")
        return pages + (wal.stat().st_size if wal.exists() else 0)

    def is_full(self):
        with self._lock:
            return self.size_bytes() >= self.max_bytes

    def add(self, correction):
        """Keep one correction; returns its id once it is committed to disk. Raises StoreFull
        at the size cap, FeedbackError for a correction that breaks the schema's bounds."""
        if not correction.headline or len(correction.headline) > MAX_HEADLINE_CHARS:
            raise FeedbackError(f"a headline of 1 to {MAX_HEADLINE_CHARS} characters, not {len(correction.headline)}")
        if not 0.0 <= correction.probability <= 1.0:
            raise FeedbackError(f"a probability in [0, 1], not {correction.probability}")
        row = (datetime.now(UTC).isoformat(timespec="milliseconds"), *astuple(correction))
        with self._lock:
            if self.size_bytes() >= self.max_bytes:
                raise StoreFull(f"{self.path} has reached its cap of {self.max_bytes / 2**20:.0f} MB")
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as e:  # "database is locked", after busy_seconds
                raise StoreBusy(f"{self.path}: {e}") from None
            try:
                cursor = self._db.execute(
                    f"INSERT INTO corrections (created, {', '.join(COLUMNS)}) VALUES ({', '.join('?' * (len(row)))})",
                    row,
                )
                self._db.execute("COMMIT")  # synchronous=FULL: on disk when this returns
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            return cursor.lastrowid

    # --- reading --------------------------------------------------------------------------

    def rows(self, limit=None):
        """Every correction, newest first, as dicts (id, created and the Correction's fields)."""
        with self._lock:
            cursor = self._db.execute(
                "SELECT * FROM corrections ORDER BY id DESC" + (" LIMIT ?" if limit else ""), (limit,) if limit else ()
            )
            return [dict(row) for row in cursor.fetchall()]

    def count(self):
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM corrections").fetchone()[0]

    def pair_counts(self):
        """[(answer, correction, count)], the most frequent pair first."""
        with self._lock:
            return [
                tuple(row)
                for row in self._db.execute(
                    "SELECT answer, correction, COUNT(*) AS n FROM corrections "
                    "GROUP BY answer, correction ORDER BY n DESC, answer, correction"
                )
            ]

    def export(self, out, models=None, classes=None):
        """Write `text<TAB>label` lines (label: the visitor's class name), oldest first, of the
        corrections of `models` (names; None: any) whose label and answer are both in `classes`
        (None: any), so that one file holds one label set, as --extra-train needs; and beside
        it models_path(out), which model (and checkpoint) each line corrected. Both are
        written atomically; returns (lines written, corrections left out)."""
        rows = list(reversed(self.rows()))
        kept = [
            r
            for r in rows
            if (models is None or r["model"] in models)
            and (classes is None or (r["correction"] in classes and r["answer"] in classes))
        ]
        atomic_write_text(out, "".join(f"{' '.join(r['headline'].split())}\t{r['correction']}\n" for r in kept))
        atomic_write_text(
            models_path(out),
            "line\tmodel\tcheckpoint_sha256\n"
            + "".join(f"{i}\t{r['model']}\t{r.get('checkpoint_sha256') or ''}\n" for i, r in enumerate(kept, 1)),
        )
        return len(kept), len(rows) - len(kept)


def models_path(out):
    """corrections.tsv -> corrections.models.tsv: which model each exported line corrected."""
    out = Path(out)
    return out.with_name(f"{out.stem}.models.tsv")
