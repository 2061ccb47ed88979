"""The test-split reports computed so far (cls_core.evaluation.evaluate), the REPORTS_KEPT
used last. A report is keyed by the files it was computed from (its checkpoints and the test
file), so a replaced file gets a new report and an old one is never shown for it; the old
one goes once newer ones push it out.

A report is computed once: a second request for one under way waits for it and reuses it.
"""

import hashlib
import json
import threading
from collections import OrderedDict
from pathlib import Path

# Twice the reports the app shows (three models and their ensemble), so that every model's
# stays while checkpoints replaced under a running app leave their old reports behind. A
# report holds every test headline's prediction.
REPORTS_KEPT = 8


def file_fingerprint(path):
    """Path, size and modification time: what changes when a file is replaced."""
    stat = Path(path).stat()
    return f"{Path(path).resolve()}:{stat.st_size}:{stat.st_mtime_ns}"


def report_key(checkpoints, test_file):
    """The key of a report computed from these checkpoint files and this test file."""
    return hashlib.sha256(
        json.dumps([file_fingerprint(p) for p in checkpoints] + [file_fingerprint(test_file)]).encode()
    ).hexdigest()


class Evaluations:
    def __init__(self, size=REPORTS_KEPT):
        self.size = size
        self._reports = OrderedDict()  # report key -> report, the one used last at the end
        self._locks = {}  # report key -> the lock its computation holds
        self._guard = threading.Lock()

    def get(self, key, compute):
        """The report under key, from compute() the first time (once, however many ask)."""
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            with self._guard:
                if key in self._reports:
                    self._reports.move_to_end(key)
                    return self._reports[key]
            report = compute()
            with self._guard:
                self._reports[key] = report
                while len(self._reports) > self.size:
                    old, _ = self._reports.popitem(last=False)
                    self._locks.pop(old, None)
            return report

    def reports(self):
        """Every report computed so far, oldest first."""
        with self._guard:
            return list(self._reports.values())

    def __len__(self):
        return len(self._reports)
