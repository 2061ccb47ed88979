"""The test-split reports computed so far (cls_core.evaluation.evaluate), kept for as long as
the app runs. A report is keyed by the files it was computed from (its checkpoints and the
test file), so a replaced file gets a new report and an old one is never shown for it.

A report is computed once: a second request for one under way waits for it and reuses it.
"""

import hashlib
import json
import threading
from pathlib import Path


def file_fingerprint(path):
    """Path, size and modification time: what changes when a file is replaced."""
    stat = Path(path).stat()
    return f"{Path(path).resolve()}:{stat.st_size}:{stat.st_mtime_ns}"


def report_key(checkpoints, test_file):
    """The key of a report computed from these checkpoint files and this test file."""
    return hashlib.sha256(json.dumps([file_fingerprint(p) for p in checkpoints]
                                     + [file_fingerprint(test_file)]).encode()).hexdigest()


class Evaluations:
    def __init__(self):
        self._reports = {}
        self._locks = {}  # report key -> the lock its computation holds
        self._guard = threading.Lock()

    def get(self, key, compute):
        """The report under key, from compute() the first time (once, however many ask)."""
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._reports:
                self._reports[key] = compute()
            return self._reports[key]

    def reports(self):
        """Every report computed so far, oldest first."""
        with self._guard:
            return list(self._reports.values())
