"""Experiments: the tutorials' claims about recurrent networks, measured on our data."""

import gradio as gr

from cls_core.app.i18n import text
from cls_core.app.tabs.common import hidden, shown
from cls_core.app.views.experiments import experiment_figures

PLOTS = ("cells", "pad_size", "batch_size", "gradients_trained", "gradients_init")


class ExperimentsTab:
    name = "experiments"

    def __init__(self, core, words):
        self.core = core
        words(gr.Markdown, ("value", "experiments_intro"))
        self.missing = gr.Markdown(visible=False)
        self.plots = [gr.Plot(show_label=False, visible=False) for _ in PLOTS]
        self.views = [self.missing, *self.plots]

    @staticmethod
    def forget(v):  # nothing the visitor asked for: nothing to drop
        return v

    def render(self, v):
        found = experiment_figures(self.core, v.lang)
        if found is None:
            return {
                self.missing: gr.update(value=text("experiments_missing", v.lang), visible=True),
                **{plot: hidden() for plot in self.plots},
            }
        return {
            self.missing: gr.update(visible=False),
            **{plot: shown(found.get(key)) for plot, key in zip(self.plots, PLOTS)},
        }
