"""Links that open one view of the page: '?tab=inside&model=TextCNN&headline=…&lang=zh-CN'."""

import urllib.parse

from cls_core.app.i18n import LANGUAGES
from cls_core.app.inputs import MAX_CHARS

# the page's tabs, as links name them (review and train only where app.py's flags show them)
TABS = ("predict", "inside", "map", "evaluate", "experiments", "overview", "review", "train")


def link_query(tab, headline="", models=(), lang="en"):
    """The query string of a link that opens this view: '?tab=inside&model=TextCNN&headline=…'."""
    fields = {"tab": tab, "model": ",".join(models), "headline": (headline or "")[:MAX_CHARS], "lang": lang}
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
