"""Visitors' corrections, as the app takes them: which topic a visitor means (a class name,
or the topic as the page shows it in any of its languages), how often one visitor may
correct (RateLimit), and Corrections, which checks a correction, adds what the app knows
(the model's answer, the checkpoint, the app's commit) and keeps it in the FeedbackStore
(cls_core.feedback). Every refusal is a UserError, worded for the visitor; nothing is kept
then, and nothing about the visitor is kept ever: the rate limit counts per Gradio session,
in memory only (and all sessions together, since each HTTP call API request is a session).

    corrections = Corrections(FeedbackStore(path))
    corrections.flag(demo, "国足3:0完胜泰国队", "TextCNN", "体育", session="abc123")   # -> record id
"""

import threading
import time
from collections import deque

from cls_core.app.i18n import CLASS_GLOSS, LANGUAGES, class_name, convert
from cls_core.app.inputs import MAX_CHARS
from cls_core.app.recent import Recent
from cls_core.app.views.predict import model_answer
from cls_core.app.wording import UserError
from cls_core.data.normalize import drop_invisible
from cls_core.feedback import Correction, FeedbackError, StoreBusy, StoreFull, app_commit

RATE_PER_MINUTE = 30  # from one Gradio session
TOTAL_RATE_PER_MINUTE = 600  # from everyone: each HTTP call API request is a session of its own
SENT_REMEMBERED = 10_000  # the corrections remembered to refuse a second copy of (oldest forgotten first)
TOPIC_MAX_CHARS = 50


def topic_names(classes):
    """{every way the page or the API names a topic, lower-cased: its class name}: 'sports',
    '体育 sports', '体育', '體育' (each language's form, and the Chinese name alone)."""
    names = {}
    for c in classes:
        forms = {c, *(class_name(c, lang) for lang in LANGUAGES)}
        if c in CLASS_GLOSS:
            forms |= {CLASS_GLOSS[c], *(convert(CLASS_GLOSS[c], lang) for lang in LANGUAGES)}
        names.update({form.strip().lower(): c for form in forms})
    return names


def parse_topic(topic, classes):
    """The class name a visitor or a client means by topic; UserError for any other."""
    topic = " ".join(str(topic or "").split())[:TOPIC_MAX_CHARS]
    name = topic_names(classes).get(topic.lower())
    if name is None:
        raise UserError("error_unknown_topic", topic=topic, topics=", ".join(classes))
    return name


class RateLimit:
    """At most `per_minute` events per key in any 60 seconds. Keys (Gradio session hashes)
    live in memory only and go once their last event is a minute old."""

    def __init__(self, per_minute=RATE_PER_MINUTE, window=60.0, clock=time.monotonic):
        self.per_minute, self.window, self.clock = per_minute, window, clock
        self._events = {}
        self._lock = threading.Lock()

    def allow(self, key):
        """Count an event for key; False (and not counted) when key is over its limit."""
        now = self.clock()
        with self._lock:
            for k in [k for k, q in self._events.items() if q and now - q[-1] >= self.window]:
                del self._events[k]  # forget visitors idle for a minute
            events = self._events.setdefault(key, deque())
            while events and now - events[0] >= self.window:
                events.popleft()
            if len(events) >= self.per_minute:
                return False
            events.append(now)
            return True


class Corrections:
    """The app's side of the feedback store: the checks, the rate limit and what the app adds."""

    def __init__(self, store, rate=None, commit="unknown"):
        self.store = store
        self.rate = rate or RateLimit()
        self.total = RateLimit(TOTAL_RATE_PER_MINUTE)
        # (session, headline, model, topic) of the corrections kept lately: one of each per visitor
        self.sent = Recent(SENT_REMEMBERED)
        self.commit = app_commit() if commit == "unknown" else commit

    def flag(self, demo, headline, model, topic, session=None):
        """Keep "model's answer to headline is wrong; it is topic"; returns (the record's id,
        the Correction kept) once it is on disk. UserError (nothing kept) for an empty or too
        long headline, an unknown model or topic, the model's own answer as the topic, a
        visitor (or all of them) over the rate limit, or a full database."""
        typed = drop_invisible(str(headline or ""))
        if not typed:
            raise UserError("error_empty")
        if len(typed) > MAX_CHARS:
            raise UserError("error_feedback_too_long", n=len(typed), max=MAX_CHARS)
        predictor = demo.predictor(model)  # UserError for a model not loaded
        correction = parse_topic(topic, predictor.classes)
        key = (session or "no session", typed, model, correction)
        if key in self.sent:
            raise UserError("error_feedback_again")
        if not self.rate.allow(session or "no session"):
            raise UserError("error_feedback_rate", n=self.rate.per_minute)
        if not self.total.allow("everyone"):
            raise UserError("error_busy")
        probs, assessment, _ = model_answer(demo, model, typed)
        top = int(probs[0].argmax())
        if predictor.classes[top] == correction:  # not a correction: keep nothing
            raise UserError("error_feedback_same")
        record = Correction(
            headline=typed,
            read_as=assessment.read_as,
            model=model,
            answer=predictor.classes[top],
            probability=round(float(probs[0, top]), 6),
            correction=correction,
            app_commit=self.commit,
            checkpoint_sha256=predictor.sha256,
        )
        try:
            kept = self.store.add(record), record
            self.sent.get(key, lambda: True)
            return kept
        except StoreFull:
            raise UserError("error_feedback_full") from None
        except StoreBusy:
            raise UserError("error_feedback_busy") from None
        except FeedbackError:
            raise UserError("error_feedback_invalid") from None
