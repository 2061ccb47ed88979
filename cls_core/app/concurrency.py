"""How much of each kind of work runs at once: every limit of the app, in one place.

- Predictions (one headline, a few milliseconds) run on Gradio's worker threads: WORKERS at
  once, QUEUE_SIZE more in line (app.py passes both to Gradio's queue).
- A look inside (occlusion, reading, integrated gradients, the flip search) and the
  /inspect API pass the `inspect` gate.
- Work over the whole test split (an evaluation, the hidden-unit index, the map, the
  attention agreement) passes the `evaluate` gate.

A gate lets `running` calls work and `waiting` more wait; beyond that a call is refused at
once with a message, rather than queued for minutes behind work it cannot see. The gates
are entered by the views that do the work (cls_core.app.views), never by the UI, so every
way in (a button, a link, the API) is throttled the same. Integrated gradients run on a
pool of their own beside the rest of a look inside, one thread per look the inspect gate
lets run: the pool is sized from that limit.

Besides these limits, a model's lock (ModelRegistry.lock, a ModelLock) keeps apart the
requests that hook its network; see there. A cache build over the whole test split holds it
long; a look inside that meets such a build is refused at once rather than queued behind it.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import NamedTuple

from cls_core.app.allocator import release_free_memory
from cls_core.app.wording import UserError

WORKERS, QUEUE_SIZE = 4, 64


class Limit(NamedTuple):
    running: int
    waiting: int


INSPECT = Limit(running=2, waiting=6)
EVALUATE = Limit(running=1, waiting=3)

# The concurrency group of each of the page's events (the keyword arguments of its listener).
# The page is drawn for each visitor (gr.render): an event without a concurrency_id gets a group
# of its own on every drawing, so its limit held per visitor, not for all, and Gradio keeps
# every such group for good. Named groups are shared by every visitor's page.
PAGE_EVENT = dict(api_visibility="private", concurrency_id="page")  # state, words, links, Train: light
PREDICT_EVENT = dict(api_visibility="private", concurrency_id="predict")
# the gates (above) bound these two; Gradio's own limit would only queue what a gate refuses at once
INSPECT_EVENT = dict(api_visibility="private", concurrency_id="inspect", concurrency_limit=None)
EVALUATE_EVENT = dict(api_visibility="private", concurrency_id="evaluate", concurrency_limit=None)
EVENT_GROUPS = {"page", "predict", "inspect", "evaluate"}


class Gate:
    """At most `running` calls at once and `waiting` more in line for one kind of work;
    anything beyond that is refused at once (UserError "error_busy")."""

    def __init__(self, running, waiting, on_idle=None):
        """on_idle(): called when the last call inside has left (heavy work done: its memory freed)."""
        self.capacity = running + waiting
        self.on_idle = on_idle
        self._slots = threading.BoundedSemaphore(running)
        self._lock = threading.Lock()
        self._inside = 0

    @contextmanager
    def __call__(self):
        with self._lock:
            if self._inside >= self.capacity:
                raise UserError("error_busy")
            self._inside += 1
        try:
            with self._slots:
                yield
        finally:
            with self._lock:
                self._inside -= 1
                idle = self._inside == 0
            if idle and self.on_idle is not None:
                self.on_idle()


class Gates:
    """The app's gates, and the integrated-gradients pool sized from the inspect limit."""

    def __init__(self, inspect=INSPECT, evaluate=EVALUATE):
        self.inspect = Gate(*inspect, on_idle=release_free_memory)
        self.evaluate = Gate(*evaluate, on_idle=release_free_memory)
        self.attributing = ThreadPoolExecutor(max_workers=inspect.running, thread_name_prefix="integrated-gradients")


class ModelLock:
    """One model's lock, taken in one of two ways. A cache build over the whole test split (the
    map, the hidden-unit index, the attention agreement: minutes at first use) takes it `long`;
    a look inside, the /inspect API or a unit's view, which a visitor waits for inside the
    inspect gate, takes it `quick` and, while a build holds it, is refused at once ("busy")
    instead of holding an inspect slot for minutes behind the build. Quick holders wait for
    each other (a look takes about a second). Re-entrant: a look inside takes it again for
    its deeper views."""

    def __init__(self, poll_seconds=0.05):
        self._lock = threading.RLock()
        self._building = 0  # long holders inside
        self.poll_seconds = poll_seconds

    @contextmanager
    def long(self):
        with self._lock:
            self._building += 1
            try:
                yield
            finally:
                self._building -= 1

    @contextmanager
    def quick(self):
        while not self._lock.acquire(timeout=self.poll_seconds):
            if self._building:
                raise UserError("error_busy")
        try:
            yield
        finally:
            self._lock.release()
