"""Inside the model: for one headline and one model, what it looks at, what changes its
answer, how the answer forms, the BiLSTM's hidden states and units, and the look deeper;
"explain: [the answer ▾] rather than [any other topic ▾]" picks what all of it explains."""

from dataclasses import replace

import gradio as gr

from cls_core.app.concurrency import EVALUATE_EVENT, INSPECT_EVENT
from cls_core.app.i18n import class_name, text
from cls_core.app.inputs import MAX_CHARS
from cls_core.app.tabs.common import answer, hidden, hint_update, shown, table
from cls_core.app.tabs.correct import CorrectionBox
from cls_core.app.tabs.predict import EXAMPLES
from cls_core.app.views.inside import inside_summary, look_inside
from cls_core.app.views.map import numbered_headline
from cls_core.app.views.units import unit_choices, unit_view
from cls_core.app.wording import UserError

UNIT_COLUMNS = ("col_number", "col_context", "col_activation", "col_topic")


class InsideTab:
    name = "inside"

    def __init__(self, core, words):
        self.core = core
        registry = core.registry
        singles = core.model_names(ensemble=False)
        self.first_model = singles[0] if singles else ""
        words(gr.Markdown, ("value", "inside_intro"))
        with gr.Row(elem_classes="ask"):
            self.headline = words(
                gr.Textbox,
                ("label", "headline_label", {"n": MAX_CHARS}),
                interactive=True,
                value=EXAMPLES[0],
                lines=1,
                max_lines=3,
                scale=3,
                min_width=300,
                elem_id="inside-headline",
            )
            self.model = words(
                gr.Radio,
                ("label", "inside_model"),
                interactive=True,
                choices=registry.choices(words.lang, ensemble=False),
                value=self.first_model or None,
                scale=2,
                min_width=300,
            )
        with gr.Row():
            self.topic = words(
                gr.Dropdown,
                ("label", "explain_topic_label"),
                interactive=True,
                choices=self._topics(self.first_model, "topic_answer", words.lang),
                value="",
                min_width=200,
            )
            self.rather_than = words(
                gr.Dropdown,
                ("label", "rather_than_label"),
                interactive=True,
                choices=self._topics(self.first_model, "topic_any", words.lang),
                value="",
                min_width=200,
            )
        with gr.Row():
            self.layer = words(
                gr.Slider,
                ("label", "layer_label"),
                interactive=True,
                minimum=1,
                maximum=2,
                value=2,
                step=1,
                visible=False,
            )
            self.direction = words(
                gr.Radio,
                ("label", "direction_label"),
                interactive=True,
                choices=self._directions(words.lang),
                value="forward",
                visible=False,
            )
            self.button = words(gr.Button, ("value", "inside_button"), variant="primary")
        self.hint = gr.Markdown(visible=False, elem_classes="hint")
        self.summary = gr.Markdown()
        self.correct = CorrectionBox(core, words, "inside", pick_model=False)
        highlight = dict(show_legend=False, combine_adjacent=False, visible=False)
        self.weights = gr.HighlightedText(**highlight)
        self.windows = [gr.HighlightedText(**highlight) for _ in range(registry.window_count())]
        self.occlusion = words(gr.HighlightedText, ("label", "occlusion_label"), **highlight)
        with gr.Row():
            self.weights_plot = gr.Plot(show_label=False, visible=False)
            self.occlusion_plot = gr.Plot(show_label=False, visible=False)
        self.reading_plot = gr.Plot(show_label=False, visible=False)
        self.hidden_plot = gr.Plot(show_label=False, visible=False)
        self.norm_plot = gr.Plot(show_label=False, visible=False)
        self.ngram_table = words(
            gr.Dataframe, ("label", "ngram_table"), visible=False, interactive=False, max_height=800, wrap=True
        )
        with words(gr.Accordion, ("label", "deeper_title"), open=True):
            self.methods_plot = gr.Plot(show_label=False, visible=False)
            self.agreement = gr.Markdown()
            self.counterfactuals = gr.Markdown()
        with words(gr.Accordion, ("label", "units_title"), open=False, visible=False) as self.units_box:
            words(gr.Markdown, ("value", "units_intro"))
            with gr.Row():
                self.units_button = words(gr.Button, ("value", "units_button"), scale=0, min_width=160)
                self.unit = words(
                    gr.Dropdown, ("label", "unit_label"), choices=[], value=None, interactive=True, scale=3
                )
            self.units_message = gr.Markdown()
            self.unit_plot = gr.Plot(show_label=False, visible=False)
            self.unit_rows = words(
                gr.Dataframe, ("label", "unit_contexts"), interactive=False, visible=False, wrap=True
            )
        self.views = [
            self.hint,
            self.summary,
            self.weights,
            *self.windows,
            self.occlusion,
            self.weights_plot,
            self.occlusion_plot,
            self.reading_plot,
            self.hidden_plot,
            self.norm_plot,
            self.ngram_table,
            self.methods_plot,
            self.agreement,
            self.counterfactuals,
            self.topic,
            self.rather_than,
            self.layer,
            self.direction,
            self.units_box,
            self.unit,
            self.units_message,
            self.unit_plot,
            self.unit_rows,
            *self.correct.views,
        ]

    @staticmethod
    def _directions(lang):
        return [(text(d, lang), d) for d in ("forward", "backward")]

    def _classes(self, model):
        return self.core.classes_of(model) if model in self.core.models else []

    def _topics(self, model, first, lang):
        """A topic picker's choices: first ("the answer", "any other topic"; value ""), then
        the model's topics as the page names them (values: their class names)."""
        return [(text(first, lang), "")] + [(class_name(c, lang), c) for c in self._classes(model)]

    def _known_topics(self, v, model):
        """v's topics where model answers with them, else "" (a model of another label set)."""
        classes = self._classes(model)
        return {key: getattr(v, key) if getattr(v, key) in classes else "" for key in ("topic", "rather_than")}

    def render(self, v):
        model = v.inside_model or self.first_model
        shape = self.core.registry.rnn_shape(model) if model in self.core.models else None
        chosen = self._known_topics(v, model)  # a name the model does not know: the look says so
        out = {view: hidden() for view in self.views}
        out.update(self.correct.render(v.lang, "", []))
        out.update(
            {
                self.hint: hint_update(v, self.name),
                self.summary: "",
                self.agreement: "",
                self.counterfactuals: "",
                self.units_message: "",
                self.topic: gr.update(
                    visible=True, choices=self._topics(model, "topic_answer", v.lang), value=chosen["topic"]
                ),
                self.rather_than: gr.update(
                    visible=True, choices=self._topics(model, "topic_any", v.lang), value=chosen["rather_than"]
                ),
                self.layer: gr.update(visible=shape is not None, maximum=max((shape or (2,))[0], 2), value=v.layer),
                self.direction: gr.update(visible=bool(shape and shape[1] > 1), value=v.direction),
                self.units_box: gr.update(visible=shape is not None),
                self.unit: gr.update(choices=[], value=None),
            }
        )
        if v.looked:
            out.update(self._look(v, model))
            out.update(self.correct.render(v.lang, v.inside_headline, [model], v.acknowledged))
        if shape is not None and v.units_of == model:
            out.update(self._units(v, model))
        return out

    def _look(self, v, model):
        lang = v.lang
        r, deeper = look_inside(
            self.core, v.inside_headline, model, v.layer, v.direction, lang, topic=v.topic, rather_than=v.rather_than
        )
        rnn = r["hidden_plot"] is not None
        out = {
            self.summary: inside_summary(r, model, lang),
            self.weights: gr.update(value=r["weights"], label=r["weights_label"], visible=True),
            self.occlusion: gr.update(value=r["occlusion"], visible=True),
            self.weights_plot: shown(r["weights_plot"]),
            self.occlusion_plot: shown(r["occlusion_plot"]),
            self.reading_plot: shown(r["reading_plot"]),
            self.hidden_plot: shown(r["hidden_plot"] if rnn else None),
            self.norm_plot: shown(r["norm_plot"] if rnn else None),
            self.ngram_table: table(r["table"], r["table_headers"]) if r["table"] else hidden(),
            self.methods_plot: shown(deeper["methods_plot"]),
            self.agreement: deeper["agreement"],
            self.counterfactuals: deeper["counterfactuals"],
        }
        for slot, (label, value) in zip(self.windows, r["windows"]):
            out[slot] = gr.update(visible=True, value=value, label=label)
        return out

    def _units(self, v, model):
        choices = unit_choices(self.core, model, v.lang)
        out = {
            self.unit: gr.update(choices=choices, value=v.unit or None),
            self.units_message: text("units_ready", v.lang, n=len(choices)),
        }
        if v.unit and v.inside_headline:
            track, rows = unit_view(self.core, v.inside_headline, model, v.unit, v.lang)
            out[self.unit_plot] = shown(track)
            out[self.unit_rows] = table(rows, [text(c, v.lang) for c in UNIT_COLUMNS])
        return out

    def refresh(self, lang):
        """The model picker's choices as the models now loaded (models come and go)."""
        return {self.model: gr.update(choices=self.core.registry.choices(lang, ensemble=False))}

    @staticmethod
    def forget(v):
        return replace(v, looked=False, units_of="", unit="")

    def opened(self, state, v, headline, model=None, topic="", rather_than=""):
        """{state, the headline box, the model picker, every view}: headline looked inside (a
        map point, a context, a headline of an Evaluate cell), explaining topic rather than
        rather_than (class names; "": the answer, and none)."""
        model = (
            model
            if model in self.core.models and model in self.core.model_names(ensemble=False)
            else (v.inside_model or self.first_model)
        )
        shape = self.core.registry.rnn_shape(model)
        change = dict(inside_headline=headline, inside_model=model, looked=True, topic=topic, rather_than=rather_than)
        if model != v.inside_model:
            change.update(layer=(shape or (2,))[0], direction="forward", unit="")
        return {self.headline: headline, self.model: model, **answer(self, state, v, lambda v: replace(v, **change))}

    def wire(self, state):
        outputs = [state, *self.views]
        self.correct.wire(state, lambda v: v.inside_headline if v.looked else "")

        def on_look(v, headline, model, topic, rather_than):
            return answer(
                self,
                state,
                v,
                lambda v: replace(
                    v,
                    inside_headline=headline,
                    inside_model=model,
                    looked=True,
                    topic=topic or "",
                    rather_than=rather_than or "",
                ),
            )

        def on_model(v, headline, model):
            shape = self.core.registry.rnn_shape(model)
            return answer(
                self,
                state,
                v,
                lambda v: replace(
                    v,
                    inside_model=model,
                    inside_headline=headline,
                    layer=(shape or (2,))[0],
                    direction="forward",
                    unit="",
                    units_of="",
                    **self._known_topics(v, model),
                ),
            )

        def on_topics(v, headline, topic, rather_than):
            return answer(
                self,
                state,
                v,
                lambda v: replace(v, inside_headline=headline, topic=topic or "", rather_than=rather_than or ""),
            )

        def on_layer(v, layer, direction):
            return answer(self, state, v, lambda v: replace(v, layer=int(layer), direction=direction))

        def on_units(v, model, progress=gr.Progress()):
            def change(v):  # the list, and the most topic-specific unit picked
                progress(0, desc=text("indexing_units", v.lang))
                first = unit_choices(self.core, model, v.lang)[0][1]
                return replace(v, units_of=model, inside_model=model, unit=v.unit or first)

            return answer(self, state, v, change)

        def on_unit(v, headline, unit):
            def change(v):
                if not unit:
                    raise UserError("error_pick_unit")
                return replace(v, unit=unit, inside_headline=headline)

            return answer(self, state, v, change)

        def on_context(v, model, evt: gr.SelectData):
            return self.opened(state, v, numbered_headline(self.core, evt.row_value[0], model), model)

        gr.on(
            [self.button.click, self.headline.submit],
            on_look,
            [state, self.headline, self.model, self.topic, self.rather_than],
            outputs,
            **INSPECT_EVENT,
        )
        self.model.input(on_model, [state, self.headline, self.model], outputs, **INSPECT_EVENT)
        gr.on(
            [self.topic.input, self.rather_than.input],
            on_topics,
            [state, self.headline, self.topic, self.rather_than],
            outputs,
            trigger_mode="always_last",
            **INSPECT_EVENT,
        )
        gr.on(
            [self.layer.release, self.direction.input],
            on_layer,
            [state, self.layer, self.direction],
            outputs,
            **INSPECT_EVENT,
        )
        self.units_button.click(
            on_units,
            [state, self.model],
            outputs,
            show_progress_on=[self.units_message],
            **EVALUATE_EVENT,
        )
        self.unit.input(
            on_unit, [state, self.headline, self.unit], outputs, trigger_mode="always_last", **INSPECT_EVENT
        )
        self.unit_rows.select(on_context, [state, self.model], [self.headline, self.model] + outputs, **INSPECT_EVENT)
