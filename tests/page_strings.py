"""Each page language's own words (cls_core.app.i18n), to look for on a page shown in another
language: every text without fields, and the literal parts of those with fields, long enough
not to occur by chance. Headlines (the test split, the examples), model names and class
names are the visitor's data, not the page's words: a string found in them is not looked for."""

import re
from functools import cache
from pathlib import Path

from cls_core.app.i18n import CLASS_GLOSS, LANGUAGES, TEXTS, class_name, template
from cls_core.app.tabs.predict import EXAMPLES

ROOT = Path(__file__).resolve().parents[1]
# fields, and Markdown's marks, which the page shows as formatting, not as text
SEPARATORS = re.compile(r"\{[^}]*\}|\n|\*+|`|#+ |\[|\]\([^)]*\)")
EDGES = " ，。：；、,.:;()（）*·—-_\n⚠✓"


def literal_parts(string, lang):
    """The parts of a template between its fields, trimmed, long enough to mean something."""
    shortest = 8 if lang == "en" else 3
    parts = (part.strip(EDGES) for part in SEPARATORS.split(string))
    return {part for part in parts if len(part) >= shortest}


@cache
def page_strings(lang):
    """The literal strings of lang's page texts."""
    return frozenset(part for key in TEXTS for part in literal_parts(template(key, lang), lang))


@cache
def visitor_data():
    test = (ROOT / "data" / "demo" / "test.txt").read_text(encoding="utf-8")
    names = [class_name(c, lang) for c in CLASS_GLOSS for lang in LANGUAGES] + list(CLASS_GLOSS)
    return "\n".join([test, *EXAMPLES, *names, "BiLSTM-attention", "TextCNN", "TF-IDF + SVM"])


@cache
def foreign_strings(lang):
    """Strings of the other languages' pages that a page in lang never shows."""
    own = page_strings(lang)
    others = set().union(*(page_strings(other) for other in LANGUAGES if other != lang))
    data = visitor_data()
    return frozenset(s for s in others - own if s not in data and not any(s in mine for mine in own))


def foreign_on(page_text, lang):
    """The other languages' strings found in page_text (what a page in lang shows)."""
    return sorted(s for s in foreign_strings(lang) if s in page_text)
