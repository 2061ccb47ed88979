"""`python -m cls_core.bench --gpu`: the one command a GPU machine runs. No GPU here, so the
same steps run on the CPU on a tiny slice, as the GPU machine would run them: without gradio
or plotly, from the data folder `--pack` writes."""

import json
import os
import subprocess
import sys
from pathlib import Path

from cls_core.bench.gpu import NETWORKS, Run, pack
from cls_core.data import load_pretrained, load_split

ROOT = Path(__file__).resolve().parents[1]
# Run the bench as the GPU machine would: gradio, its client and plotly are not there.
WITHOUT_UI = (
    "import runpy, sys; sys.modules.update(gradio=None, gradio_client=None, plotly=None); "
    "sys.argv = ['cls_core.bench', *sys.argv[1:]]; runpy.run_module('cls_core.bench', run_name='__main__')"
)


def bench(*args, tmp_path, env=None):
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_UI, "--gpu", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ, HEADLINE_LENS_CACHE=str(tmp_path / "cache"), **(env or {})),
    )


def test_without_cuda_it_says_so_in_one_line_and_fails(tmp_path):
    done = bench(tmp_path=tmp_path, env={"CUDA_VISIBLE_DEVICES": ""})
    assert done.returncode != 0
    said = (done.stdout + done.stderr).strip().splitlines()
    assert len(said) == 1 and said[0].startswith("no CUDA device"), said


def test_the_packed_folder_holds_what_training_reads(small_data_dir, tmp_path):
    pack(tmp_path, small_data_dir, train_headlines=300)
    packed = tmp_path / "data"
    train = load_split(packed, "train")
    assert len(train) == 300 and train.texts == load_split(small_data_dir, "train").texts[:300]
    for split in ("dev", "test"):
        assert load_split(packed, split).texts == load_split(small_data_dir, split).texts
    chars, matrix = load_pretrained(packed)
    original = dict(zip(*load_pretrained(small_data_dir)))
    assert set("".join(train.texts)) & set(original) <= set(chars) and chars[-2:] == ["<UNK>", "<PAD>"]
    assert len(chars) < len(original)  # only the packed headlines' characters
    assert all((matrix[i] == original[ch]).all() for i, ch in enumerate(chars))


def test_a_failing_step_keeps_its_traceback_and_the_next_step_runs(capsys):
    run = Run("cpu")
    run.step("train", "textcnn", lambda: print("reading the data") or 1 / 0)
    run.step("load", "textcnn", lambda: ("fine", {"figure": 1}))
    failed, ran = run.rows
    assert failed["summary"] == "failed" and "ZeroDivisionError" in failed["error"]
    assert "reading the data" in failed["error"]  # what the step printed, beside its traceback
    assert ran == {
        "step": "load",
        "model": "textcnn",
        "seconds": ran["seconds"],
        "summary": "fine",
        "figures": {"figure": 1},
        "error": None,
    }


def test_every_step_runs_on_the_cpu_on_a_tiny_slice(small_data_dir, tmp_path):
    pack(tmp_path / ".gpu", small_data_dir)
    out = tmp_path / "gpu.json"
    done = bench(
        "--device",
        "cpu",
        "--limit",
        "100",
        "--data-dir",
        str(tmp_path / ".gpu" / "data"),
        "--json",
        str(out),
        tmp_path=tmp_path,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    r = json.loads(out.read_text(encoding="utf-8"))
    rows = {(row["step"], row["model"]): row for row in r["rows"]}
    expected = {(step, name) for step in ("train", "load", "evaluate", "look", "map") for name in NETWORKS}
    assert set(rows) == expected | {("ddp", "textcnn")} and len(r["rows"]) == len(rows)
    assert not [row["error"] for row in r["rows"] if row["error"]]
    assert r["machine"]["device"] == "cpu"
    for name in NETWORKS:
        trained, evaluated = rows["train", name]["figures"], rows["evaluate", name]["figures"]
        assert trained["train_precision"] == "fp32" and 0 <= trained["dev_accuracy"] <= 1  # auto, on the CPU
        # the shipped networks on 100 test headlines of every topic: the fast path is the module
        assert evaluated["headlines"] == 100 and evaluated["accuracy"] > 0.8
        # the fast path in the precision served (bf16 where the probe chose it), the module in fp32
        exact = evaluated["precision"] == "fp32"
        assert abs(evaluated["accuracy"] - evaluated["module_accuracy"]) <= (0 if exact else 0.02)
        assert evaluated["max_logit_gap"] < (1e-3 if exact else 0.1)
        assert abs(rows["look", name]["figures"]["ig_delta"]) <= 0.05
        assert rows["map", name]["figures"]["headlines"] == 100
    assert rows["ddp", "textcnn"]["figures"]["backend"] == "gloo"
    table = done.stdout[done.stdout.index("\nstep") :]
    assert all(f"{step:<10}{name:<12}" in table for step, name in rows)
