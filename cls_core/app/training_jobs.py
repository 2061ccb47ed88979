"""Training in the browser, without Gradio: a queue of training jobs run one at a time.

    jobs = TrainingQueue("models", registry.add_folder, 1800, on_removed=registry.remove_folder)
    job = jobs.submit("upload.tsv", TrainingOptions("textcnn", epochs=5, name="my-topics"))
    jobs.position(job.id)      # 0 while it runs, n while n-1 jobs are ahead of it
    job.progress()             # its state, loss per step, dev accuracy per epoch, its error
    jobs.cancel(job.id)        # at any time: the partial run leaves nothing behind

A job runs the training command line (`python -m cls_core.train ... --train-file FILE --out
STAGING/NAME/MODEL.pt`) as a process of its own: in a process group of its own (so that a
cancel stops all of it), at a lower priority and on one thread, so that the page stays
responsive for other visitors while it trains. It writes into a staging folder,
models/.staging/JOB/; its log (MODEL.log.jsonl, a JSON object a line) is read as it grows for
live progress. On success the staging folder NAME/ is renamed to models/NAME (one rename: a
model is there whole or not at all) and handed to `on_trained` (the registry's add_folder);
on failure, cancel or time-out the staging folder goes. The uploaded file belongs to its job
from submission on and goes when the run ends, whatever the end.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from cls_core.app.registry import model_files
from cls_core.app.wording import FileProblems, UserError
from cls_core.data.labelled import check_labelled_file
from cls_core.models.checkpoint import checkpoint_file_name

MODELS = ("textcnn", "bilstm_att", "linear")
MAX_EPOCHS = 50
MAX_WAITING = 5  # jobs in line behind the running one; more are refused at once
ENDED_JOBS_KEPT = 100  # ended jobs remembered (a visitor's page shows its last one's end); older ones go
NAME_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,40}")
STAGING = ".staging"  # models/.staging/JOB/: where a run writes until it has succeeded
NICENESS = 10  # a training yields the CPU to the page's requests
KILL_GRACE_SECONDS = 5  # after SIGTERM, before SIGKILL
ERROR_LINES = 20  # of a failed run's output, shown when it printed no `error:` line
# In each folder this app's training made: the mark that visitors may download and delete it.
# The operator's own models under --models have none, and stay out of the Train tab's reach.
TRAINED_HERE = "trained-here.json"

# A job's states; the last four are ends.
WAITING, RUNNING, DONE, FAILED, CANCELLED, TIMED_OUT = "waiting", "running", "done", "failed", "cancelled", "timed_out"
ENDED = (DONE, FAILED, CANCELLED, TIMED_OUT)


@dataclass(frozen=True)
class TrainingOptions:
    model: str  # one of MODELS
    epochs: int
    name: str  # the folder models/NAME; its models are served as NAME/MODEL


TRAIN_SHARE = 0.8  # of a file's lines, what the training CLI trains on (the rest: dev, test)


def batch_size(lines, largest=64, smallest=8, fewest_steps=20):
    """Headlines per step: the CLI's 64, less for a small file, so that an epoch has at least
    fewest_steps steps (a handful of steps leaves the learning-rate schedule nothing to do)."""
    return max(smallest, min(largest, int(lines * TRAIN_SHARE) // fewest_steps))


def log_every(lines, points_per_epoch=50):
    """How many steps between two log lines, so that an epoch gives about points_per_epoch
    points of the loss curve whatever the file's size."""
    steps = max(1, int(lines * TRAIN_SHARE) // batch_size(lines))
    return max(1, steps // points_per_epoch)


def training_command(upload, options, out, lines, device="cpu", data_dir=None):
    """The command line of one training: the training CLI on the uploaded file (it carves the
    dev and test splits, and picks the networks' first character vectors: --embedding auto,
    Tencent's where the app's data folder, data_dir, holds them)."""
    command = [
        sys.executable,
        "-m",
        "cls_core.train",
        "--model",
        options.model,
        "--train-file",
        str(upload),
        "--epochs",
        str(options.epochs),
        "--out",
        str(out),
        "--device",
        device,
    ]
    if data_dir is not None:
        command += ["--data-dir", str(data_dir)]
    if options.model != "linear":
        command += ["--batch-size", str(batch_size(lines)), "--log-every", str(log_every(lines))]
    return command


@dataclass
class Job:
    """One training: the uploaded file, what to train, and how it is going."""

    id: str
    upload: Path
    options: TrainingOptions
    lines: int = 0
    state: str = WAITING
    steps: list = field(default_factory=list)  # [(step, running training loss)]
    epochs: list = field(default_factory=list)  # [{"epoch", "step", "dev_acc", "dev_loss", "elapsed"}]
    error: str = ""
    model_names: list = field(default_factory=list)  # what the registry serves once it is done
    started: float = 0.0
    ended: float = 0.0
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)

    def progress(self):
        """A copy of what the page shows: the state, the curves so far, the error, the models."""
        elapsed = ((self.ended or time.monotonic()) - self.started) if self.started else 0.0
        return {
            "state": self.state,
            "steps": list(self.steps),
            "epochs": list(self.epochs),
            "error": self.error,
            "model_names": list(self.model_names),
            "elapsed": elapsed,
            "options": self.options,
        }

    def record(self, log_records):
        """Take in the lines the trainer's log gained (cls_core.training.train's NAME.log.jsonl)."""
        for r in log_records:
            if r.get("type") == "step":
                self.steps.append((r["step"], r.get("window_loss", r.get("train_loss"))))
            elif r.get("type") == "epoch":
                self.epochs.append({k: r.get(k) for k in ("epoch", "step", "dev_acc", "dev_loss", "elapsed")})


def read_new_lines(path, offset):
    """(records, new offset): the whole JSON lines written to path after offset (a line still
    being written waits for the next read)."""
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            chunk = f.read()
    except FileNotFoundError:
        return [], offset
    end = chunk.rfind(b"\n") + 1
    records = []
    for line in chunk[:end].splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue  # not ours to judge: the log is the trainer's
    return records, offset + end


def error_text(output):
    """What a failed run says: its `error: ...` lines, else the end of its output."""
    lines = output.strip().splitlines()
    errors = [line for line in lines if line.startswith("error:")]
    return "\n".join(errors or lines[-ERROR_LINES:])


class TrainingQueue:
    """Training jobs, one running at a time on a worker thread of its own, the others in line.

    models_dir: where trained models go (models/NAME); on_trained(folder) -> [model names]
    serves a finished one, on_removed(NAME) unserves one; max_seconds: a run's time limit;
    command(upload, options, out, lines) -> argv: the training command line
    (training_command, or a stand-in in tests)."""

    def __init__(
        self, models_dir, on_trained=None, max_seconds=1800, command=training_command, poll_seconds=0.5, on_removed=None
    ):
        self.models_dir = Path(models_dir)
        self.staging = self.models_dir / STAGING
        self.on_trained = on_trained or (lambda folder: [folder.name])
        self.on_removed = on_removed or (lambda name: None)
        self.max_seconds = max_seconds
        self.command = command
        self.poll_seconds = poll_seconds
        self._jobs = {}  # id -> Job, every job of this process
        self._waiting = deque()  # ids, first in line first
        self._running = None  # the id of the job running
        self._lock = threading.Condition()
        self._closed = False
        # what a crashed or killed app left in staging is of no use to anyone
        shutil.rmtree(self.staging, ignore_errors=True)
        self._worker = threading.Thread(target=self._work, name="training-queue", daemon=True)
        self._worker.start()

    # --- what a visitor asks --------------------------------------------------------------

    def check_name(self, name):
        """A UserError unless name can name a new model: letters, digits, - and _, at most 40,
        and neither a trained model nor a job's already."""
        if not NAME_PATTERN.fullmatch(name or ""):
            raise UserError("error_train_name")
        with self._lock:
            pending = {j.options.name for j in self._jobs.values() if j.state in (WAITING, RUNNING)}
        if name in pending or (self.models_dir / name).exists():
            raise UserError("error_train_name_taken", name=name)

    def submit(self, upload, options):
        """Check the file, the name and the options, then queue a job; the job copies the
        uploaded file into its staging folder (Gradio's cache keeps and clears the upload).
        Raises UserError when the job cannot be queued (nothing is queued then)."""
        if options.model not in MODELS:
            raise UserError("error_train_model")
        if not (isinstance(options.epochs, int) and 1 <= options.epochs <= MAX_EPOCHS):
            raise UserError("error_train_epochs", max=MAX_EPOCHS)
        self.check_name(options.name)
        report = check_labelled_file(upload)
        if not report.ok:
            raise UserError("error_train_file", problems=FileProblems(report))
        with self._lock:
            if self._closed:
                raise UserError("error_unexpected")
            if any(j.options.name == options.name and j.state in (WAITING, RUNNING) for j in self._jobs.values()):
                raise UserError("error_train_name_taken", name=options.name)  # queued since check_name
            if len(self._waiting) >= MAX_WAITING:
                raise UserError("error_train_busy", n=MAX_WAITING)
            job_id = uuid.uuid4().hex[:12]  # random: a visitor cannot guess another's
            folder = self.staging / job_id
            folder.mkdir(parents=True)
            owned = folder / ("upload" + Path(upload).suffix.lower())
            # a copy: Gradio hands the same cached file to every visitor who uploads the same
            # bytes, so moving it away left the next one a file that was no longer there
            shutil.copyfile(upload, owned)
            job = Job(job_id, owned, options, lines=len(report.texts))
            self._forget_old_jobs()
            self._jobs[job_id] = job
            self._waiting.append(job_id)
            self._lock.notify_all()
        return job

    def _forget_old_jobs(self):
        """Keep the ENDED_JOBS_KEPT jobs that ended last (and every job not ended): a queue left
        running for months must not remember every job it ever ran. Under self._lock."""
        ended = sorted((j for j in self._jobs.values() if j.state in ENDED), key=lambda j: j.ended or 0)
        for job in ended[: max(0, len(ended) - ENDED_JOBS_KEPT)]:
            del self._jobs[job.id]

    def job(self, job_id):
        """The job of that id, or None (an unknown id, or one of an earlier run of the app)."""
        return self._jobs.get(job_id)

    def position(self, job_id):
        """0 while the job runs, n while it is n-th in line, None once it has ended."""
        with self._lock:
            if job_id == self._running:
                return 0
            if job_id in self._waiting:
                return self._waiting.index(job_id) + 1
            return None

    def cancel(self, job_id):
        """Stop a job: one in line leaves it, a running one is stopped (SIGTERM, then SIGKILL);
        either way its staging folder and upload go. A job that has ended stays as it was."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.state in ENDED:
                return
            job._cancel.set()
            if job_id in self._waiting:
                self._waiting.remove(job_id)
                self._end(job, CANCELLED)
            self._lock.notify_all()

    def trained_models(self):
        """The folders this app's training made (models/NAME, marked TRAINED_HERE), by name:
        the only ones a visitor may download or delete."""
        if not self.models_dir.is_dir():
            return []
        return sorted(
            p.name
            for p in self.models_dir.iterdir()
            if p.is_dir() and NAME_PATTERN.fullmatch(p.name) and (p / TRAINED_HERE).is_file()
        )

    def checkpoint(self, name):
        """The checkpoint file of the trained model models/NAME (None if it has none, or if
        this app's training did not make it)."""
        return first_checkpoint(self.models_dir / name) if name in self.trained_models() else None

    def delete(self, name):
        """Delete the trained model models/NAME (one this app's training made): first unserved
        (on_removed), then its folder."""
        if name not in self.trained_models():
            raise UserError("error_train_no_model", name=name)
        self.on_removed(name)
        shutil.rmtree(self.models_dir / name, ignore_errors=True)

    def close(self):
        """Cancel every job (at exit)."""
        with self._lock:
            self._closed = True
            ids = list(self._jobs)
            self._lock.notify_all()  # a worker waiting for work ends
        for job_id in ids:
            self.cancel(job_id)
        self._worker.join(timeout=KILL_GRACE_SECONDS + 5)

    # --- the worker -------------------------------------------------------------------------

    def _work(self):
        while True:
            with self._lock:
                while not self._waiting and not self._closed:
                    self._lock.wait()
                if self._closed and not self._waiting:
                    return
                job = self._jobs[self._waiting.popleft()]
                self._running = job.id
                job.state, job.started = RUNNING, time.monotonic()
            try:
                self._run(job)
            except Exception as e:  # noqa: BLE001 - one job's failure must not stop the queue
                self._end(job, FAILED, f"{type(e).__name__}: {e}")
            finally:
                with self._lock:
                    self._running = None

    def _run(self, job):
        folder = self.staging / job.id
        out = folder / job.options.name / checkpoint_file_name(job.options.model)
        out.parent.mkdir(parents=True, exist_ok=True)
        log = out.with_suffix(".log.jsonl")
        with open(folder / "output.txt", "wb") as output:
            process = start_training(self.command(job.upload, job.options, out, job.lines), output)
            offset, end = 0, None
            while end is None:
                try:
                    process.wait(timeout=self.poll_seconds)
                except subprocess.TimeoutExpired:
                    pass
                records, offset = read_new_lines(log, offset)
                job.record(records)
                if job._cancel.is_set():
                    end = CANCELLED
                elif time.monotonic() - job.started > self.max_seconds:
                    end = TIMED_OUT
                elif process.returncode is not None:
                    end = DONE if process.returncode == 0 else FAILED
            if end in (CANCELLED, TIMED_OUT):
                stop(process)
        if end == FAILED:
            return self._end(job, FAILED, error_text((folder / "output.txt").read_text("utf-8", "replace")))
        if end != DONE:
            return self._end(job, end)
        self._finish(job, out.parent)

    def _finish(self, job, trained):
        """Move the staged model to models/NAME (one rename) and serve it."""
        target = self.models_dir / job.options.name
        if not any(trained.glob(checkpoint_file_name(job.options.model))):
            return self._end(job, FAILED, "the training wrote no checkpoint")
        # marked before the rename, so that models/NAME appears whole, mark included
        mark = {"model": job.options.model, "epochs": job.options.epochs, "lines": job.lines, "job": job.id}
        (trained / TRAINED_HERE).write_text(json.dumps(mark), encoding="utf-8")
        try:
            os.rename(trained, target)  # fails if a folder of that name appeared meanwhile
        except OSError:
            return self._end(job, FAILED, f"{target} exists")
        try:
            names = list(self.on_trained(target))
            problem = "" if names else "nothing in it loaded"
        except Exception as e:  # noqa: BLE001 - a model that does not load is not kept
            names, problem = [], str(e)
        if problem:
            self.on_removed(target.name)
            shutil.rmtree(target, ignore_errors=True)
            return self._end(job, FAILED, f"the trained model does not load: {problem}")
        self._end(job, DONE, names=names)

    def _end(self, job, state, error="", names=()):
        """The job's end, whatever it is: its staging folder (and the upload in it) goes."""
        job.state, job.error, job.model_names = state, error, list(names)
        job.ended = time.monotonic()
        shutil.rmtree(self.staging / job.id, ignore_errors=True)


def first_checkpoint(folder):
    """A model folder's first checkpoint file (a network's .pt, else the linear .npz), or None."""
    files = model_files(folder) if Path(folder).is_dir() else []
    return min(files, key=lambda p: (p.suffix != ".pt", p.name), default=None)


def start_training(argv, output):
    """The training process, its output (stdout and stderr) into the open file output: in a
    process group of its own (a cancel stops all of it), at a lower priority, on one thread."""
    return subprocess.Popen(
        guarded(argv),
        stdout=output,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        env=dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONUNBUFFERED="1"),
    )


def guarded(argv):
    """argv run through `nice`, yielding the CPU to the page's requests, and, where util-linux's
    setpriv is (Linux), with SIGTERM as its parent-death signal: should the app die without
    stopping it (killed, or a crash), no training outlives it (the trainer cleans up after
    SIGTERM). Commands, not a preexec_fn: Python code between fork and exec can deadlock in a
    threaded server (the subprocess documentation's warning)."""
    command = ["nice", "-n", str(NICENESS), *argv]
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "TERM", *command] if setpriv else command


def stop(process):
    """Stop a training's whole process group: SIGTERM, then SIGKILL after a grace period."""
    for sig, wait in ((signal.SIGTERM, KILL_GRACE_SECONDS), (signal.SIGKILL, None)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
