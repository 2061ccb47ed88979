"""Beside an answer (Predict, Inside): "this answer is wrong", the right topic, and the
acknowledgement. Only the click keeps anything (cls_core.app.corrections); without
corrections (--no-feedback) the box never shows. The topics offered are the labels of the
model picked (a model of your own has its own)."""

from dataclasses import replace

import gradio as gr

from cls_core.app import api
from cls_core.app.concurrency import PAGE_EVENT
from cls_core.app.i18n import class_name, text
from cls_core.app.inputs import clean_headline
from cls_core.app.wording import UserError, model_label


class CorrectionBox:
    def __init__(self, core, words, name, pick_model=True):
        self.core, self.lang, self.name = core, words.lang, name
        with gr.Row(visible=False, equal_height=True, elem_id=f"{name}-correct") as self.row:
            self.model = words(
                gr.Dropdown,
                ("label", "correct_model"),
                choices=[],
                value=None,
                interactive=True,
                visible=pick_model,
                scale=2,
                min_width=200,
            )
            self.topic = words(
                gr.Dropdown,
                ("label", "correct_topic"),
                interactive=True,
                value=None,
                scale=2,
                choices=self.topics(core.classes, words.lang),
                min_width=200,
                elem_id=f"{name}-correct-topic",
            )
            self.button = words(
                gr.Button, ("value", "correct_button"), scale=1, min_width=160, elem_id=f"{name}-correct-button"
            )
        self.message = gr.Markdown(visible=False, elem_id=f"{name}-correct-message")
        self.views = [self.row, self.model, self.topic, self.message]

    @staticmethod
    def topics(classes, lang):
        return [(class_name(c, lang), c) for c in classes]

    def model_topics(self, model, lang):
        """The topic picker for model's labels (the THUCNews ones when it is gone)."""
        try:
            classes = self.core.classes_of(model) if model else self.core.classes
        except UserError:
            classes = self.core.classes
        return gr.update(choices=self.topics(classes, lang), value=None)

    def render(self, lang, headline, models, acknowledged=()):
        """The box under an answer to headline by models (hidden when there is none), with the
        thanks for a correction of that answer kept (acknowledged: Visitor.acknowledged)."""
        on = self.core.corrections is not None and bool(headline) and bool(models)
        thanks = on and acknowledged[:2] == (self.name, headline) and acknowledged[3] in models
        return {
            self.row: gr.update(visible=on),
            self.model: gr.update(
                choices=[(model_label(m, lang), m) for m in models], value=models[0] if models else None
            ),
            self.topic: self.model_topics(models[0] if on else None, lang),
            self.message: gr.update(value=self.thanks(acknowledged, lang) if thanks else "", visible=thanks),
        }

    @staticmethod
    def thanks(acknowledged, lang):
        _, _, record_id, model, answer, topic = acknowledged
        return text(
            "correct_done",
            lang,
            id=record_id,
            model=model_label(model, lang),
            answer=class_name(answer, lang),
            topic=class_name(topic, lang),
        )

    def wire(self, state, answered):
        """answered(visitor) -> the headline the shown answer is to ('' when none)."""

        def on_click(v, model, topic, request: gr.Request):
            try:
                if not topic:
                    raise UserError("error_pick_topic")
                headline, _ = clean_headline(answered(v), v.lang)
                record_id, kept = api.flag_answer(self.core, headline, model, topic, request.session_hash)
            except UserError as e:
                return {
                    state: v,
                    self.message: gr.update(value=text("hint", v.lang, text=e.text(v.lang)), visible=True),
                }
            # kept in the visitor's state, so that a switch of language draws the thanks again
            acknowledged = (self.name, answered(v), record_id, model, kept.answer, kept.correction)
            message = self.thanks(acknowledged, v.lang)
            return {state: replace(v, acknowledged=acknowledged), self.message: gr.update(value=message, visible=True)}

        self.button.click(on_click, [state, self.model, self.topic], [state, self.message], **PAGE_EVENT)
        self.model.input(
            lambda v, model: self.model_topics(model, v.lang), [state, self.model], self.topic, **PAGE_EVENT
        )
