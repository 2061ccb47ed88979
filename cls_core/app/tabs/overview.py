"""Overview: what the app does, the data (headlines per class and split: THUCNews's, or a
models folder's of your own), the models (size, accuracy, calibration, against the published
reference) and their training curves."""

from dataclasses import replace

import gradio as gr
import pandas as pd

from cls_core.app import figures
from cls_core.app.concurrency import PAGE_EVENT
from cls_core.app.i18n import text
from cls_core.app.tabs.common import answer
from cls_core.app.views import overview
from cls_core.app.wording import UserError, model_label

MODEL_COLUMNS = (
    "col_model",
    "col_parameters",
    "col_file_mb",
    "col_test_accuracy",
    "col_calibration",
    "col_computes_in",
)


class OverviewTab:
    name = "overview"

    def __init__(self, core, words):
        self.core = core
        words(gr.Markdown, ("value", "overview_what"))
        with gr.Row():
            self.report_button = words(
                gr.Button, ("value", "report_button"), elem_id="report-button", scale=0, min_width=280
            )
            self.report_file = words(gr.File, ("label", "report_file_label"), visible=False, scale=1)
        words(gr.Markdown, ("value", "overview_data"))
        self.data_set = words(
            gr.Dropdown,
            ("label", "data_set_label"),
            interactive=True,
            choices=overview.data_sets(core.registry),
            value=overview.THUCNEWS,
            visible=bool(core.registry.folders),
        )
        self.data_sentence = gr.Markdown()
        self.counts = words(gr.Dataframe, ("label", "per_class_counts"), interactive=False)
        words(gr.Markdown, ("value", "overview_models"))
        self.models = gr.Dataframe(interactive=False, elem_id="overview-models")
        words(gr.Markdown, ("value", "precision_note"))
        self.outlets = gr.Markdown()
        self.accuracy = gr.Plot(show_label=False)
        self.curves = {
            name: (gr.Plot(show_label=False, visible=False), gr.Markdown(visible=False)) for name in core.models
        }
        self.views = [
            self.data_set,
            self.data_sentence,
            self.counts,
            self.models,
            self.outlets,
            self.accuracy,
            *(view for pair in self.curves.values() for view in pair),
        ]

    def wire(self, state):
        def on_report(v, progress=gr.Progress()):
            progress(0, desc=text("report_writing", v.lang))
            try:
                return gr.update(value=str(overview.report_file(self.core, v.lang)), visible=True)
            except UserError as e:
                raise gr.Error(e.text(v.lang)) from None

        # The report is written in the visitor's language when asked, and not kept in the
        # visitor's state: after a switch of language the button writes it in the new one.
        self.report_button.click(on_report, [state], [self.report_file], **PAGE_EVENT)

        def on_data_set(v, data_set):
            return answer(self, state, v, lambda v: replace(v, data_set=data_set or overview.THUCNEWS))

        self.data_set.input(on_data_set, [state, self.data_set], [state, *self.views], **PAGE_EVENT)

    def refresh(self, lang):
        """The data set picker's choices as the models folders now loaded."""
        return {
            self.data_set: gr.update(
                choices=overview.data_sets(self.core.registry), visible=bool(self.core.registry.folders)
            )
        }

    @staticmethod
    def forget(v):
        return replace(v, data_set=overview.THUCNEWS)

    def render(self, v):
        lang, core = v.lang, self.core
        data_set = v.data_set if v.data_set in core.registry.folders else overview.THUCNEWS
        split_counts = overview.class_counts(core, data_set)
        sizes = ", ".join(f"{text('split_' + s, lang)} {sum(c):,}" for s, c in split_counts.items())
        rows = core.model_rows()
        sentence = (
            text("data_sentence", lang, counts=sizes) + " " + overview.sources_sentence(core.registry, lang)
            if data_set == overview.THUCNEWS
            else text(
                "data_sentence_own",
                lang,
                folder=data_set,
                counts=sizes,
                n=len(overview.data_set_classes(core, data_set)),
            )
        )
        out = {
            self.data_set: gr.update(value=data_set, choices=overview.data_sets(core.registry)),
            self.data_sentence: sentence,
            self.counts: pd.DataFrame(
                overview.class_count_rows(core, split_counts, lang, data_set),
                columns=[text("col_class", lang)] + [text("split_" + s, lang) for s in split_counts],
            ),
            self.models: pd.DataFrame(overview.model_table(rows, lang), columns=[text(c, lang) for c in MODEL_COLUMNS]),
            self.outlets: overview.outlet_sentences(core.registry, lang),
            self.accuracy: figures.accuracy_bars(
                overview.accuracy_bars(rows, lang), text("title_accuracy", lang), lang=lang
            ),
        }
        for name, (plot, note) in self.curves.items():
            if name not in core.models:  # unloaded since the page was drawn
                out[plot], out[note] = gr.update(visible=False), gr.update(visible=False)
                continue
            curve = overview.training_curve(core.registry, name, lang)
            out[plot] = gr.update(value=curve, visible=curve is not None)
            out[note] = gr.update(
                value=text("no_curve_linear", lang, model=model_label(name, lang)), visible=curve is None
            )
        return out
