"""The training queue of the browser's Train tab (cls_core.app.training_jobs), without a
browser and without training: a stand-in trainer (a few lines of Python) writes the log and
the checkpoint as the training CLI does, fails as it does, or hangs until stopped."""

import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from owndata import write_labelled_set

from cls_core.app.training_jobs import (
    CANCELLED,
    DONE,
    FAILED,
    RUNNING,
    TIMED_OUT,
    TRAINED_HERE,
    WAITING,
    TrainingOptions,
    TrainingQueue,
    batch_size,
    error_text,
    log_every,
    read_new_lines,
    training_command,
)
from cls_core.app.wording import UserError

# argv: OUT BEHAVIOUR PIDS. Notes its pid, niceness and threads in PIDS; writes OUT's log as
# cls_core.training.train does, then per BEHAVIOUR: "ok" writes OUT, "fail" says error: and
# exits 1, "hang" waits (with a child of its own) until killed.
FAKE_TRAINER = r"""
import json, os, subprocess, sys, time
out, behaviour, pids = sys.argv[1:4]
log = out.rsplit(".", 1)[0] + ".log.jsonl"
with open(pids, "a") as f:
    f.write(f"{os.getpid()} {os.getpriority(os.PRIO_PROCESS, 0)} {os.environ.get('OMP_NUM_THREADS')}\n")
with open(log, "a") as f:
    for step in (1, 2, 3):
        f.write(json.dumps({"type": "step", "epoch": 1, "step": step, "train_loss": 1.5,
                            "window_loss": 2.0 - step / 4}) + "\n")
    f.write(json.dumps({"type": "epoch", "epoch": 1, "step": 3, "dev_acc": 0.5, "dev_loss": 1.2,
                        "elapsed": 0.1}) + "\n")
    f.flush()
    if behaviour == "hang":
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        with open(pids, "a") as p:
            p.write(f"{child.pid} 0 -\n")
        time.sleep(600)
if behaviour == "fail":
    print("reading the file", flush=True)
    sys.exit("error: mine.tsv: label 'x' has 3 examples; each label needs at least 10")
open(out, "wb").write(b"checkpoint")
"""


def wait_for(condition, timeout=30):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


@pytest.fixture
def trainer(tmp_path):
    script = tmp_path / "fake_trainer.py"
    script.write_text(FAKE_TRAINER, encoding="utf-8")

    def command(upload, options, out, lines):
        assert Path(upload).exists() and lines == 400
        behaviour = {"broken": "fail", "slow": "hang"}.get(options.name.split("-")[0], "ok")
        return [sys.executable, str(script), str(out), behaviour, str(tmp_path / "pids")]

    return command


@pytest.fixture
def queue(tmp_path, trainer):
    served = []

    def on_trained(folder):
        names = [f"{folder.name}/{p.stem}" for p in sorted(folder.iterdir()) if p.suffix in (".pt", ".npz")]
        served.extend(names)
        return names

    q = TrainingQueue(
        tmp_path / "models",
        on_trained,
        max_seconds=60,
        command=trainer,
        poll_seconds=0.05,
        on_removed=lambda name: served.__setitem__(slice(None), [n for n in served if not n.startswith(name + "/")]),
    )
    q.served = served
    yield q
    q.close()


def upload(tmp_path, name="mine.tsv"):
    return write_labelled_set(tmp_path / name)


def leftovers(queue):
    """What a run may leave in the models folder besides trained models: nothing."""
    return [p for p in queue.staging.rglob("*") if p.is_file()] if queue.staging.exists() else []


def test_a_job_trains_reports_progress_and_moves_its_model_into_place(tmp_path, queue):
    file = upload(tmp_path)
    job = queue.submit(file, TrainingOptions("textcnn", 3, "my-topics"))
    # the job has its own copy; the upload stays Gradio's, which hands one cached file to every
    # visitor uploading the same bytes (a moved file failed the next visitor's training)
    assert file.exists()
    wait_for(lambda: job.state == DONE)
    progress = job.progress()
    assert progress["steps"] == [(1, 1.75), (2, 1.5), (3, 1.25)]
    assert progress["epochs"] == [{"epoch": 1, "step": 3, "dev_acc": 0.5, "dev_loss": 1.2, "elapsed": 0.1}]
    assert progress["model_names"] == ["my-topics/textcnn"] == queue.served
    assert (tmp_path / "models" / "my-topics" / "textcnn.pt").read_bytes() == b"checkpoint"
    assert (tmp_path / "models" / "my-topics" / "textcnn.log.jsonl").exists()
    assert queue.trained_models() == ["my-topics"]
    assert queue.checkpoint("my-topics") == tmp_path / "models" / "my-topics" / "textcnn.pt"
    assert queue.position(job.id) is None and not leftovers(queue)


def test_the_training_runs_at_a_lower_priority_on_one_thread(tmp_path, queue):
    job = queue.submit(upload(tmp_path), TrainingOptions("textcnn", 1, "nice"))
    wait_for(lambda: job.state == DONE)
    pid, niceness, threads = (tmp_path / "pids").read_text().split()
    assert int(niceness) >= os.getpriority(os.PRIO_PROCESS, 0) + 10 or int(niceness) == 19
    assert threads == "1"


@pytest.mark.parametrize(
    "options, key",
    [
        (TrainingOptions("textcnn", 3, "has space"), "error_train_name"),
        (TrainingOptions("textcnn", 3, "x" * 41), "error_train_name"),
        (TrainingOptions("textcnn", 3, "../up"), "error_train_name"),
        (TrainingOptions("textcnn", 3, ""), "error_train_name"),
        (TrainingOptions("gpt", 3, "ok"), "error_train_model"),
        (TrainingOptions("textcnn", 0, "ok"), "error_train_epochs"),
        (TrainingOptions("textcnn", 51, "ok"), "error_train_epochs"),
    ],
)
def test_bad_options_are_refused_before_anything_is_queued(tmp_path, queue, options, key):
    file = upload(tmp_path)
    with pytest.raises(UserError) as refused:
        queue.submit(file, options)
    assert refused.value.key == key
    assert file.exists() and not queue._jobs  # nothing taken, nothing queued


def test_a_taken_name_and_a_bad_file_are_refused(tmp_path, queue):
    (tmp_path / "models" / "taken").mkdir(parents=True)
    with pytest.raises(UserError) as refused:
        queue.submit(upload(tmp_path), TrainingOptions("textcnn", 1, "taken"))
    assert refused.value.key == "error_train_name_taken"
    bad = tmp_path / "bad.tsv"
    bad.write_text("一条标题\t体育\n另一条\n", encoding="utf-8")
    with pytest.raises(UserError) as refused:
        queue.submit(bad, TrainingOptions("textcnn", 1, "fine"))
    assert refused.value.key == "error_train_file" and "\nbad.tsv:2: " in str(refused.value)


def test_a_name_being_trained_is_taken_too(tmp_path, queue):
    job = queue.submit(upload(tmp_path, "a.tsv"), TrainingOptions("textcnn", 1, "slow-one"))
    with pytest.raises(UserError) as refused:
        queue.submit(upload(tmp_path, "b.tsv"), TrainingOptions("textcnn", 1, "slow-one"))
    assert refused.value.key == "error_train_name_taken"
    queue.cancel(job.id)


def test_a_failed_run_shows_the_trainers_error_and_leaves_nothing(tmp_path, queue):
    job = queue.submit(upload(tmp_path), TrainingOptions("textcnn", 1, "broken-run"))
    wait_for(lambda: job.state == FAILED)
    assert job.error == "error: mine.tsv: label 'x' has 3 examples; each label needs at least 10"
    assert queue.trained_models() == [] and not leftovers(queue) and not queue.served


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a killed child not yet reaped by its parent is a zombie: dead for our purpose
    return Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0] != "Z"


def test_cancelling_a_running_job_stops_its_whole_process_group_and_leaves_nothing(tmp_path, queue):
    job = queue.submit(upload(tmp_path), TrainingOptions("bilstm_att", 5, "slow-run"))
    wait_for(lambda: job.state == RUNNING and job.epochs)  # the live progress arrives while it runs
    pids_file = tmp_path / "pids"
    wait_for(lambda: pids_file.exists() and len(pids_file.read_text().splitlines()) == 2)
    pids = [int(line.split()[0]) for line in pids_file.read_text().splitlines()]
    queue.cancel(job.id)
    wait_for(lambda: job.state == CANCELLED)
    wait_for(lambda: not any(alive(pid) for pid in pids))
    assert queue.trained_models() == [] and not leftovers(queue) and not queue.served


# An app in miniature: a queue running the stand-in trainer until it hangs, in a process that
# the test kills without warning. argv: FOLDER (with mine.tsv) TRAINER.
APP_STAND_IN = """
import sys, time
from pathlib import Path
from cls_core.app.training_jobs import TrainingOptions, TrainingQueue
folder, trainer = Path(sys.argv[1]), sys.argv[2]
queue = TrainingQueue(folder / "models", command=lambda upload, options, out, lines:
                      [sys.executable, trainer, str(out), "hang", str(folder / "pids")])
queue.submit(folder / "mine.tsv", TrainingOptions("textcnn", 1, "orphan"))
time.sleep(600)
"""


def test_a_training_starts_without_python_between_fork_and_exec(monkeypatch, tmp_path):
    """preexec_fn runs Python in the forked child, which can deadlock in a threaded server."""
    import subprocess

    from cls_core.app import training_jobs

    started = {}

    def popen(argv, **kwargs):
        started.update(kwargs, argv=argv)
        raise OSError("not started in this test")

    monkeypatch.setattr(subprocess, "Popen", popen)
    with pytest.raises(OSError), open(tmp_path / "out.txt", "wb") as output:
        training_jobs.start_training(["python", "-m", "cls_core.train"], output)
    assert started.get("preexec_fn") is None and started["start_new_session"]
    assert started["argv"][-3:] == ["python", "-m", "cls_core.train"] and "nice" in started["argv"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl(PR_SET_PDEATHSIG) is Linux's")
def test_a_training_does_not_outlive_the_app(tmp_path):
    import signal
    import subprocess

    script = tmp_path / "fake_trainer.py"
    script.write_text(FAKE_TRAINER, encoding="utf-8")
    upload(tmp_path)
    app = subprocess.Popen(
        [sys.executable, "-c", APP_STAND_IN, str(tmp_path), str(script)], cwd=Path(__file__).resolve().parents[1]
    )
    pids_file = tmp_path / "pids"
    try:
        wait_for(lambda: pids_file.exists() and len(pids_file.read_text().splitlines()) == 2)
        trainer = int(pids_file.read_text().split()[0])
        app.kill()  # SIGKILL: no atexit, no clean-up of its own
        app.wait()
        wait_for(lambda: not alive(trainer))
    finally:
        app.kill()
        for line in pids_file.read_text().splitlines() if pids_file.exists() else []:
            try:
                os.kill(int(line.split()[0]), signal.SIGKILL)  # the stand-in's own child is ours to end
            except ProcessLookupError:
                pass


def test_jobs_run_one_at_a_time_and_the_waiting_see_their_place(tmp_path, queue):
    first = queue.submit(upload(tmp_path, "a.tsv"), TrainingOptions("textcnn", 1, "slow-a"))
    wait_for(lambda: first.state == RUNNING)
    second = queue.submit(upload(tmp_path, "b.tsv"), TrainingOptions("textcnn", 1, "b"))
    third = queue.submit(upload(tmp_path, "c.tsv"), TrainingOptions("textcnn", 1, "c"))
    assert [queue.position(j.id) for j in (first, second, third)] == [0, 1, 2]
    assert second.state == third.state == WAITING
    queue.cancel(second.id)  # leaves the line at once
    assert second.state == CANCELLED and queue.position(third.id) == 1
    assert not (queue.staging / second.id).exists()  # its upload went with it
    queue.cancel(first.id)
    wait_for(lambda: third.state == DONE)
    assert queue.trained_models() == ["c"]


def test_a_run_past_its_time_limit_is_stopped(tmp_path, trainer):
    queue = TrainingQueue(tmp_path / "models", max_seconds=0.5, command=trainer, poll_seconds=0.05)
    try:
        job = queue.submit(upload(tmp_path), TrainingOptions("textcnn", 1, "slow-forever"))
        wait_for(lambda: job.state == TIMED_OUT)
        assert not leftovers(queue) and queue.trained_models() == []
        from cls_core.app.views.train import job_view

        assert job_view(queue, job.id, "en")[0].startswith(
            "The training of **slow-forever** was stopped at the time limit (0.00833333 minutes)"
        )
    finally:
        queue.close()


@pytest.mark.parametrize("refuse", [lambda folder: [], lambda folder: 1 / 0])
def test_a_model_that_does_not_load_is_not_kept(tmp_path, trainer, refuse):
    removed = []
    queue = TrainingQueue(tmp_path / "models", refuse, command=trainer, poll_seconds=0.05, on_removed=removed.append)
    try:
        job = queue.submit(upload(tmp_path), TrainingOptions("textcnn", 1, "fine"))
        wait_for(lambda: job.state == FAILED)
        assert "does not load" in job.error and queue.trained_models() == [] and removed == ["fine"]
    finally:
        queue.close()


def test_deleting_a_trained_model_unserves_it_and_removes_its_folder(tmp_path, queue):
    job = queue.submit(upload(tmp_path), TrainingOptions("linear", 1, "gone-soon"))
    wait_for(lambda: job.state == DONE)
    assert queue.served == ["gone-soon/linear"]
    queue.delete("gone-soon")
    assert queue.served == [] and queue.trained_models() == []
    with pytest.raises(UserError):
        queue.delete("gone-soon")
    with pytest.raises(UserError):
        queue.delete("../checkpoints")


def test_an_operators_model_is_served_but_cannot_be_downloaded_or_deleted_from_the_page(tmp_path, queue):
    """Only what this app's training made (marked so) is the visitors' to download and delete;
    before, any folder under --models was, the operator's own models included."""
    operators = queue.models_dir / "operator"
    operators.mkdir(parents=True)
    (operators / "linear.npz").write_bytes(b"the operator's model")
    job = queue.submit(upload(tmp_path), TrainingOptions("linear", 1, "visitors"))
    wait_for(lambda: job.state == DONE)
    assert (queue.models_dir / "visitors" / TRAINED_HERE).is_file()
    assert queue.trained_models() == ["visitors"]
    assert queue.checkpoint("operator") is None and queue.checkpoint("visitors") is not None
    with pytest.raises(UserError):
        queue.delete("operator")
    assert (operators / "linear.npz").read_bytes() == b"the operator's model"
    with pytest.raises(UserError) as taken:  # nor is its name given again
        queue.check_name("operator")
    assert taken.value.key == "error_train_name_taken"


def test_a_delete_is_asked_for_then_confirmed(tmp_path, queue, demo):
    import gradio as gr

    from cls_core.app.service import Demo
    from cls_core.app.tabs.common import Words
    from cls_core.app.tabs.train import TrainTab
    from cls_core.app.visitor import Visitor

    job = queue.submit(upload(tmp_path), TrainingOptions("linear", 1, "mine"))
    wait_for(lambda: job.state == DONE)
    core = Demo(demo.registry, demo.data_dir)
    core.training = queue
    for lang in ("en", "zh-CN"):
        with gr.Blocks():
            tab = TrainTab(core, Words(lang))
        picked = tab.render(Visitor(lang=lang, tab="train", train_model="mine"))
        assert picked[tab.delete]["visible"] and not picked[tab.confirm]["visible"]
        assert not picked[tab.delete_yes]["visible"]
        asked = tab.render(Visitor(lang=lang, tab="train", train_model="mine", train_deleting="mine"))
        assert (
            not asked[tab.delete]["visible"] and asked[tab.delete_yes]["visible"] and asked[tab.delete_keep]["visible"]
        )
        assert "mine" in asked[tab.confirm]["value"] and asked[tab.confirm]["visible"]
    assert queue.trained_models() == ["mine"]  # asking deletes nothing


def test_after_a_delete_the_status_says_so_and_the_models_picks_go(tmp_path, queue):
    """Before, the status still said the model was trained, and Predict kept its panel."""
    from cls_core.app.tabs.train import without_unserved
    from cls_core.app.views.train import job_view
    from cls_core.app.visitor import Visitor

    job = queue.submit(upload(tmp_path), TrainingOptions("linear", 1, "gone"))
    wait_for(lambda: job.state == DONE)
    assert "is trained" in job_view(queue, job.id, "en")[0]
    queue.delete("gone")
    assert job_view(queue, job.id, "en")[0].startswith("**gone** (Linear (TF-IDF + SVM)) was trained, then deleted")
    assert "删除" in job_view(queue, job.id, "zh-CN")[0]
    v = Visitor(
        models=("TextCNN", "gone/linear"), predicted=True, inside_model="gone/linear", evaluated=("gone/linear",)
    )
    after = without_unserved(v, ["TextCNN", "BiLSTM-attention"])
    assert after.models == ("TextCNN",) and after.predicted and after.inside_model == "" and after.evaluated == ()
    assert not without_unserved(replace(v, models=("gone/linear",)), ["TextCNN"]).predicted


def test_the_command_line_is_the_training_clis():
    command = training_command(
        "up.tsv", TrainingOptions("textcnn", 4, "mine"), "models/.staging/j/mine/textcnn.pt", lines=16_000
    )
    assert command[1:] == [
        "-m",
        "cls_core.train",
        "--model",
        "textcnn",
        "--train-file",
        "up.tsv",
        "--epochs",
        "4",
        "--out",
        "models/.staging/j/mine/textcnn.pt",
        "--device",
        "cpu",
        "--batch-size",
        "64",
        "--log-every",
        "4",
    ]
    linear = training_command("up.tsv", TrainingOptions("linear", 1, "mine"), "x/linear.npz", lines=400)
    assert "--log-every" not in linear and "--batch-size" not in linear and "--data-dir" not in linear
    beside = training_command("up.tsv", TrainingOptions("textcnn", 1, "mine"), "x/textcnn.pt", 400, data_dir="d")
    assert beside[beside.index("--data-dir") + 1] == "d"  # where the Tencent vectors may be
    assert batch_size(400) == 16 and batch_size(200_000) == 64 and batch_size(20) == 8
    assert log_every(400) == 1 and log_every(200_000) == 50


def test_the_log_is_read_whole_lines_at_a_time(tmp_path):
    log = tmp_path / "m.log.jsonl"
    assert read_new_lines(log, 0) == ([], 0)
    log.write_text(json.dumps({"step": 1}) + "\n" + '{"step": 2', encoding="utf-8")
    records, offset = read_new_lines(log, 0)
    assert records == [{"step": 1}]
    with open(log, "a") as f:
        f.write("}\n")
    assert read_new_lines(log, offset)[0] == [{"step": 2}]


def test_a_failures_text_is_its_error_lines_else_its_last_lines():
    assert error_text("loading\nerror: bad label\n") == "error: bad label"
    assert error_text("\n".join(f"line {i}" for i in range(30))).splitlines()[0] == "line 10"


# --- what the Train tab shows (cls_core.app.views.train) and how app.py opens it ------------


def test_the_tab_words_a_jobs_state_in_the_visitors_language(tmp_path, queue):
    from cls_core.app.views.train import job_view

    first = queue.submit(upload(tmp_path, "a.tsv"), TrainingOptions("bilstm_att", 2, "slow-a"))
    second = queue.submit(upload(tmp_path, "b.tsv"), TrainingOptions("textcnn", 1, "broken-b"))
    wait_for(lambda: first.state == RUNNING and first.epochs)
    assert job_view(queue, second.id, "zh-CN")[0] == "**broken-b**（TextCNN）正在排队：前面还有 1 个训练。"
    status, figure = job_view(queue, first.id, "en")
    assert status.startswith("**slow-a** (BiLSTM-attention) is training: epoch 1 of 2 done")
    assert figure.data[0].y == (1.75, 1.5, 1.25) and figure.data[2].y == (0.5,)  # loss per step, dev accuracy
    queue.cancel(first.id)
    wait_for(lambda: second.state == FAILED)
    status, _ = job_view(queue, second.id, "zh-CN")
    assert status.startswith("✗ **broken-b**（TextCNN）训练失败") and "label 'x' has 3 examples" in status
    assert job_view(queue, "unknown", "en") == ("", None)


def test_an_uploads_summary_names_the_file_not_its_folder(tmp_path):
    from cls_core.app.views.train import file_summary, suggested_name

    bad = tmp_path / "my file.tsv"
    bad.write_text("标题\t体育\n没有标签\n", encoding="utf-8")
    summary = file_summary(str(bad))
    assert not summary.ok and summary.problems.lines("en")[0].startswith("my file.tsv:2: expected 2 columns")
    # worded in the visitor's language, as every text on the page (the file's name as it is)
    assert summary.problems.worded("zh-CN").startswith("my file.tsv:2: 有 1 列，应为 2 列（text<TAB>label）\n")
    assert summary.problems.worded("zh-TW").startswith("my file.tsv:2: 有 1 列，應為 2 列")
    good = file_summary(str(upload(tmp_path)))
    assert good.ok and good.lines == 400
    assert good.class_counts == {"健康": 100, "天气": 100, "旅游": 100, "美食": 100}
    assert suggested_name(str(bad)) == "my-file"


def test_the_suggested_name_is_never_one_already_taken(tmp_path, queue):
    from cls_core.app.views.train import suggested_name

    (queue.models_dir / "mine").mkdir(parents=True)
    (queue.models_dir / "mine-2").mkdir()
    assert suggested_name("/up/mine.tsv", queue) == "mine-3"  # not a "name taken" at Train
    assert suggested_name("/up/mine.tsv", queue, "mine") == "mine-3"  # the last training's name, typed
    assert suggested_name("/up/mine.tsv", queue, "topics") == "topics"
    assert suggested_name("/up/我的数据.tsv", queue) == "model"


def test_a_checkpoint_is_downloaded_from_a_copy_never_from_the_models_folder(tmp_path, queue):
    from types import SimpleNamespace

    from cls_core.app.inputs import Downloads
    from cls_core.app.views.train import checkpoint_download

    job = queue.submit(upload(tmp_path), TrainingOptions("textcnn", 1, "mine"))
    wait_for(lambda: job.state == DONE)
    core = SimpleNamespace(training=queue, downloads=Downloads())
    copy = checkpoint_download(core, "mine")
    assert copy.name == "mine-textcnn.pt" and copy.read_bytes() == b"checkpoint"
    assert copy.parent.parent == core.downloads.folder
    assert checkpoint_download(core, "mine") == copy  # made once
    assert checkpoint_download(core, "none") is None and checkpoint_download(core, "") is None


def test_training_on_a_public_link_needs_a_login(tmp_path, capsys, monkeypatch):
    import app as app_module

    monkeypatch.delenv("APP_AUTH", raising=False)
    with pytest.raises(SystemExit) as stopped:
        app_module.main(["--share", "--allow-training", "--checkpoints", str(tmp_path)])
    assert "--allow-training on a --share link needs --auth" in str(stopped.value)


@pytest.mark.parametrize("flag", ["--allow-training", "--review"])
@pytest.mark.parametrize(
    "host, refused",
    [("0.0.0.0", True), ("192.0.2.7", True), ("127.0.0.1", False), ("localhost", False), ("::1", False)],
)
def test_training_and_review_need_a_login_on_any_address_but_this_machines(tmp_path, monkeypatch, flag, host, refused):
    """The Dockerfile listens on 0.0.0.0: without a login, anyone reaching the container could
    train, delete and download models, or read every correction."""
    import app as app_module
    from cls_core.app.address import is_loopback

    monkeypatch.delenv("APP_AUTH", raising=False)
    assert is_loopback(host) is not refused
    if refused:
        with pytest.raises(SystemExit) as stopped:
            app_module.main([flag, "--host", host, "--checkpoints", str(tmp_path)])
        assert f"{flag} on {host} (not this machine alone) needs --auth" in str(stopped.value)


def test_a_batch_prediction_file_keeps_its_2_mb_limit_when_uploads_may_be_larger(tmp_path):
    """With --allow-training Gradio takes uploads up to 20 MB; the batch reader refuses more than 2 MB itself."""
    from cls_core.app.batch import read_lines
    from cls_core.app.inputs import MAX_UPLOAD_BYTES
    from cls_core.data.labelled import MAX_BYTES

    assert MAX_BYTES > MAX_UPLOAD_BYTES
    big = tmp_path / "headlines.txt"
    big.write_text("国足3:0完胜泰国队\n" * (MAX_UPLOAD_BYTES // 20 + 1), encoding="utf-8")
    with pytest.raises(UserError) as refused:
        read_lines(big)
    assert refused.value.key == "error_file_size"


def test_the_page_draws_the_train_tab_only_when_training_is_allowed(demo, tmp_path):
    import gradio as gr

    from cls_core.app.service import Demo
    from cls_core.app.tabs.page import draw_page, shown_tabs
    from cls_core.app.visitor import Visitor

    assert "train" not in shown_tabs(demo)
    core = Demo(demo.registry, demo.data_dir)
    core.training = TrainingQueue(tmp_path / "models")
    try:
        assert "train" in shown_tabs(core)
        with gr.Blocks():
            state, language = gr.State(None), gr.Dropdown(choices=["en"])
            for lang in ("en", "zh-CN"):
                draw_page(core, state, language, Visitor(lang=lang, tab="train"))
    finally:
        core.training.close()


def test_every_kind_of_file_problem_is_worded_in_every_page_language(tmp_path):
    """A refused upload's problems reach the page in the visitor's language, not in the
    command line's English (cls_core.data.labelled.PROBLEMS)."""
    from cls_core.app.i18n import TEXTS, text
    from cls_core.app.wording import FileProblems, UserError
    from cls_core.data.labelled import PROBLEMS, check_labelled_file

    assert {f"labelled_{kind}" for kind in PROBLEMS} <= set(TEXTS)
    bad = tmp_path / "mine.tsv"
    bad.write_text("\t天气\n只有一列\n" * 15, encoding="utf-8")
    error = UserError("error_train_file", problems=FileProblems(check_labelled_file(bad)))
    assert "mine.tsv:1: empty text" in str(error) and "… and 10 more problems" in str(error)
    assert "mine.tsv:1: 文本为空" in error.text("zh-CN") and "……另有 10 个问题" in error.text("zh-CN")
    assert "empty" not in error.text("zh-HK") and text("labelled_empty_text", "zh-HK") in error.text("zh-HK")
    # a file of another type is one problem, worded too (Gradio no longer refuses it in English)
    sheet = tmp_path / "mine.xlsx"
    sheet.write_bytes(b"PK\x03\x04")
    report = check_labelled_file(sheet)
    assert [p.kind for p in report.problems] == ["file_type"]
    assert ".xlsx" in FileProblems(report).worded("zh-CN") and "文件" in FileProblems(report).worded("zh-CN")


def test_two_visitors_can_train_on_one_cached_upload(tmp_path, queue):
    # Gradio hands every visitor uploading the same bytes the same cached file
    file = upload(tmp_path)
    first = queue.submit(file, TrainingOptions("textcnn", 1, "first"))
    second = queue.submit(file, TrainingOptions("textcnn", 1, "second"))
    assert first.id != second.id and file.exists()


def test_a_refused_files_problems_are_worded_in_the_hint_not_as_an_object(tmp_path):
    from cls_core.app.tabs.common import hint_update
    from cls_core.app.visitor import Visitor
    from cls_core.app.wording import FileProblems
    from cls_core.data.labelled import check_labelled_file

    bad = tmp_path / "bad.tsv"
    bad.write_text("只有一列\n", encoding="utf-8")
    error = UserError("error_train_file", problems=FileProblems(check_labelled_file(bad)))
    shown = hint_update(Visitor(lang="zh-CN").with_hint("train", error), "train")["value"]
    assert "这个文件无法用于训练" in shown and "bad.tsv:1: 有 1 列" in shown and "object at" not in shown
