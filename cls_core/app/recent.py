"""What the app computed lately, kept so that asking again (redrawing a view in another
language, at another layer; a second visitor's evaluation) never runs a model again: a
bounded, thread-safe map from a question's key (what was asked of which model, never the
visitor) to its result, the one used last kept longest. A result is computed once: a second
request for one under way waits for it and reuses it.

    recent = Recent(256)
    probs = recent.get(("predict", "TextCNN", "国足胜泰国"), lambda: predictor.predict(...))
"""

import threading
from collections import OrderedDict

RECENT_RESULTS = 256  # results kept; the oldest unused goes first


class Recent:
    def __init__(self, size=RECENT_RESULTS):
        self.size = size
        self._results = OrderedDict()  # key -> result, the one used last at the end
        self._computing = {}  # key -> the lock held while its result is computed
        self._guard = threading.Lock()

    def get(self, key, compute):
        """The result under key: kept, else compute() (once, however many ask; kept when it
        returns)."""
        with self._guard:
            if key in self._results:
                self._results.move_to_end(key)
                return self._results[key]
            lock = self._computing.setdefault(key, threading.Lock())
        with lock:
            with self._guard:
                if key in self._results:  # computed while this request waited
                    self._results.move_to_end(key)
                    return self._results[key]
            try:
                result = compute()
            finally:
                with self._guard:
                    self._computing.pop(key, None)
            with self._guard:
                self._results[key] = result
                while len(self._results) > self.size:
                    self._results.popitem(last=False)
            return result

    def forget(self, which):
        """Drop the results whose key which(key) is true of (a model unloaded or replaced)."""
        with self._guard:
            for key in [k for k in self._results if which(k)]:
                del self._results[key]

    def __contains__(self, key):
        with self._guard:
            return key in self._results

    def keys(self):
        with self._guard:
            return set(self._results)

    def values(self):
        """Every result kept, the oldest used first."""
        with self._guard:
            return list(self._results.values())

    def __len__(self):
        return len(self._results)
