import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data" / "THUCNews"


@pytest.fixture(scope="session")
def data_dir():
    """The real THUCNews split: $CLS_DATA_DIR, else ../shared/data/THUCNews beside the repo."""
    path = Path(os.environ.get("CLS_DATA_DIR") or SHARED_DATA)
    if not (path / "train.txt").exists():
        if os.environ.get("CI"):
            pytest.fail(f"THUCNews data not found at {path}")
        pytest.skip(f"THUCNews data not found at {path}; set CLS_DATA_DIR")
    return path


@pytest.fixture(scope="session")
def small_data_dir(tmp_path_factory, data_dir):
    """A small real slice (2,000 train / 500 dev / 500 test lines, every k-th line so that
    every class is present: test.txt is sorted by label) for quick training."""
    out = tmp_path_factory.mktemp("thucnews-small")
    for name, n in (("train.txt", 2000), ("dev.txt", 500), ("test.txt", 500)):
        lines = (data_dir / name).read_text(encoding="utf-8").splitlines()
        lines = lines[::len(lines) // n][:n]
        (out / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    for name in ("class.txt", "embedding_Tencent.npz", "embedding_Tencent.vocab.json"):
        (out / name).write_bytes((data_dir / name).read_bytes())
    return out


@pytest.fixture(scope="session")
def checkpoint_dir():
    """The shipped checkpoints; $CLS_CHECKPOINTS overrides (for trying candidates)."""
    return Path(os.environ.get("CLS_CHECKPOINTS") or ROOT / "checkpoints")


def start_app(log_path, *args, env=None):
    """Run `python app.py ARGS` on a free localhost port; returns (process, url) once it answers."""
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(log_path, "w")
    process = subprocess.Popen([sys.executable, "app.py", "--port", str(port), "--device", "cpu", *args],
                               cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                               env=dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", **(env or {})))
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
    process, url = start_app(tmp_path_factory.mktemp("app") / "app.log", "--data-dir", str(small_data_dir),
                             "--checkpoints", str(checkpoint_dir))
    yield url
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture(scope="session")
def fresh_app_url(checkpoint_dir, tmp_path_factory):
    """`python app.py` as on a fresh clone: the shipped checkpoints, no dataset anywhere (no
    CLS_DATA_DIR, an empty data directory), so the test split served is data/demo/'s."""
    empty = tmp_path_factory.mktemp("no-dataset")
    process, url = start_app(tmp_path_factory.mktemp("fresh-app") / "app.log", "--data-dir", str(empty),
                             "--checkpoints", str(checkpoint_dir), env={"CLS_DATA_DIR": ""})
    yield url
    process.terminate()
    process.wait(timeout=30)


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
