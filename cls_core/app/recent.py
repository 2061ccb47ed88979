"""What the app computed lately for visitors' questions, kept so that redrawing a view (in
another language, at another layer) never runs a model again: a bounded, thread-safe map
from a question's key (what was asked of which model, never the visitor) to its result.

    recent = Recent(256)
    probs = recent.get(("predict", "TextCNN", "国足胜泰国"), lambda: predictor.predict(...))
"""

import threading
from collections import OrderedDict

RECENT_RESULTS = 256  # results kept; the oldest unused goes first


class Recent:
    def __init__(self, size=RECENT_RESULTS):
        self.size = size
        self._results = OrderedDict()
        self._guard = threading.Lock()

    def get(self, key, compute):
        """The result under key: kept, else compute() (kept when it returns)."""
        with self._guard:
            if key in self._results:
                self._results.move_to_end(key)
                return self._results[key]
        result = compute()
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

    def keys(self):
        with self._guard:
            return set(self._results)

    def __len__(self):
        return len(self._results)
