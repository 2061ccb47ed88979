"""Review (only with `python app.py --review`): what visitors corrected, counted per
(answer -> correction) pair, each correction, and the TSV that training folds in
(`python -m cls_core.train --extra-train corrections.tsv`)."""

import gradio as gr

from cls_core.app.concurrency import PAGE_EVENT
from cls_core.app.i18n import class_name, text
from cls_core.app.tabs.common import hint_update, table

ROWS_SHOWN = 500


class ReviewTab:
    name = "review"

    def __init__(self, core, words):
        self.store = core.corrections.store
        self.intro = gr.Markdown()
        self.refresh = words(gr.Button, ("value", "review_refresh"), size="sm", scale=0)
        self.hint = gr.Markdown(visible=False, elem_classes="hint")
        self.pairs = words(gr.Dataframe, ("label", "review_pairs"), interactive=False, visible=False)
        self.rows = words(
            gr.Dataframe, ("label", "review_rows"), interactive=False, visible=False, wrap=True, max_height=600
        )
        self.export = words(gr.Button, ("value", "review_export"))
        self.file = words(gr.File, ("label", "review_download"), visible=False)
        self.core = core
        self.views = [self.intro, self.hint, self.pairs, self.rows]

    def render(self, v):
        lang = v.lang
        pairs = [(class_name(a, lang), class_name(c, lang), n) for a, c, n in self.store.pair_counts()]
        rows = [
            (
                r["id"],
                r["created"][:19].replace("T", " "),
                r["headline"],
                r["model"],
                class_name(r["answer"], lang),
                round(r["probability"], 3),
                class_name(r["correction"], lang),
            )
            for r in self.store.rows(limit=ROWS_SHOWN)
        ]
        headers = [
            "#",
            *(
                text(k, lang)
                for k in ("col_time", "col_headline", "col_model", "col_answer", "col_probability", "col_correction")
            ),
        ]
        return {
            self.intro: text("review_intro", lang, n=self.store.count()),
            self.hint: hint_update(v, self.name),
            self.pairs: table(pairs, [text(k, lang) for k in ("col_answer", "col_correction", "col_count")]),
            self.rows: table(rows, headers),
        }

    @staticmethod
    def forget(v):
        return v

    def wire(self, state):
        def on_export():
            path = self.core.downloads.new_path("corrections.tsv")
            # the shipped models' label set: a file --extra-train takes whole
            self.store.export(path, classes=set(self.core.classes))
            return gr.update(value=str(path), visible=True)

        self.refresh.click(self.render, state, self.views, **PAGE_EVENT)
        self.export.click(on_export, None, self.file, **PAGE_EVENT)
