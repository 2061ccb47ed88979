"""Links that open one view of the page: '?tab=inside&model=TextCNN&headline=…&lang=zh-CN',
and for Inside what it explains: '&topic=stocks&rather_than=finance'."""

import urllib.parse

from cls_core.app.i18n import LANGUAGES
from cls_core.app.inputs import MAX_CHARS

# the page's tabs, as links name them (review and train only where app.py's flags show them)
TABS = ("predict", "inside", "map", "evaluate", "experiments", "overview", "review", "train")
MAX_TOPIC_CHARS = 50  # a class name: longer is not one


def link_query(tab, headline="", models=(), lang="en", topic="", rather_than=""):
    """The query string of a link that opens this view: '?tab=inside&model=TextCNN&headline=…';
    topic, rather_than: the class names Inside explains ("": the answer, and none)."""
    fields = {
        "tab": tab,
        "model": ",".join(models),
        "headline": (headline or "")[:MAX_CHARS],
        "topic": topic,
        "rather_than": rather_than,
        "lang": lang,
    }
    return "?" + urllib.parse.urlencode({k: v for k, v in fields.items() if v})


def read_link(params, names):
    """What a link asks for, from its query parameters (a dict), each part checked: an
    unknown tab, model or language is ignored, the headline is cut to MAX_CHARS.
    Returns {"tab", "headline", "models", "lang"} (lang None: follow the browser)."""
    tab = params.get("tab", "").lower()
    models = [m for m in params.get("model", "").split(",") if m in names]
    return {
        "tab": tab if tab in TABS else "predict",
        "headline": (params.get("headline") or "")[:MAX_CHARS],
        "models": models,
        "lang": params.get("lang") if params.get("lang") in LANGUAGES else None,
    }


def read_topics(params):
    """What a link asks Inside to explain: {"topic", "rather_than"}, class names as written
    ("": the answer, and none). The model's classes are not known here: a name it does not
    answer with is said so when Inside looks (a hint), as for /inspect."""
    return {key: " ".join((params.get(key) or "").split())[:MAX_TOPIC_CHARS] for key in ("topic", "rather_than")}
