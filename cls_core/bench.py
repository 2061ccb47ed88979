"""Speed and memory of the shipped models, and of the app, on this machine.

    python -m cls_core.bench              # every model: training throughput, test-set time,
                                          # predict and inspection latency, peak RSS
    python -m cls_core.bench --app        # the app: start-up time, RSS, predict latency over
                                          # the HTTP call API and through gradio_client

Each model is measured in a fresh process, so its peak RSS is its own.
"""

import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np

from .data import load_split, pad_batch, resolve_data_dir
from .predict import Predictor
from .service import MODEL_FILES, Demo

HEADLINE = "国足3:0完胜泰国队 晋级世界杯预选赛下一阶段"


def percentiles(seconds):
    ms = np.asarray(seconds) * 1000
    return {"p50_ms": round(float(np.percentile(ms, 50)), 2), "p95_ms": round(float(np.percentile(ms, 95)), 2)}


def timed(fn, repeats):
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def training_throughput(predictor, texts, labels, steps=30, batch_size=64):
    """Headlines per second over `steps` real optimiser steps (networks), or one full fit (linear)."""
    import torch
    import torch.nn.functional as F
    if predictor.kind == "linear":
        from .linear import LinearModel
        start = time.perf_counter()
        LinearModel.fit(texts, labels, predictor.classes)
        return len(texts) / (time.perf_counter() - start)
    model = predictor.model
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    encoded = [predictor.encoder.encode(t) for t in texts[: steps * batch_size]]
    start = time.perf_counter()
    for i in range(0, len(encoded), batch_size):
        chars, bigrams, lengths = (t.to(predictor.device) for t in pad_batch(encoded[i:i + batch_size]))
        y = torch.tensor(labels[i:i + batch_size], device=predictor.device)
        loss = F.cross_entropy(model(chars, bigrams, lengths), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    if predictor.device.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    model.eval()
    return len(encoded) / seconds


def bench_one(name, checkpoints, data_dir, device):
    predictor = Predictor.load(Path(checkpoints) / MODEL_FILES[name], device)  # this model alone
    core = Demo({name: predictor}, [], Path(data_dir), Path(checkpoints))
    test, train = load_split(data_dir, "test"), load_split(data_dir, "train")
    predictor.predict_proba(test.texts[:64])  # warm-up
    start = time.perf_counter()
    predictor.predict_proba(test.texts)
    test_seconds = time.perf_counter() - start
    result = {"model": name, "device": str(getattr(predictor, "device", "cpu")),
              "test_set_seconds": round(test_seconds, 2),
              "predict": percentiles(timed(lambda: predictor.predict([HEADLINE]), 200)),
              "inspect": percentiles(timed(lambda: core.inside(HEADLINE, name), 20))}
    result["train_headlines_per_s"] = round(training_throughput(predictor, train.texts, train.labels), 1)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return result


def bench_app(checkpoints, data_dir, repeats=50):
    """Start app.py, then time /predict over the raw HTTP call API and via gradio_client."""
    from gradio_client import Client
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    root = Path(__file__).resolve().parents[1]
    url = f"http://127.0.0.1:{port}/"
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "app.py", "--port", str(port), "--checkpoints", str(checkpoints),
                                "--data-dir", str(data_dir)], cwd=root, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                if process.poll() is not None or time.perf_counter() - start > 300:
                    raise RuntimeError("the app did not start")
                time.sleep(0.1)
        startup = time.perf_counter() - start

        def http_call():
            body = json.dumps({"data": [HEADLINE, "TextCNN", 5]}).encode()
            request = urllib.request.Request(url + "gradio_api/call/predict", body,
                                             {"Content-Type": "application/json"})
            event = json.load(urllib.request.urlopen(request))["event_id"]
            reply = urllib.request.urlopen(f"{url}gradio_api/call/predict/{event}").read().decode()
            assert "complete" in reply, reply

        client = Client(url, verbose=False)
        http_call(), client.predict(HEADLINE, "TextCNN", 5, api_name="/predict")  # warm-up
        http = timed(http_call, repeats)
        via_client = timed(lambda: client.predict(HEADLINE, "TextCNN", 5, api_name="/predict"), repeats)
        rss = int(Path(f"/proc/{process.pid}/status").read_text().split("VmHWM:")[1].split()[0]) / 1024
        return {"startup_seconds": round(startup, 1), "app_peak_rss_mb": round(rss, 1),
                "predict_http_api": percentiles(http), "predict_gradio_client": percentiles(via_client)}
    finally:
        process.terminate()
        process.wait(timeout=30)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m cls_core.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoints", default="checkpoints")
    parser.add_argument("--data-dir", help="default: $CLS_DATA_DIR, then data/THUCNews")
    parser.add_argument("--device", default="auto", choices=["auto", "cuda", "cpu"])
    parser.add_argument("--app", action="store_true", help="measure the running app instead")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: measure one model in this process
    args = parser.parse_args(argv)
    data_dir = resolve_data_dir(args.data_dir)
    if args.one:
        print(json.dumps(bench_one(args.one, args.checkpoints, data_dir, args.device)))
        return
    if args.app:
        print(json.dumps(bench_app(args.checkpoints, data_dir), indent=1))
        return
    print(f"{'model':<24}{'train hl/s':>11}{'test set s':>11}{'predict p50/p95 ms':>20}"
          f"{'inspect p50/p95 ms':>20}{'peak RSS MB':>12}")
    for name in MODEL_FILES:
        out = subprocess.run([sys.executable, "-m", "cls_core.bench", "--one", name, "--checkpoints",
                              args.checkpoints, "--data-dir", str(data_dir), "--device", args.device],
                             capture_output=True, text=True, env=dict(os.environ))
        if out.returncode:
            print(f"{name}: failed\n{out.stderr[-1000:]}")
            continue
        r = json.loads(out.stdout.splitlines()[-1])
        print(f"{name:<24}{r['train_headlines_per_s']:>11.0f}{r['test_set_seconds']:>11.2f}"
              f"{r['predict']['p50_ms']:>12.1f} / {r['predict']['p95_ms']:<6.1f}"
              f"{r['inspect']['p50_ms']:>12.1f} / {r['inspect']['p95_ms']:<6.1f}{r['peak_rss_mb']:>12.0f}")


if __name__ == "__main__":
    main()
