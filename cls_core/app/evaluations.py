"""The test-split reports computed so far (cls_core.evaluation.evaluate), the REPORTS_KEPT
used last. A report is keyed by the files it was computed from (its checkpoints and the test
file), so a replaced file gets a new report and an old one is never shown for it; the old
one goes once newer ones push it out.

A report is computed once: a second request for one under way waits for it and reuses it.
"""

import hashlib
import json
from pathlib import Path

from cls_core.app.recent import Recent

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


class Evaluations(Recent):
    """The test-split reports, the REPORTS_KEPT used last, each computed once."""

    def __init__(self, size=REPORTS_KEPT):
        super().__init__(size)

    def reports(self):
        """Every report computed so far, the oldest used first."""
        return self.values()
