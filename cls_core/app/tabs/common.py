"""What every tab shares: the visitor's state (cls_core.app.visitor) in, a dict of
component updates out; the page's fixed words in the visitor's language; a hint in the
visitor's language when a question cannot be answered."""

import logging

import gradio as gr
import pandas as pd

from cls_core.app.i18n import text
from cls_core.app.wording import UserError

logger = logging.getLogger(__name__)


class Words:
    """Components made with the page's fixed texts in one language (the page is drawn anew
    for each visitor and at each switch of language).

        words = Words("zh-CN")
        box = words(gr.Textbox, ("label", "headline_label", {"n": 200}), lines=1)
    """

    def __init__(self, lang):
        self.lang = lang

    def __call__(self, component_type, *texts, **kwargs):
        """component_type(**kwargs) with each (property, key[, fields]) of texts filled in."""
        for prop, key, *fields in texts:
            kwargs[prop] = text(key, self.lang, **(fields[0] if fields else {}))
        return component_type(**kwargs)


def hidden():
    return gr.update(visible=False, value=None)


def shown(value, **props):
    """A component made visible with value (hidden again when value is None)."""
    return gr.update(value=value, visible=value is not None, **props)


def table(rows, headers):
    return gr.update(value=pd.DataFrame(rows, columns=headers), visible=True)


def hint_update(visitor, tab):
    """The tab's hint line: what the visitor's last question there lacked, in their language."""
    hint = visitor.hints.get(tab)
    if hint is None:
        return gr.update(value="", visible=False)
    key, fields = hint  # worded as UserError words them: a field such as a file's problems in lang too
    return gr.update(value=text("hint", visitor.lang, text=UserError(key, **fields).text(visitor.lang)), visible=True)


def merge(*updates):
    """One dict of updates from several: two updates of one component become one (its new value
    and its label in the new language, say); a plain value counts as its "value"."""
    out = {}
    for part in updates:
        for component, update in part.items():
            if component in out and isinstance(out[component], dict) | isinstance(update, dict):
                old = out[component] if isinstance(out[component], dict) else {"value": out[component]}
                update = {**old, **(update if isinstance(update, dict) else {"value": update})}
            out[component] = update
    return out


def answer(tab, state, visitor, change=None, **render):
    """{state: the visitor after change, and tab's views drawn from it}. A UserError raised by
    change (the question is not askable) leaves the visitor as it was, with a hint; one raised
    while drawing (it could not be answered) also drops what the tab could not show
    (tab.forget)."""
    try:
        if change is not None:
            visitor = change(visitor)
        visitor = visitor.without_hint(tab.name)
    except UserError as e:
        visitor = visitor.with_hint(tab.name, e)
    try:
        updates = tab.render(visitor, **render)
    except Exception as e:  # noqa: BLE001 - the visitor gets a hint in their language, never a trace
        if not isinstance(e, UserError):
            logger.exception("drawing the %s tab failed", tab.name)
            e = UserError("error_unexpected")
        visitor = tab.forget(visitor.with_hint(tab.name, e))
        updates = tab.render(visitor)
    return {state: visitor, **updates}
