"""Evaluate: the chosen model on the whole test split (the report computed once, then kept),
its confusion matrix with the headlines behind each cell, calibration and coverage, accuracy
by slices, where the models disagree, and whether attention explains the predictions. Each
visitor's views show the models that visitor evaluated."""

from dataclasses import replace

import gradio as gr

from cls_core.app import figures
from cls_core.app.concurrency import EVALUATE_EVENT, INSPECT_EVENT, PAGE_EVENT
from cls_core.app.i18n import text
from cls_core.app.served_data import TEST_SETS
from cls_core.app.tabs.common import answer, hidden, hint_update, shown, table
from cls_core.app.views import evaluate
from cls_core.app.wording import UserError, model_label

COLUMNS = ("col_class", "col_precision", "col_recall", "col_f1", "col_support")
CELL_COLUMNS = ("col_headline", "col_true", "col_predicted", "col_probability")
AGREEMENT_COLUMNS = ("col_model", "col_pair", "col_mean", "col_median", "col_headlines")


class EvaluateTab:
    name = "evaluate"

    def __init__(self, core, words):
        self.core = core
        names = core.model_names()
        with gr.Row():
            self.model = words(
                gr.Dropdown,
                ("label", "eval_model"),
                interactive=True,
                choices=core.registry.choices(words.lang),
                value=names[0] if names else None,
            )
            self.test_set = words(
                gr.Radio,
                ("label", "test_set_label"),
                interactive=True,
                choices=[(text(f"test_set_{s}", words.lang), s) for s in TEST_SETS],
                value="test",
            )
            self.normalize = words(gr.Checkbox, ("label", "row_normalised"), interactive=True)
            self.button = words(gr.Button, ("value", "eval_button"), variant="primary")
        self.hint = gr.Markdown(visible=False, elem_classes="hint")
        self.summary = gr.Markdown()
        self.per_class = words(gr.Dataframe, ("label", "per_class"), interactive=False, visible=False)
        self.confusion = words(
            gr.Dataframe,
            ("label", "confusion_label"),
            interactive=False,
            visible=False,
            max_height=700,
            wrap=True,
            elem_id="confusion",
        )
        self.cell_message = gr.Markdown()
        self.cell_rows = words(gr.Dataframe, ("label", "cell_rows"), interactive=False, wrap=True, visible=False)
        with gr.Row():
            self.reliability = gr.Plot(show_label=False, visible=False)
            self.coverage = gr.Plot(show_label=False, visible=False)
        with gr.Row():
            self.by_length = gr.Plot(show_label=False, visible=False)
            self.by_unknown = gr.Plot(show_label=False, visible=False)
        self.predictions = words(gr.File, ("label", "csv_label"), visible=False)
        with words(gr.Accordion, ("label", "agree_title"), open=False):
            words(gr.Markdown, ("value", "agree_intro"))
            self.agree_button = words(gr.Button, ("value", "agree_button"))
            self.agree_message = gr.Markdown()
            self.agree_plot = gr.Plot(show_label=False, visible=False)
            self.agree_rows = gr.Dataframe(interactive=False, visible=False)
        with words(gr.Accordion, ("label", "disagree_title"), open=False):
            self.disagree_button = words(gr.Button, ("value", "disagree_button"))
            self.disagree_message = gr.Markdown()
            self.disagree_rows = gr.Dataframe(interactive=False, wrap=True, visible=False)
        self.results = [
            self.hint,
            self.summary,
            self.per_class,
            self.confusion,
            self.cell_message,
            self.cell_rows,
            self.reliability,
            self.coverage,
            self.by_length,
            self.by_unknown,
            self.predictions,
            self.agree_message,
            self.agree_plot,
            self.agree_rows,
            self.disagree_message,
            self.disagree_rows,
        ]
        # the pickers name what is shown (after a switch of language the page is drawn anew)
        self.views = [*self.results, self.model, self.test_set]
        self.opens_inside = False  # a cell's headline opens in Inside once wired to it (wire)

    def render(self, v, progress=None):
        lang = v.lang
        out = {view: hidden() for view in self.results}
        out.update(
            {
                self.hint: hint_update(v, self.name),
                self.summary: text("eval_intro", lang),
                self.cell_message: "",
                self.agree_message: "",
                self.disagree_message: "",
            }
        )
        if v.evaluated:
            out.update(self._report(v))
            out.update({self.model: gr.update(value=v.evaluated[-1]), self.test_set: gr.update(value=v.test_set)})
        if v.agreement:
            out.update(self._agreement(lang, progress))
        if v.disagreements:  # the models of the label set last evaluated (the shipped ones at first)
            last = v.evaluated[-1] if v.evaluated else None
            singles, rows, total = evaluate.disagreements(self.core, lang=lang, name=last, test_set=v.test_set)
            headers = [text("col_headline", lang), text("col_true", lang)] + [model_label(m, lang) for m in singles]
            out[self.disagree_rows] = table(rows, headers)
            out[self.disagree_message] = text(
                "disagree_message",
                lang,
                total=total,
                n=len(self.core.test_split(singles[0], v.test_set)),
                shown=len(rows),
            )
        return out

    def _report(self, v):
        lang, core = v.lang, self.core
        report = evaluate.evaluation_report(core, v.evaluated[-1], test_set=v.test_set)
        by_length, by_unknown = evaluate.slices(core, v.evaluated, lang, v.test_set)
        out = {
            self.summary: evaluate.evaluation_summary(report, lang),
            self.per_class: table(evaluate.per_class_rows(report, lang), [text(c, lang) for c in COLUMNS]),
            self.confusion: gr.update(value=evaluate.confusion_table(core, report, v.normalized, lang), visible=True),
            self.cell_message: text("cell_hint", lang),
            self.reliability: shown(figures.reliability_diagram(report["reliability"], lang)),
            self.coverage: shown(
                figures.coverage_chart(evaluate.coverage_curves(core, v.evaluated, lang, v.test_set), lang)
            ),
            self.by_length: shown(by_length),
            self.by_unknown: shown(by_unknown),
            self.predictions: shown(v.predictions_csv or None),
        }
        if v.cell:
            rows, out[self.cell_message] = evaluate.cell_headlines(core, report, *v.cell, lang)
            out[self.cell_rows] = table(rows, [text(c, lang) for c in CELL_COLUMNS])
            if self.opens_inside and rows:
                out[self.cell_message] += "  \n" + evaluate.cell_inside_line(core, report, *v.cell, lang)
        return out

    def _agreement(self, lang, progress):
        report = (
            (lambda fraction, what: progress(fraction, desc=f"{text('agreeing', lang)}: {what}")) if progress else None
        )
        figure, rows = evaluate.attention_agreement(self.core, lang, progress=report)
        return {
            self.agree_plot: shown(figure),
            self.agree_rows: table(rows, [text(c, lang) for c in AGREEMENT_COLUMNS]),
        }

    def refresh(self, lang):
        """The model picker's choices as the models now loaded (models come and go)."""
        return {self.model: gr.update(choices=self.core.registry.choices(lang))}

    @staticmethod
    def forget(v):
        return replace(v, agreement=False, disagreements=False)

    def wire(self, state, inside=None, tabs=None):
        """The tab's events; given the Inside tab and the page's tabs, a click on a headline of
        a confusion cell opens it in Inside, explaining the predicted topic rather than the true one."""
        outputs = [state, *self.views]

        def on_evaluate(v, name, test_set, normalized, progress=gr.Progress()):
            def change(v):
                progress(0, desc=text("evaluating", v.lang))
                report = evaluate.evaluation_report(
                    self.core, name, progress=lambda f: progress(f, desc=text("evaluating", v.lang)), test_set=test_set
                )
                path = evaluate.predictions_csv(self.core, report)
                # the views compare the models evaluated on one test set: another set starts afresh
                before = v.evaluated if test_set == v.test_set else ()
                return replace(
                    v,
                    evaluated=tuple(m for m in before if m != name) + (name,),
                    test_set=test_set,
                    normalized=bool(normalized),
                    cell=(),
                    predictions_csv=str(path),
                )

            return answer(self, state, v, change)

        def on_normalize(v, normalized):
            return answer(self, state, v, lambda v: replace(v, normalized=bool(normalized)))

        def on_cell(v, evt: gr.SelectData):
            def change(v):
                if not v.evaluated:
                    raise UserError("error_run_evaluation")
                row, col = evt.index
                if col == 0:
                    raise UserError("error_click_number")
                return replace(v, cell=(row, col - 1))

            return answer(self, state, v, change)

        def on_agreement(v, progress=gr.Progress()):
            progress(0, desc=text("agreeing", v.lang))
            return answer(self, state, v, lambda v: replace(v, agreement=True), progress=progress)

        def on_disagree(v, progress=gr.Progress()):
            progress(0, desc=text("scoring_all", v.lang))
            return answer(self, state, v, lambda v: replace(v, disagreements=True))

        self.button.click(
            on_evaluate,
            [state, self.model, self.test_set, self.normalize],
            outputs,
            show_progress_on=[self.summary],
            **EVALUATE_EVENT,
        )
        self.normalize.input(on_normalize, [state, self.normalize], outputs, **PAGE_EVENT)
        self.confusion.select(on_cell, [state], outputs, **PAGE_EVENT)
        self.agree_button.click(on_agreement, [state], outputs, show_progress_on=[self.agree_message], **EVALUATE_EVENT)
        self.disagree_button.click(
            on_disagree, [state], outputs, show_progress_on=[self.disagree_message], **EVALUATE_EVENT
        )
        if inside is not None and tabs is not None:
            self._wire_inside(state, inside, tabs)

    def _wire_inside(self, state, inside, tabs):
        self.opens_inside = True

        def on_headline(v, evt: gr.SelectData):
            if not v.evaluated or not v.cell:
                return {state: v}
            report = evaluate.evaluation_report(self.core, v.evaluated[-1], test_set=v.test_set)
            model, topic, rather_than = evaluate.cell_question(self.core, report, *v.cell)
            return {
                tabs: gr.update(selected="inside"),
                **inside.opened(state, replace(v, tab="inside"), evt.row_value[0], model, topic, rather_than),
            }

        self.cell_rows.select(
            on_headline, [state], [tabs, inside.headline, inside.model, state, *inside.views], **INSPECT_EVENT
        )
