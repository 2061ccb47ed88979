"""Shared fixtures. The suite runs whole on a fresh clone: what it reads is made from the test
split and class list shipped in data/demo/. Tests marked `full_data` need the full THUCNews
split ($CLS_DATA_DIR, else ../shared/data/THUCNews beside the repo); without it they are
deselected (the run's header, without -q, says why)."""

import json
import os
import shutil
from functools import cache
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data" / "THUCNews"
SHIPPED_DATA = ROOT / "data" / "demo"  # the published test split and class.txt (see its README)
FULL_DATA = "full_data"


@cache
def dataset_dir():
    """The full THUCNews split if there is one, else None. An explicit $CLS_DATA_DIR that holds
    no split is a mistake worth stopping for, not a reason to test less."""
    asked = os.environ.get("CLS_DATA_DIR")
    path = Path(asked or SHARED_DATA)
    if (path / "train.txt").exists():
        return path
    if asked:
        raise pytest.UsageError(f"CLS_DATA_DIR={asked} holds no THUCNews split (no train.txt there)")
    return None


def pytest_configure(config):
    dataset_dir()  # a CLS_DATA_DIR without a split stops the run here, before anything is collected


def pytest_report_header(config):
    path = dataset_dir()
    return [
        f"THUCNews: {path}"
        if path
        else f"THUCNews: not found (set CLS_DATA_DIR); tests marked {FULL_DATA} are deselected"
    ]


def pytest_collection_modifyitems(config, items):
    """Without the full split, leave out (not skip) what needs it: a fresh clone's run then
    shows what ran and nothing it could not have run."""
    if dataset_dir():
        return
    needing = [item for item in items if item.get_closest_marker(FULL_DATA)]
    if needing:
        items[:] = [item for item in items if not item.get_closest_marker(FULL_DATA)]
        config.hook.pytest_deselected(items=needing)


def shipped_lines():
    return (SHIPPED_DATA / "test.txt").read_text(encoding="utf-8").splitlines()


def write_tencent_embeddings(folder, texts):
    """A small stand-in for the Tencent embedding files, in their format (float64 rows, one per
    character of the JSON list, which ends with <UNK> and <PAD>): the shipped TextCNN's vectors
    for the characters of texts. They began as Tencent's and stay close to them, so a network
    starts from them as it would from the real file (from random ones, the short trainings of
    the tests learn too little to compare)."""
    from cls_core.data import TextEncoder
    from cls_core.models.checkpoint import load_checkpoint

    payload = load_checkpoint(ROOT / "checkpoints" / "textcnn.pt")
    itos = TextEncoder.from_json(payload["encoder"]).vocab.itos  # <PAD>, <UNK>, then by frequency
    seen = set("".join(texts))
    rows = [i for i, ch in enumerate(itos) if ch in seen] + [itos.index("<UNK>"), itos.index("<PAD>")]
    vectors = payload["state_dict"]["embedding.chars.weight"].double().numpy()[rows]
    np.savez(folder / "embedding_Tencent.npz", embeddings=vectors)
    (folder / "embedding_Tencent.vocab.json").write_text(
        json.dumps([itos[i] for i in rows], ensure_ascii=False), encoding="utf-8"
    )


@pytest.fixture(scope="session")
def small_data_dir(tmp_path_factory):
    """A small split cut from the shipped test split, the same on every machine: 500 test
    headlines (every 20th line), 500 dev (every 20th from line 10) and 2,000 train (every 5th
    from line 1), none in two splits; the file is sorted by label, so every class is in each,
    equally. With class.txt and a small Tencent-format embedding file for the train characters."""
    out = tmp_path_factory.mktemp("thucnews-small")
    lines = shipped_lines()
    splits = {"train.txt": lines[1::5], "dev.txt": lines[10::20], "test.txt": lines[::20]}
    for name, part in splits.items():
        (out / name).write_text("\n".join(part) + "\n", encoding="utf-8")
    (out / "class.txt").write_bytes((SHIPPED_DATA / "class.txt").read_bytes())
    write_tencent_embeddings(out, [line.rpartition("\t")[0] for line in splits["train.txt"]])
    return out


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory):
    """The full THUCNews split when there is one; else a copy of the shipped test split and
    class.txt (the published files, byte for byte), which is all that tests not marked
    full_data read from here."""
    if path := dataset_dir():
        return path
    out = tmp_path_factory.mktemp("thucnews-shipped")
    for name in ("class.txt", "test.txt"):
        (out / name).write_bytes((SHIPPED_DATA / name).read_bytes())
    return out


@pytest.fixture(scope="session")
def checkpoint_dir():
    """The shipped checkpoints; $CLS_CHECKPOINTS overrides (for trying candidates)."""
    return Path(os.environ.get("CLS_CHECKPOINTS") or ROOT / "checkpoints")


def start_app(log_path, *args, env=None):
    """Run `python app.py ARGS` on a free localhost port; returns (process, url) once it answers.
    Corrections go to feedback.sqlite3 beside the log unless env or ARGS say otherwise."""
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(log_path, "w")
    process = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port), "--device", "cpu", *args],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=dict(
            os.environ,
            GRADIO_ANALYTICS_ENABLED="False",
            HEADLINE_LENS_FEEDBACK_DB=str(Path(log_path).parent / "feedback.sqlite3"),
            **(env or {}),
        ),
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 180
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return process, url
        except OSError:
            if process.poll() is not None or time.time() > deadline:
                process.kill()
                pytest.fail("the app did not start: " + open(log_path).read()[-2000:])
            time.sleep(0.5)


@pytest.fixture(scope="session")
def app_url(small_data_dir, checkpoint_dir, tmp_path_factory):
    """`python app.py` serving the shipped checkpoints and the small split."""
    process, url = start_app(
        tmp_path_factory.mktemp("app") / "app.log",
        "--data-dir",
        str(small_data_dir),
        "--checkpoints",
        str(checkpoint_dir),
    )
    yield url
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture(scope="session")
def fresh_app_url(checkpoint_dir, tmp_path_factory):
    """`python app.py` as on a fresh clone: the shipped checkpoints, no dataset anywhere (no
    CLS_DATA_DIR, an empty data directory), so the test split served is data/demo/'s."""
    empty = tmp_path_factory.mktemp("no-dataset")
    process, url = start_app(
        tmp_path_factory.mktemp("fresh-app") / "app.log",
        "--data-dir",
        str(empty),
        "--checkpoints",
        str(checkpoint_dir),
        env={"CLS_DATA_DIR": ""},
    )
    yield url
    process.terminate()
    process.wait(timeout=30)


# --- small networks (tests of cls_core.models) ---------------------------------------------


@pytest.fixture(scope="session")
def tiny_network():
    """make(kind, encoder, num_classes=10, **config) -> (an untrained network for the encoder's
    vocabularies, seeded, its bigram rows drawn so that they count as trained ones may; its config)."""
    import torch

    from cls_core.models.networks import build_model

    def make(kind, encoder, num_classes=10, **options):
        torch.manual_seed(0)
        config = dict(
            vocab_size=len(encoder.vocab),
            num_classes=num_classes,
            embed_dim=16,
            bigram_vocab_size=len(encoder.bigram_vocab),
            bigram_dim=8,
        )
        config.update(dict(hidden=12) if kind == "bilstm_att" else dict(filters=10))
        config.update(options)
        model = build_model(kind, config).eval().requires_grad_(False)
        with torch.no_grad():
            if model.embedding.bigrams is not None:
                model.embedding.bigrams.weight.normal_()
        return model, config

    return make


# --- the app's shared state (tests of cls_core.app) ----------------------------------------


@pytest.fixture(scope="session")
def demo(checkpoint_dir, small_data_dir, tmp_path_factory):
    """The app's Demo over the shipped checkpoints and the small test split, loaded once. What
    it caches on disk (unit index, map, agreement) goes to a folder of its own. A test that
    needs nothing evaluated yet makes its own: Demo(demo.registry, demo.data_dir)."""
    from cls_core.app.service import Demo

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HEADLINE_LENS_CACHE", str(tmp_path_factory.mktemp("demo-cache")))
        yield Demo.load(checkpoint_dir, small_data_dir, "cpu")


# --- the browser (tests/test_browser.py, test_ssr.py, test_charts_browser.py) ----------------

CHROMIUM = "/usr/bin/chromium"
OUTPUT = Path(os.environ.get("TEST_OUTPUT", ROOT / "test-output"))


def require_chromium():
    """Every browser test asks for Debian's chromium: in CI (where .ci/run installs it) its
    absence fails the test; elsewhere the test is skipped with the command that installs it."""
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is not installed (.ci/run installs it)")
        pytest.skip("apt-get install -y chromium fonts-noto-cjk")


@pytest.fixture(scope="module")
def browser():
    """Headless Debian chromium, one per test module (tests/test_browser.py and the others that
    drive a page)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    OUTPUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()
