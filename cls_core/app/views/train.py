"""Train (only with `python app.py --allow-training`): an uploaded labelled file checked, a
training's place in line and progress, the trained models. Plain values and figures in the
visitor's language; the jobs themselves are cls_core.app.training_jobs's.

    summary = file_summary("/tmp/gradio/…/mine.tsv")     # class counts and problems, kept
    status, figure = job_view(core.training, job_id, "zh-CN")
"""

import re
import shutil
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from cls_core.app import figures
from cls_core.app.i18n import text
from cls_core.app.recent import Recent
from cls_core.app.training_jobs import CANCELLED, DONE, FAILED, RUNNING, TIMED_OUT, WAITING, TrainingOptions
from cls_core.app.wording import FileProblems, UserError, model_label
from cls_core.data.labelled import check_labelled_file

MODEL_NAMES = {"textcnn": "TextCNN", "bilstm_att": "BiLSTM-attention", "linear": "Linear (TF-IDF + SVM)"}


class FileSummary(NamedTuple):
    lines: int
    class_counts: dict  # label -> lines
    problems: FileProblems  # the first problems found, worded in the visitor's language when shown
    problem_count: int

    @property
    def ok(self):
        return self.problem_count == 0


@lru_cache(maxsize=16)
def file_summary(path):
    """What check_labelled_file finds in an uploaded file, kept (a redraw of the page reads it
    again, and a 20 MB file takes seconds to read)."""
    report = check_labelled_file(path)
    return FileSummary(len(report.texts), report.class_counts, FileProblems(report), report.problem_count)


def suggested_name(path, jobs=None, typed=""):
    """A model name for an upload: the name the visitor typed if it is still free, else one
    from the file's name ('my topics.tsv' -> 'my-topics'; '我的数据.tsv' -> 'model'), with
    -2, -3, … added while a trained model or a queued job has it (jobs: the training queue)."""

    def free(name):
        try:
            jobs is None or jobs.check_name(name)
            return True
        except UserError:
            return False

    typed = (typed or "").strip()
    if typed and free(typed):
        return typed
    base = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(path).stem).strip("-")[:40] or "model"
    name, n = base, 2
    while not free(name) and n < 1000:
        name, n = f"{base[:36]}-{n}", n + 1
    return name


def model_choices(lang):
    """[(label in lang, kind)] of the models a visitor can train."""
    return [(model_label(name, lang), kind) for kind, name in MODEL_NAMES.items()]


def submit(core, path, model, epochs, name):
    """Queue a training of the uploaded file; returns the job (UserError when it cannot be queued)."""
    if core.training is None:
        raise UserError("error_train_off")
    if not path:
        raise UserError("error_train_no_upload")
    try:
        epochs = int(epochs)
    except (TypeError, ValueError):
        epochs = 0
    return core.training.submit(path, TrainingOptions(model or "", epochs, (name or "").strip()))


def job_view(jobs, job_id, lang):
    """(status line in Markdown, figure of the curves so far or None) of one job; ("", None)
    for no job (or one this run of the app does not know)."""
    job = jobs.job(job_id) if job_id else None
    if job is None:
        return "", None
    p, options = job.progress(), job.options
    fields = dict(
        model=model_label(MODEL_NAMES[options.model], lang),
        name=options.name,
        epochs=options.epochs,
        seconds=round(p["elapsed"]),
    )
    if p["state"] == WAITING:
        status = text("train_waiting", lang, ahead=(jobs.position(job_id) or 1), **fields)
    elif p["state"] == RUNNING and options.model == "linear":  # fitted in one pass: no epochs to count
        status = text("train_running_linear", lang, **fields)
    elif p["state"] == RUNNING:
        epoch = p["epochs"][-1]["epoch"] if p["epochs"] else 0
        status = text("train_running", lang, epoch=epoch, **fields)
    elif p["state"] == DONE and options.name not in jobs.trained_models():  # deleted since
        status = text("train_deleted", lang, **fields)
    elif p["state"] == DONE:
        status = text("train_done", lang, names=", ".join(p["model_names"]), **fields)
        if p["epochs"] and p["epochs"][-1].get("dev_acc") is not None:
            status += " " + text("train_dev_accuracy", lang, acc=f"{max(e['dev_acc'] for e in p['epochs']):.1%}")
    elif p["state"] == FAILED:
        status = text("train_failed", lang, **fields) + "\n\n```\n" + p["error"].replace("```", "'''") + "\n```"
    elif p["state"] == TIMED_OUT:
        status = text("train_timed_out", lang, minutes=f"{jobs.max_seconds / 60:g}", **fields)
    else:
        status = text("train_cancelled", lang, **fields)
    return status, curves(p, lang) if p["state"] not in (CANCELLED,) else None


def curves(progress, lang):
    """The running training loss per step and dev loss and accuracy per epoch, so far."""
    if not progress["steps"] and not progress["epochs"]:
        return None
    steps = [s for s, _ in progress["steps"]]
    losses = [loss for _, loss in progress["steps"]]
    return figures.training_curves(
        (steps, losses, text("train_loss_recent", lang)),
        progress["epochs"],
        text("title_training", lang, model=progress["options"].name),
        lang,
    )


_copies = Recent(32)  # (checkpoint path, its mtime) -> its copy in the downloads folder


def checkpoint_download(core, name):
    """A copy of the trained model's checkpoint in the app's downloads folder, named
    NAME-MODEL.pt (None if it has none): Gradio serves that folder's files, never models/
    itself, where the folders hold the visitors' splits (dev.tsv, test.tsv) too."""
    checkpoint = core.training.checkpoint(name) if name else None
    if checkpoint is None:
        return None
    key = (checkpoint, checkpoint.stat().st_mtime_ns)

    def copy_it():
        copy = core.downloads.new_path(f"{name}-{checkpoint.name}")
        shutil.copyfile(checkpoint, copy)
        return copy

    copy = _copies.get(key, copy_it)
    if not copy.exists():  # the downloads folder drops files after an hour
        _copies.forget(lambda k: k == key)
        copy = _copies.get(key, copy_it)
    return copy


def is_active(jobs, job_id):
    """Whether the job is waiting or running (the page polls it meanwhile)."""
    job = jobs.job(job_id) if job_id else None
    return job is not None and job.state in (WAITING, RUNNING)
