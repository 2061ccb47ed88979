"""Train (only with `python app.py --allow-training`): upload a labelled file, see its class
counts and every problem in it, train a model on it, watch the loss and dev accuracy live,
cancel, open the trained model in Predict, download or delete trained models. The jobs are
cls_core.app.training_jobs's, the words and figures cls_core.app.views.train's."""

from dataclasses import replace

import gradio as gr

from cls_core.app.concurrency import PAGE_EVENT
from cls_core.app.i18n import text
from cls_core.app.tabs.common import answer, hint_update, shown, table
from cls_core.app.training_jobs import DONE, MAX_EPOCHS
from cls_core.app.views.train import (
    checkpoint_download,
    file_summary,
    is_active,
    job_view,
    model_choices,
    submit,
    suggested_name,
)
from cls_core.app.wording import UserError
from cls_core.data.labelled import MAX_BYTES, MAX_CLASSES, MAX_LINES, MIN_CLASSES, MIN_EXAMPLES

POLL_SECONDS = 1.0  # how often a visitor's page asks how their training is going


def without_unserved(v, served):
    """v without the models no longer served: a deleted model leaves no panel, pick or report."""
    models = tuple(m for m in v.models if m in served)
    return replace(
        v,
        models=models,
        predicted=v.predicted and bool(models),
        inside_model=v.inside_model if v.inside_model in served else "",
        map_model=v.map_model if v.map_model in served else "",
        evaluated=tuple(m for m in v.evaluated if m in served),
    )


class TrainTab:
    name = "train"

    def __init__(self, core, words):
        self.core, self.jobs = core, core.training
        words(
            gr.Markdown,
            (
                "value",
                "train_intro",
                dict(
                    mb=MAX_BYTES // 2**20,
                    lines=f"{MAX_LINES:,}",
                    min_classes=MIN_CLASSES,
                    max_classes=MAX_CLASSES,
                    min_examples=MIN_EXAMPLES,
                    minutes=f"{self.jobs.max_seconds / 60:g}",
                ),
            ),
        )
        self.file = words(
            gr.File,
            ("label", "train_file"),
            # any file: a wrong one is worded beside it in the page's language (check_labelled_file),
            # not refused by Gradio with a toast in English
            type="filepath",
            height=120,
            elem_id="train-file",
        )
        self.checked = gr.Markdown(elem_id="train-checked")
        with gr.Row():
            self.counts = words(gr.Dataframe, ("label", "train_counts"), interactive=False, visible=False, scale=1)
            self.problems = words(
                gr.Textbox,
                ("label", "train_problems"),
                interactive=False,
                visible=False,
                lines=8,
                max_lines=20,
                scale=2,
                elem_id="train-problems",
            )
        with gr.Row():
            self.model = words(
                gr.Dropdown,
                ("label", "train_model"),
                choices=model_choices(words.lang),
                value="textcnn",
                interactive=True,
                elem_id="train-model",
            )
            self.epochs = words(
                gr.Slider,
                ("label", "train_epochs"),
                minimum=1,
                maximum=MAX_EPOCHS,
                step=1,
                value=5,
                interactive=True,
                elem_id="train-epochs",
            )
            self.model_name = words(
                gr.Textbox,
                ("label", "train_name"),
                ("placeholder", "train_name_placeholder"),
                interactive=True,
                max_lines=1,
                elem_id="train-name",
            )
        with gr.Row():
            self.train = words(gr.Button, ("value", "train_button"), variant="primary")
            self.cancel = words(gr.Button, ("value", "train_cancel"), variant="stop", visible=False)
        self.hint = gr.Markdown(visible=False, elem_classes="hint")
        self.status = gr.Markdown(elem_id="train-status")
        self.curves = gr.Plot(show_label=False, visible=False, elem_id="train-curves")
        self.open = words(gr.Button, ("value", "train_open"), visible=False, variant="primary", elem_id="train-open")
        with gr.Row(equal_height=True):
            self.trained = words(
                gr.Dropdown,
                ("label", "train_models"),
                choices=[],
                value=None,
                interactive=True,
                scale=2,
                elem_id="train-models",
            )
            self.download = words(
                gr.DownloadButton, ("label", "train_download"), visible=False, scale=1, elem_id="train-download"
            )
            self.delete = words(
                gr.Button, ("value", "train_delete"), variant="stop", visible=False, scale=1, elem_id="train-delete"
            )
        with gr.Row(equal_height=True):
            self.confirm = gr.Markdown(visible=False, elem_id="train-confirm")
            self.delete_yes = words(
                gr.Button, ("value", "train_delete_yes"), variant="stop", visible=False, elem_id="train-delete-yes"
            )
            self.delete_keep = words(gr.Button, ("value", "train_delete_keep"), visible=False, elem_id="train-keep")
        words(gr.Markdown, ("value", "train_who"), elem_classes="hint")
        self.timer = gr.Timer(POLL_SECONDS, active=False)
        self.views = [
            self.hint,
            self.checked,
            self.counts,
            self.problems,
            self.cancel,
            self.status,
            self.curves,
            self.open,
            self.trained,
            self.download,
            self.delete,
            self.confirm,
            self.delete_yes,
            self.delete_keep,
            self.timer,
        ]

    def render(self, v):
        lang = v.lang
        out = {self.hint: hint_update(v, self.name)}
        summary = file_summary(v.train_upload) if v.train_upload else None
        if summary is None:
            out.update(
                {
                    self.checked: "",
                    self.counts: gr.update(visible=False),
                    self.problems: gr.update(visible=False, value=""),
                }
            )
        else:
            key = "train_checked_ok" if summary.ok else "train_checked_problems"
            out[self.checked] = text(
                key, lang, lines=f"{summary.lines:,}", classes=len(summary.class_counts), problems=summary.problem_count
            )
            out[self.counts] = table(
                list(summary.class_counts.items()), [text("col_label", lang), text("col_lines", lang)]
            )
            out[self.problems] = gr.update(value=summary.problems.worded(lang), visible=not summary.ok)
        status, figure = job_view(self.jobs, v.train_job, lang)
        job = self.jobs.job(v.train_job) if v.train_job else None
        out[self.status] = status
        out[self.curves] = shown(figure)
        trained = self.jobs.trained_models()
        out[self.open] = gr.update(visible=job is not None and job.state == DONE and job.options.name in trained)
        chosen = v.train_model if v.train_model in trained else None
        out[self.trained] = gr.update(choices=trained, value=chosen)
        checkpoint = checkpoint_download(self.core, chosen)
        out[self.download] = gr.update(value=str(checkpoint) if checkpoint else None, visible=checkpoint is not None)
        asking = chosen is not None and v.train_deleting == chosen
        out[self.delete] = gr.update(visible=chosen is not None and not asking)
        out[self.confirm] = gr.update(
            value=text("train_confirm_delete", lang, name=chosen) if asking else "", visible=asking
        )
        out[self.delete_yes] = gr.update(visible=asking)
        out[self.delete_keep] = gr.update(visible=asking)
        active = is_active(self.jobs, v.train_job)
        out[self.cancel] = gr.update(visible=active)
        out[self.timer] = gr.update(active=active)
        return out

    @staticmethod
    def forget(v):
        return replace(v, train_upload="")

    def wire(self, state, redraw, pickers):
        """redraw: the page's redraw counter; "Open in Predict" bumps it, so that the page is drawn
        again with the new model among Predict's models. pickers(lang): {picker: update} of the
        other tabs' model pickers, refreshed when a model comes (a training ends) or goes."""
        outputs = [state, *self.views]
        models_changed = [*outputs, *pickers("en")]

        def on_upload(v, path, name):
            out = answer(self, state, v, lambda v: replace(v, train_upload=path or ""))
            # a name still free: the one typed, else the file's (not a name trained already)
            return {**out, self.model_name: suggested_name(path, self.jobs, name) if path else name}

        def on_train(v, model, epochs, name):
            def change(v):
                job = submit(self.core, v.train_upload, model, epochs, name)
                return replace(v, train_job=job.id, train_upload="")  # the file is the job's now

            out = answer(self, state, v, change)
            started = out[state].train_job != v.train_job
            return {**out, self.file: None if started else gr.update()}

        def on_cancel(v):
            if v.train_job:
                self.jobs.cancel(v.train_job)
            return answer(self, state, v)

        def on_tick(v):
            job = self.jobs.job(v.train_job) if v.train_job else None
            if job is not None and job.state == DONE and v.train_model != job.options.name:
                # the first tick after the end: the new model, picked to download, in every picker
                return {**answer(self, state, replace(v, train_model=job.options.name)), **pickers(v.lang)}
            return answer(self, state, v)

        def on_open(v, count):
            job = self.jobs.job(v.train_job) if v.train_job else None
            if job is None or not job.model_names:
                return {state: v, redraw: count}
            return {state: replace(v, tab="predict", models=tuple(job.model_names), predicted=False), redraw: count + 1}

        def on_delete(v):
            """The first click only asks: the delete happens on "Yes, delete it"."""
            return answer(self, state, v, lambda v: replace(v, train_deleting=v.train_model))

        def on_confirm(v):
            def change(v):
                if not v.train_model or v.train_deleting != v.train_model:
                    raise UserError("error_train_no_model", name=v.train_model)
                self.jobs.delete(v.train_model)
                # what this visitor had picked of the deleted model goes too (Predict's panel, ...)
                return without_unserved(replace(v, train_model="", train_deleting=""), self.core.model_names())

            return {**answer(self, state, v, change), **pickers(v.lang)}

        self.file.upload(on_upload, [state, self.file, self.model_name], [*outputs, self.model_name], **PAGE_EVENT)
        self.file.clear(
            lambda v: answer(self, state, v, lambda v: replace(v, train_upload="")), state, outputs, **PAGE_EVENT
        )
        self.train.click(
            on_train, [state, self.model, self.epochs, self.model_name], [*outputs, self.file], **PAGE_EVENT
        )
        self.cancel.click(on_cancel, state, outputs, **PAGE_EVENT)
        self.timer.tick(on_tick, state, models_changed, **PAGE_EVENT)
        self.open.click(on_open, [state, redraw], [state, redraw], **PAGE_EVENT)
        self.trained.select(
            lambda v, name: answer(self, state, v, lambda v: replace(v, train_model=name or "", train_deleting="")),
            [state, self.trained],
            outputs,
            **PAGE_EVENT,
        )
        self.delete.click(on_delete, state, outputs, **PAGE_EVENT)
        self.delete_yes.click(on_confirm, state, models_changed, **PAGE_EVENT)
        self.delete_keep.click(
            lambda v: answer(self, state, v, lambda v: replace(v, train_deleting="")), state, outputs, **PAGE_EVENT
        )
