"""`python -m cls_core.training.experiments --quick` and the shipped results file."""

import json
from pathlib import Path

from cls_core.app import deep
from cls_core.training import experiments

EXPECTED_CELLS = {f"{c}/{d}" for c in ("rnn", "gru", "lstm") for d in ("bidirectional", "unidirectional")}


def check_results(results):
    assert set(results["cells"]) == EXPECTED_CELLS
    assert set(results["pad_size"]) == {"7", "16", "32", "packed"}
    assert set(results["batch_size"]) == {"64", "128", "256"}
    for section in ("cells", "pad_size", "batch_size"):
        for run in results[section].values():
            assert 0 <= run["dev_accuracy"] <= 1 and 0 <= run["test_accuracy"] <= 1
            assert run["train_seconds"] > 0 and run["seconds_per_epoch"] > 0
    assert results["batch_size"]["256"]["batch_size"] == 256
    for cell in ("rnn", "lstm"):
        for state in ("init", "trained"):
            norms = results["vanishing_gradients"][cell][state]
            assert norms and all(len(v) == int(length) for length, v in norms.items())


def test_quick_run_writes_every_comparison(small_data_dir, tmp_path):
    out = tmp_path / "experiments.json"
    experiments.main(["--quick", "--data-dir", str(small_data_dir), "--out", str(out)])
    results = json.loads(out.read_text(encoding="utf-8"))
    check_results(results)
    assert results["schedule"] == experiments.QUICK and results["data"]["train"] == experiments.QUICK["train_limit"]
    figures = deep.experiments_view(out)["figures"]
    assert set(figures) == {"cells", "pad_size", "batch_size", "gradients_trained", "gradients_init"}
    # a rerun of the same schedule keeps what is already there
    before = out.read_text(encoding="utf-8")
    experiments.main(["--quick", "--data-dir", str(small_data_dir), "--out", str(out)])
    assert json.loads(out.read_text(encoding="utf-8"))["cells"] == json.loads(before)["cells"]


def test_fixed_size_cuts_and_pads():
    encoded = [([5, 6, 7], [8, 9, 10]), ([5], [8])]
    assert experiments.fixed_size(encoded, 2) == [([5, 6], [8, 9]), ([5, 0], [8, 0])]


def test_shipped_results(checkpoint_dir):
    path = Path(checkpoint_dir) / "experiments.json"
    assert path.exists(), "checkpoints/experiments.json ships (python -m cls_core.training.experiments writes it)"
    results = json.loads(path.read_text(encoding="utf-8"))
    check_results(results)
    assert results["schedule"] == experiments.SCHEDULE
    assert results["data"] == {"train": experiments.SCHEDULE["train_limit"], "dev": 10_000, "test": 10_000}
