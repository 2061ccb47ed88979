"""The app under load against a no-op Gradio app with the same queue, then its start-up, RSS
and one call over the HTTP call API and through gradio_client; and the latency of keeping
a correction (/flag).

    python -m cls_core.bench --app
    python -m cls_core.bench --flag
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cls_core.bench.timing import HEADLINE, percentiles, timed

ROOT = Path(__file__).resolve().parents[2]  # where app.py lies

NOOP_APP = """
import sys
import gradio as gr

def predict(headline: str, model: str = "TextCNN", top_k: int = 5) -> dict:
    return {"headline": headline, "model": model, "top": {}}

with gr.Blocks() as app:
    gr.api(predict, api_name="predict")
app.queue(default_concurrency_limit=4, max_size=64)  # as app.py
app.launch(server_name="127.0.0.1", server_port=int(sys.argv[1]))
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(args, cwd, port, timeout=300):
    """(process, url, seconds until it answered) for a server command listening on port."""
    url = f"http://127.0.0.1:{port}/"
    start = time.perf_counter()
    process = subprocess.Popen(
        args,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=dict(os.environ, GRADIO_ANALYTICS_ENABLED="False"),
    )
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return process, url, time.perf_counter() - start
        except OSError:
            if process.poll() is not None or time.perf_counter() - start > timeout:
                process.kill()
                raise RuntimeError(f"{' '.join(args)} did not start")
            time.sleep(0.1)


def start_app(checkpoints, data_dir, *flags):
    """(process, url, seconds until it answered) of `python app.py` on a free port, serving
    checkpoints and data_dir, with flags (e.g. "--device", "cpu")."""
    port = free_port()
    command = [sys.executable, "app.py", "--port", str(port), "--checkpoints", str(checkpoints)]
    return start_server([*command, "--data-dir", str(data_dir), *flags], ROOT, port)


def http_call(url, data, timeout=60, endpoint="predict"):
    """One call of an endpoint over Gradio's HTTP call API: POST the inputs, then read the
    event stream; returns the endpoint's output (the "data" of its "complete" event)."""
    request = urllib.request.Request(
        f"{url}gradio_api/call/{endpoint}", json.dumps({"data": data}).encode(), {"Content-Type": "application/json"}
    )
    event = json.load(urllib.request.urlopen(request, timeout=timeout))["event_id"]
    reply = urllib.request.urlopen(f"{url}gradio_api/call/{endpoint}/{event}", timeout=timeout).read().decode()
    if "event: complete" not in reply:
        raise RuntimeError(reply[-300:])
    return json.loads(reply.split("event: complete", 1)[1].split("data:", 1)[1].strip().splitlines()[0])


def load(url, clients, calls):
    """`clients` threads, each making `calls` calls one after another: (seconds per call, errors)."""

    def client(i):
        seconds, errors = [], 0
        for j in range(calls):
            start = time.perf_counter()
            try:
                http_call(url, [f"{HEADLINE}{i}-{j}", "TextCNN", 5])
                seconds.append(time.perf_counter() - start)
            except Exception:
                errors += 1
        return seconds, errors

    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(client, range(clients)))
    return [s for r in results for s in r[0]], sum(r[1] for r in results)


def bench_app(checkpoints, data_dir, repeats=50, sizes=((20, 10), (50, 20)), rounds=2):
    """The app against a no-op Gradio app with the same queue, under the same loads, in one run
    (each load `rounds` times, the two apps in turn); then the app's start-up, RSS and one call
    over the HTTP call API and via gradio_client."""
    from gradio_client import Client

    noop_file = Path(tempfile.mkdtemp(prefix="noop-app-")) / "noop_app.py"
    noop_file.write_text(NOOP_APP, encoding="utf-8")
    port = free_port()
    noop, noop_url, _ = start_server([sys.executable, str(noop_file), str(port)], ROOT, port)
    try:
        app, url, startup = start_app(checkpoints, data_dir)
    except BaseException:
        noop.kill()
        raise
    try:
        result = {"startup_seconds": round(startup, 1), "loads": []}
        for target in (noop_url, url):
            http_call(target, [HEADLINE, "TextCNN", 5])  # warm-up
        for clients, calls in sizes:
            row = {"clients": clients, "calls_each": calls}
            measured = {"noop": ([], 0), "app": ([], 0)}
            for _ in range(rounds):  # the two apps in turn, so that other load on the machine hits both
                for name, target in (("noop", noop_url), ("app", url)):
                    seconds, errors = load(target, clients, calls)
                    measured[name] = (measured[name][0] + seconds, measured[name][1] + errors)
            for name, (seconds, errors) in measured.items():
                row[name] = dict(percentiles(seconds), errors=errors)
            row["p95_ratio"] = round(row["app"]["p95_ms"] / row["noop"]["p95_ms"], 2)
            result["loads"].append(row)
        client = Client(url, verbose=False)
        client.predict(HEADLINE, "TextCNN", 5, api_name="/predict")  # warm-up
        result["predict_http_api"] = percentiles(timed(lambda: http_call(url, [HEADLINE, "TextCNN", 5]), repeats))
        result["predict_gradio_client"] = percentiles(
            timed(lambda: client.predict(HEADLINE, "TextCNN", 5, api_name="/predict"), repeats)
        )
        result["app_peak_rss_mb"] = round(
            int(Path(f"/proc/{app.pid}/status").read_text().split("VmHWM:")[1].split()[0]) / 1024, 1
        )
        return result
    finally:
        for process in (app, noop):
            process.terminate()
            process.wait(timeout=30)


def print_app(r):
    print(f"app start-up {r['startup_seconds']} s, peak RSS {r['app_peak_rss_mb']:.0f} MB")
    for row in r["loads"]:
        print(
            f"{row['clients']} clients x {row['calls_each']} calls: p95 {row['app']['p95_ms']:.0f} ms "
            f"(p50 {row['app']['p50_ms']:.0f}, {row['app']['errors']} errors) against the no-op app's "
            f"{row['noop']['p95_ms']:.0f} ms (p50 {row['noop']['p50_ms']:.0f}, {row['noop']['errors']} errors): "
            f"{row['p95_ratio']:.2f}x"
        )
    for key, label in (("predict_http_api", "HTTP call API"), ("predict_gradio_client", "gradio_client")):
        print(f"one /predict call via {label}: p50 {r[key]['p50_ms']:.1f} ms, p95 {r[key]['p95_ms']:.1f} ms")


def bench_flag(checkpoints, data_dir, repeats=100):
    """/flag over the HTTP call API and through gradio_client, each call a correction kept
    (committed to disk) in a database of its own, thrown away after; /predict beside it. A gradio_client session
    may keep 30 corrections a minute: the client is renewed (untimed) every 25 calls."""
    from gradio_client import Client

    folder = Path(tempfile.mkdtemp(prefix="flag-bench-"))
    app, url, _ = start_app(checkpoints, data_dir, "--feedback-db", str(folder / "feedback.sqlite3"))
    try:
        result = {"calls": repeats, "store_add": bench_store_add(folder / "alone.sqlite3", repeats)}
        # /predict beside it, timed the same way: what any call costs, against which /flag's
        # extra (the model's answer again, the commit to disk) shows
        for api, data in (
            ("flag", [HEADLINE, "TextCNN", "finance"]),  # every model answers sports
            ("predict", [HEADLINE, "TextCNN", 5]),
        ):
            http_call(url, data, endpoint=api)  # warm-up
            result[f"{api}_http_api"] = percentiles(timed(lambda: http_call(url, data, endpoint=api), repeats))
            seconds = []
            for start in range(0, repeats, 25):
                client = Client(url, verbose=False)
                seconds += timed(lambda: client.predict(*data, api_name=f"/{api}"), min(25, repeats - start))
            result[f"{api}_gradio_client"] = percentiles(seconds)
        return result
    finally:
        app.terminate()
        app.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


def bench_store_add(path, repeats):
    """The store's own share: one correction committed (fsynced) in this process, no Gradio."""
    from cls_core.feedback import Correction, FeedbackStore

    store = FeedbackStore(path)
    try:
        return percentiles(
            timed(lambda: store.add(Correction(HEADLINE, HEADLINE, "TextCNN", "sports", 0.9, "finance")), repeats)
        )
    finally:
        store.close()


def print_flag(r):
    print(
        f"one correction committed by the store alone: p50 {r['store_add']['p50_ms']:.2f} ms, "
        f"p95 {r['store_add']['p95_ms']:.2f} ms"
    )
    for api in ("flag", "predict"):
        for way, label in (("http_api", "HTTP call API"), ("gradio_client", "gradio_client")):
            key = f"{api}_{way}"
            print(
                f"one /{api} call via {label} ({r['calls']} calls): p50 {r[key]['p50_ms']:.1f} ms, "
                f"p95 {r[key]['p95_ms']:.1f} ms"
            )
