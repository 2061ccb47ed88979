"""The app as a host starts it: seconds until it answers, and its memory.

    python -m cls_core.bench --startup [--json PATH]

`python app.py` with no flags at all, told where to listen by $GRADIO_SERVER_NAME and
$GRADIO_SERVER_PORT as Hugging Face Spaces tells it (here 127.0.0.1 rather than Spaces'
0.0.0.0, so that nothing is served to the network while it is measured; the address changes
nothing else), on a host as fresh as a new Space: an empty cache directory (the precision probe
runs, the shipped cache entries are read) and no dataset (the shipped test split is served).

Measured: seconds from the command to the first HTTP answer; the resident memory then; after
one visitor's page is drawn and answers one headline in headless Chromium (skipped without
playwright, a dev requirement imported here only); after one /predict call over the HTTP API;
and the peak (VmHWM) at the end, which is what a host's memory limit must allow.
"""

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from cls_core.bench.timing import HEADLINE

ROOT = Path(__file__).resolve().parents[2]


def memory_mb(pid, field):
    """A memory figure of /proc/PID/status (VmRSS: now, VmHWM: the peak so far), in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return round(int(status.split(f"{field}:")[1].split()[0]) / 1024, 1)


def start_as_a_host_would(workdir, port):
    """(process, url, seconds until it answered): app.py, no flags, on a fresh host."""
    env = {k: v for k, v in os.environ.items() if k not in ("CLS_DATA_DIR", "PORT")}
    env.update(
        GRADIO_SERVER_NAME="127.0.0.1",
        GRADIO_SERVER_PORT=str(port),
        GRADIO_ANALYTICS_ENABLED="False",
        HEADLINE_LENS_CACHE=str(Path(workdir) / "cache"),
    )
    url = f"http://127.0.0.1:{port}/"
    start = time.perf_counter()
    with open(Path(workdir) / "app.log", "w") as log:
        # no $CLS_DATA_DIR: the app looks in data/THUCNews, which a host's copy lacks (never committed)
        process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return process, url, time.perf_counter() - start
        except OSError:
            if process.poll() is not None or time.perf_counter() - start > 300:
                process.kill()
                raise RuntimeError("the app did not start:\n" + (Path(workdir) / "app.log").read_text()[-2000:])
            time.sleep(0.1)


def draw_the_page_once(url):
    """One English visitor's page in headless Chromium, answering one headline; seconds it took,
    or None without playwright."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    from cls_core.bench.first_draw import CHROMIUM, LAUNCH_ARGS, open_page

    start = time.perf_counter()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        page, _ = open_page(browser, url)
        page.locator("#headline textarea").fill(HEADLINE)
        page.locator("#headline textarea").press("Enter")
        page.locator(".output-class").first.wait_for()
        browser.close()
    return time.perf_counter() - start


def bench_startup():
    """{startup_s, rss_started_mb, page_s, rss_after_page_mb, rss_after_predict_mb, peak_rss_mb, ...}."""
    from cls_core.bench.first_draw import free_port
    from cls_core.bench.load import http_call

    with tempfile.TemporaryDirectory(prefix="startup-") as workdir:
        process, url, startup = start_as_a_host_would(workdir, free_port())
        try:
            r = dict(startup_s=round(startup, 1), rss_started_mb=memory_mb(process.pid, "VmRSS"))
            page_s = draw_the_page_once(url)
            r.update(page_s=page_s and round(page_s, 1), rss_after_page_mb=memory_mb(process.pid, "VmRSS"))
            http_call(url, [HEADLINE, "TextCNN", 5])
            r.update(rss_after_predict_mb=memory_mb(process.pid, "VmRSS"), peak_rss_mb=memory_mb(process.pid, "VmHWM"))
        finally:
            process.terminate()
            process.wait(timeout=30)
        r.update(
            app_log_tail=(Path(workdir) / "app.log").read_text()[-2000:],
            cpus=os.cpu_count(),
            load_after=list(os.getloadavg()),
        )
    return r


def print_startup(r):
    print(
        f"start-up (python app.py until it answers HTTP): {r['startup_s']} s; "
        f"resident then {r['rss_started_mb']:.0f} MB"
    )
    if r["page_s"] is None:
        print("page: not drawn (playwright is not installed)")
    else:
        print(
            f"one visitor's page drawn and one headline answered in Chromium: {r['page_s']} s; "
            f"resident after {r['rss_after_page_mb']:.0f} MB"
        )
    print(
        f"after one /predict call: {r['rss_after_predict_mb']:.0f} MB; peak (VmHWM) {r['peak_rss_mb']:.0f} MB "
        f"({r['cpus']} CPUs, load average after {r['load_after'][0]:.1f})"
    )
