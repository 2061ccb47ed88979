"""Beside an answer (Predict, Inside): "this answer is wrong", the right topic, and the
acknowledgement. Only the click keeps anything (cls_core.app.corrections); without
corrections (--no-feedback) the box never shows."""

import gradio as gr

from cls_core.app import api
from cls_core.app.i18n import class_name, text
from cls_core.app.inputs import clean_headline
from cls_core.app.wording import UserError, model_label


class CorrectionBox:
    def __init__(self, core, words, name, pick_model=True):
        self.core, self.lang = core, words.lang
        with gr.Row(visible=False, equal_height=True, elem_id=f"{name}-correct") as self.row:
            self.model = words(gr.Dropdown, ("label", "correct_model"), choices=[], value=None, interactive=True,
                               visible=pick_model, scale=2, min_width=200)
            self.topic = words(gr.Dropdown, ("label", "correct_topic"), interactive=True, value=None, scale=2,
                               choices=[(class_name(c, words.lang), c) for c in core.classes], min_width=200,
                               elem_id=f"{name}-correct-topic")
            self.button = words(gr.Button, ("value", "correct_button"), scale=1, min_width=160,
                                elem_id=f"{name}-correct-button")
        self.message = gr.Markdown(visible=False, elem_id=f"{name}-correct-message")
        self.views = [self.row, self.model, self.topic, self.message]

    def render(self, lang, headline, models):
        """The box under an answer to headline by models (hidden when there is none)."""
        on = self.core.corrections is not None and bool(headline) and bool(models)
        return {self.row: gr.update(visible=on),
                self.model: gr.update(choices=[(model_label(m, lang), m) for m in models],
                                      value=models[0] if models else None),
                self.topic: gr.update(value=None), self.message: gr.update(value="", visible=False)}

    def wire(self, state, answered):
        """answered(visitor) -> the headline the shown answer is to ('' when none)."""
        def on_click(v, model, topic, request: gr.Request):
            try:
                if not topic:
                    raise UserError("error_pick_topic")
                headline, _ = clean_headline(answered(v), v.lang)
                record_id, kept = api.flag_answer(self.core, headline, model, topic, request.session_hash)
                message = text("correct_done", v.lang, id=record_id, model=model_label(model, v.lang),
                               answer=class_name(kept.answer, v.lang), topic=class_name(kept.correction, v.lang))
            except UserError as e:
                message = text("hint", v.lang, text=e.text(v.lang))
            return gr.update(value=message, visible=True)

        self.button.click(on_click, [state, self.model, self.topic], self.message, api_visibility="private")
