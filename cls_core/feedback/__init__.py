"""Visitors' corrections, kept: a headline, the model's answer and the topic a visitor says
is right, in an embedded SQLite database. No gradio here (the app layer words the messages
and limits the rate); nothing about the visitor is stored.

    store = FeedbackStore(default_db_path())
    store.add(Correction("国足3:0完胜泰国队", "国足3:0完胜泰国队", "TextCNN", "finance", 0.61, "sports"))
    store.export("corrections.tsv")      # text<TAB>class name: what `python -m cls_core.train --extra-train` reads

    python -m cls_core.feedback list   --db PATH
    python -m cls_core.feedback export --db PATH --out corrections.tsv
"""

from cls_core.feedback.store import (
    DEFAULT_MAX_MB,
    MAX_HEADLINE_CHARS,
    SCHEMA_VERSION,
    Correction,
    FeedbackError,
    FeedbackStore,
    StoreBusy,
    StoreFull,
    app_commit,
    default_db_path,
)

__all__ = [
    "DEFAULT_MAX_MB",
    "MAX_HEADLINE_CHARS",
    "SCHEMA_VERSION",
    "Correction",
    "FeedbackError",
    "FeedbackStore",
    "StoreBusy",
    "StoreFull",
    "app_commit",
    "default_db_path",
]
