"""Memory that stays flat in a long-running app: every cache has a bound, and nothing a
request names is kept for ever. (How much the app holds over hours of load is a benchmark,
`python -m cls_core.bench --soak`, not a test.)"""

import importlib
import pkgutil
import re
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

import cls_core
from cls_core.app.allocator import ARENAS, MMAP_THRESHOLD, limit_fragmentation
from cls_core.app.evaluations import REPORTS_KEPT, Evaluations
from cls_core.app.recent import RECENT_RESULTS, Recent
from cls_core.app.registry import ModelRegistry
from cls_core.app.wording import UserError
from cls_core.bench.soak import figures, round_calls

ROOT = Path(__file__).resolve().parents[1]


def lru_caches():
    """(module.name, wrapper) of every functools.lru_cache at the top of a cls_core module."""
    for info in pkgutil.walk_packages(cls_core.__path__, "cls_core."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if hasattr(value, "cache_info") and getattr(value, "__module__", None) == info.name:
                yield f"{info.name}.{name}", value


def test_every_lru_cache_is_bounded():
    caches = dict(lru_caches())
    assert "cls_core.data.normalize.opencc_converter" in caches  # the walk finds them
    unbounded = [name for name, cached in caches.items() if cached.cache_info().maxsize is None]
    assert not unbounded, unbounded


def test_no_unbounded_functools_cache():
    """functools.cache is lru_cache(maxsize=None), and a wrapper the walk above would miss."""
    using = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "cls_core").rglob("*.py")
        if re.search(r"\bfunctools import .*\bcache\b|@(functools\.)?cache\b", p.read_text(encoding="utf-8"))
    ]
    assert not using, using


def test_recent_results_are_bounded():
    recent = Recent()
    assert recent.size == RECENT_RESULTS
    for i in range(RECENT_RESULTS + 10):
        recent.get(("predict", "TextCNN", str(i)), lambda: i)
    assert len(recent) == RECENT_RESULTS


def test_a_networks_attribution_copy_goes_with_the_network():
    """The copies integrated gradients run on were kept by an lru_cache that held every network
    it had seen: an unloaded (or replaced) model's network and copy stayed in memory."""
    import gc
    import weakref

    from cls_core.explain import attribution
    from cls_core.models.networks import TextCNN

    network = TextCNN(vocab_size=20, num_classes=3, embed_dim=8, windows=(2,), filters=4)
    copy = attribution.attribution_model(network)
    assert attribution.attribution_model(network) is copy and copy is not network
    gone, copy_gone = weakref.ref(network), weakref.ref(copy)
    del network, copy
    gc.collect()
    assert gone() is None and copy_gone() is None


def test_the_training_queue_remembers_a_bounded_number_of_ended_jobs(tmp_path):
    from cls_core.app import training_jobs
    from cls_core.app.training_jobs import DONE, Job, TrainingOptions, TrainingQueue

    queue = TrainingQueue(tmp_path / "models")
    try:
        for i in range(training_jobs.ENDED_JOBS_KEPT + 20):
            job = Job(f"old{i}", tmp_path / "x.tsv", TrainingOptions("linear", 1, f"m{i}"), lines=10)
            job.state, job.ended = DONE, float(i)
            queue._jobs[job.id] = job
        with queue._lock:
            queue._forget_old_jobs()
        assert len(queue._jobs) == training_jobs.ENDED_JOBS_KEPT and "old0" not in queue._jobs
        assert f"old{training_jobs.ENDED_JOBS_KEPT + 19}" in queue._jobs  # the last ended stay
    finally:
        queue.close()


def test_evaluations_keep_the_reports_used_last():
    reports = Evaluations()
    assert reports.size == REPORTS_KEPT
    computed = []

    def compute(key):
        computed.append(key)
        return {"key": key}

    for key in range(REPORTS_KEPT):
        reports.get(key, lambda: compute(key))
    reports.get(0, lambda: compute(0))  # used again: now the newest
    reports.get("new", lambda: compute("new"))  # pushes out the oldest, 1
    assert len(reports) == REPORTS_KEPT
    reports.get(0, lambda: compute(0))
    reports.get(1, lambda: compute(1))
    assert computed == list(range(REPORTS_KEPT)) + ["new", 1]


def test_a_report_under_way_is_computed_once():
    reports, started, calls = Evaluations(), threading.Event(), []

    def slow():
        calls.append(1)
        started.set()
        threading.Event().wait(0.2)
        return "report"

    first = threading.Thread(target=reports.get, args=("k", slow))
    first.start()
    started.wait()
    assert reports.get("k", slow) == "report"
    first.join()
    assert calls == [1]


def test_a_lock_is_never_made_for_a_name_a_request_invents():
    """Before, every model name asked for (the /inspect API takes any text) left a lock behind."""
    model = SimpleNamespace(classes=["sports", "game"])
    registry = ModelRegistry({"TextCNN": model, "Linear": model}, "checkpoints")
    assert registry.lock("TextCNN") is registry.lock("TextCNN")
    for i in range(100):
        with pytest.raises(UserError, match="not loaded"):
            registry.lock(f"made-up model {i}")
    assert len(registry._locks) == len(registry.names())


def test_allocator_settings_follow_the_environment(monkeypatch):
    monkeypatch.setenv("CLS_MALLOC_DEFAULTS", "1")
    assert limit_fragmentation() == {}
    monkeypatch.delenv("CLS_MALLOC_DEFAULTS")
    monkeypatch.setenv("MALLOC_ARENA_MAX", "2")
    made = limit_fragmentation()
    assert "MALLOC_ARENA_MAX" not in made
    assert made in ({}, {"MALLOC_MMAP_THRESHOLD_": MMAP_THRESHOLD})  # {} where the C library is not glibc
    assert ARENAS >= 1


def test_soak_rounds_ask_new_questions_within_the_gates():
    headlines = [f"headline {i}" for i in range(1000)]
    models = ["BiLSTM-attention", "TextCNN", "Linear"]
    one, two = round_calls(headlines, models, 0, models[:2]), round_calls(headlines, models, 1, models[:2])
    assert len(one["inspect"]) == 80 and len(one["predict"]) == 160
    assert sorted(m for (m,) in one["evaluate"]) == sorted(models[:2] * 2)  # 4 at once, two per network
    assert one["inspect"] != two["inspect"]
    assert {m for _, m, *topics in one["inspect"]} == set(models)  # the ensemble has nothing to look inside
    rounds = [{"rss": 100}, {"rss": 103}, {"rss": 104}]
    r = figures(rounds)
    assert r["growth"] == 0.04 and r["goals"]["growth_first_to_last"]
