"""Speed and memory of the shipped models, and of the app, on this machine.

    python -m cls_core.bench              # every model: training throughput, test-set time,
                                          # predict and inspection latency, peak RSS; then
                                          # the networks against the reference's shapes
    python -m cls_core.bench --ratios     # only the latter: ratio and normalisation cost
    python -m cls_core.bench --app        # the app under load against a no-op Gradio app;
                                          # start-up, RSS, one call over HTTP and gradio_client
    python -m cls_core.bench --deep       # one full "look inside" per model, as the app does it

Each model of the table is measured in a fresh process, so its peak RSS is its own. The
ratios are measured in one process, both sides alternating, so they hold on a busy machine:
reference-shaped networks (the Chinese-Text-Classification-Pytorch project's TextCNN and
TextRNN_Att, random weights) read raw strings as that project does (characters -> ids,
padded or cut to 32, batches of 128), ours go through Predictor.predict_proba.
"""

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from cls_core.data import load_split, pad_batch, resolve_data_dir
from cls_core.data.normalize import normalize_headline
from cls_core.models.predictor import Predictor
from cls_core.app.registry import ModelRegistry
from cls_core.app.service import Demo
from cls_core.app.views.inside import inside, look_inside
from cls_core.models.predictor import SHIPPED_MODELS as MODEL_FILES
from cls_core.app.serving import configure_for_serving

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
    if predictor.kind == "linear":
        from cls_core.models.linear import LinearModel
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


# --- the reference project's networks, its shapes and its way from text to logits -------------

class ReferenceTextCNN(nn.Module):
    """models/TextCNN.py of Chinese-Text-Classification-Pytorch."""

    def __init__(self, vocab_size=4762, embed=200, filters=256, sizes=(2, 3, 4), classes=10):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed, padding_idx=vocab_size - 1)
        self.convs = nn.ModuleList(nn.Conv2d(1, filters, (k, embed)) for k in sizes)
        self.fc = nn.Linear(filters * len(sizes), classes)

    def forward(self, x):
        out = self.embedding(x).unsqueeze(1)
        pooled = []
        for conv in self.convs:
            h = F.relu(conv(out)).squeeze(3)
            pooled.append(F.max_pool1d(h, h.size(2)).squeeze(2))
        return self.fc(torch.cat(pooled, 1))


class ReferenceRNNAttention(nn.Module):
    """models/TextRNN_Att.py of Chinese-Text-Classification-Pytorch."""

    def __init__(self, vocab_size=4762, embed=200, hidden=128, hidden2=64, classes=10):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed, padding_idx=vocab_size - 1)
        self.lstm = nn.LSTM(embed, hidden, 2, bidirectional=True, batch_first=True, dropout=0.5)
        self.w = nn.Parameter(torch.randn(hidden * 2) * 0.1)
        self.fc1 = nn.Linear(hidden * 2, hidden2)
        self.fc = nn.Linear(hidden2, classes)

    def forward(self, x):
        H, _ = self.lstm(self.embedding(x))
        alpha = F.softmax(torch.matmul(torch.tanh(H), self.w), dim=1).unsqueeze(-1)
        return self.fc(self.fc1(F.relu(torch.sum(H * alpha, 1))))


def reference_vocab(chars, size=4762):
    """A character -> id dict the size of the reference's (4,760 characters, <UNK>, <PAD>)."""
    chars = list(dict.fromkeys(chars))[:size - 2]
    chars += [chr(0xE000 + i) for i in range(size - 2 - len(chars))]  # private-use fillers
    vocab = {c: i for i, c in enumerate(chars)}
    vocab.update({"<UNK>": len(vocab), "<PAD>": len(vocab) + 1})
    return vocab


@torch.no_grad()
def reference_predict(model, vocab, texts, pad_size=32, batch_size=128):
    """The reference's utils.build_dataset + test loop: predicted class per text."""
    rows = []
    for text in texts:
        tokens = list(text)
        tokens = tokens + ["<PAD>"] * (pad_size - len(tokens)) if len(tokens) < pad_size else tokens[:pad_size]
        rows.append([vocab.get(t, vocab["<UNK>"]) for t in tokens])
    out = []
    for i in range(0, len(rows), batch_size):
        out.append(torch.max(model(torch.LongTensor(rows[i:i + batch_size])).data, 1)[1].numpy())
    return np.concatenate(out)


REFERENCES = {"TextCNN": ReferenceTextCNN, "BiLSTM-attention": ReferenceRNNAttention}


def bench_ratios(checkpoints, data_dir, device, rounds=3):
    """Seconds over the test split, reference-shaped network against ours, best of `rounds`
    alternating runs; the normalisation's share; this process's peak RSS."""
    texts = load_split(data_dir, "test").texts
    torch.manual_seed(0)
    rows = {}
    for name, reference in REFERENCES.items():
        ours = Predictor.load(Path(checkpoints) / MODEL_FILES[name], device)
        ref = reference().eval()
        vocab = reference_vocab(ours.encoder.vocab.itos[2:])
        ours.predict_proba(texts[:256]), reference_predict(ref, vocab, texts[:256])  # warm-up
        ref_s, our_s = [], []
        for _ in range(rounds):
            ref_s += timed(lambda: reference_predict(ref, vocab, texts), 1)
            our_s += timed(lambda: ours.predict_proba(texts), 1)
        rows[name] = {"reference_s": round(min(ref_s), 3), "ours_s": round(min(our_s), 3),
                      "ratio": round(min(ref_s) / min(our_s), 2),
                      "fast_path_mb": round(ours.fast.nbytes() / 2**20, 1) if ours.fast else None}
    one = timed(lambda: normalize_headline(HEADLINE), 1000)
    all_s = min(timed(lambda: ours.normalize_many(texts), rounds))
    return {"networks": rows, "normalize_per_headline_us": round(float(np.median(one)) * 1e6, 1),
            "normalize_test_split_s": round(all_s, 3), "torch_threads": torch.get_num_threads(),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def print_ratios(r):
    print(f"\n{'network':<20}{'reference s':>12}{'ours s':>9}{'ratio':>8}{'fast path MB':>14}"
          "   (10,000 test headlines, raw strings in, best of the rounds)")
    for name, row in r["networks"].items():
        print(f"{name:<20}{row['reference_s']:>12.3f}{row['ours_s']:>9.3f}{row['ratio']:>7.1f}x"
              f"{row['fast_path_mb'] or 0:>14.1f}")
    print(f"normalisation: {r['normalize_per_headline_us']:.1f} us for one headline, "
          f"{r['normalize_test_split_s']:.3f} s for the test split (inside 'ours'); "
          f"torch threads {r['torch_threads']}; peak RSS {r['peak_rss_mb']:.0f} MB")


HEADLINE_30 = "国足3:0完胜泰国队晋级世界杯预选赛下一阶段比赛主帅赛后表示"   # 30 characters


def measure_deep_inspection(demo, name, text=HEADLINE_30, repeats=20):
    """Seconds of one full "look inside" for one model, `repeats` times after a warm-up, as
    the app's Inside tab does it: Demo.look_inside (occlusion, reading, hidden states or
    n-grams, integrated gradients with batched steps on a second thread, input reduction,
    the bounded flip search, every figure)."""
    def once():
        look_inside(demo, text, name)
    once()
    return np.asarray(timed(once, repeats))


def bench_deep(checkpoints, repeats=20):
    """p50 / p95 of one full "look inside" per model, with the app's torch threads."""
    threads = configure_for_serving()
    demo = Demo.load(checkpoints, device="cpu")
    return {"torch_threads": threads, "characters": len(HEADLINE_30),
            "models": {name: percentiles(measure_deep_inspection(demo, name, repeats=repeats))
                       for name in demo.model_names(ensemble=False)}}


def print_deep(r):
    for name, row in r["models"].items():
        print(f"{name:<28} look inside p50 {row['p50_ms']:6.1f} ms   p95 {row['p95_ms']:6.1f} ms "
              f"({r['characters']} characters, {r['torch_threads']} torch thread(s))")


def bench_one(name, checkpoints, data_dir, device):
    predictor = Predictor.load(Path(checkpoints) / MODEL_FILES[name], device)  # this model alone
    core = Demo(ModelRegistry({name: predictor}, checkpoints), Path(data_dir))
    test, train = load_split(data_dir, "test"), load_split(data_dir, "train")
    predictor.predict_proba(test.texts[:64])  # warm-up
    start = time.perf_counter()
    predictor.predict_proba(test.texts)
    test_seconds = time.perf_counter() - start
    result = {"model": name, "device": str(getattr(predictor, "device", "cpu")),
              "test_set_seconds": round(test_seconds, 2),
              "predict": percentiles(timed(lambda: predictor.predict([HEADLINE]), 200)),
              "inspect": percentiles(timed(lambda: inside(core, HEADLINE, name), 20)),
              "deep_inspect": percentiles(measure_deep_inspection(core, name, repeats=20))}
    result["train_headlines_per_s"] = round(training_throughput(predictor, train.texts, train.labels), 1)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return result


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
    process = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env=dict(os.environ, GRADIO_ANALYTICS_ENABLED="False"))
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return process, url, time.perf_counter() - start
        except OSError:
            if process.poll() is not None or time.perf_counter() - start > timeout:
                process.kill()
                raise RuntimeError(f"{' '.join(args)} did not start")
            time.sleep(0.1)


def http_call(url, data, timeout=60):
    """One call over Gradio's HTTP call API: POST the inputs, then read the event stream."""
    request = urllib.request.Request(url + "gradio_api/call/predict", json.dumps({"data": data}).encode(),
                                     {"Content-Type": "application/json"})
    event = json.load(urllib.request.urlopen(request, timeout=timeout))["event_id"]
    reply = urllib.request.urlopen(f"{url}gradio_api/call/predict/{event}", timeout=timeout).read().decode()
    if "event: complete" not in reply:
        raise RuntimeError(reply[-300:])


def load(url, clients, calls):
    """`clients` threads, each making `calls` calls one after another: (seconds per call, errors)."""
    from concurrent.futures import ThreadPoolExecutor

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
    import tempfile

    from gradio_client import Client
    root = Path(__file__).resolve().parents[2]
    noop_file = Path(tempfile.mkdtemp(prefix="noop-app-")) / "noop_app.py"
    noop_file.write_text(NOOP_APP, encoding="utf-8")
    port = free_port()
    noop, noop_url, _ = start_server([sys.executable, str(noop_file), str(port)], root, port)
    port = free_port()
    try:
        app, url, startup = start_server([sys.executable, "app.py", "--port", str(port), "--checkpoints",
                                          str(checkpoints), "--data-dir", str(data_dir)], root, port)
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
            timed(lambda: client.predict(HEADLINE, "TextCNN", 5, api_name="/predict"), repeats))
        result["app_peak_rss_mb"] = round(int(Path(f"/proc/{app.pid}/status").read_text()
                                              .split("VmHWM:")[1].split()[0]) / 1024, 1)
        return result
    finally:
        for process in (app, noop):
            process.terminate()
            process.wait(timeout=30)


def print_app(r):
    print(f"app start-up {r['startup_seconds']} s, peak RSS {r['app_peak_rss_mb']:.0f} MB")
    for row in r["loads"]:
        print(f"{row['clients']} clients x {row['calls_each']} calls: p95 {row['app']['p95_ms']:.0f} ms "
              f"(p50 {row['app']['p50_ms']:.0f}, {row['app']['errors']} errors) against the no-op app's "
              f"{row['noop']['p95_ms']:.0f} ms (p50 {row['noop']['p50_ms']:.0f}, {row['noop']['errors']} errors): "
              f"{row['p95_ratio']:.2f}x")
    for key, label in (("predict_http_api", "HTTP call API"), ("predict_gradio_client", "gradio_client")):
        print(f"one /predict call via {label}: p50 {r[key]['p50_ms']:.1f} ms, p95 {r[key]['p95_ms']:.1f} ms")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m cls_core.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoints", default="checkpoints")
    parser.add_argument("--data-dir", help="default: $CLS_DATA_DIR, then data/THUCNews")
    parser.add_argument("--device", default="auto", choices=["auto", "cuda", "cpu"])
    parser.add_argument("--app", action="store_true", help="measure the app under load instead")
    parser.add_argument("--ratios", action="store_true", help="only the networks against the reference's")
    parser.add_argument("--deep", action="store_true", help="only one full look inside per model")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    parser.add_argument("--threads", type=int, help="torch intra-op threads (default: torch's, one per core); "
                        "1 keeps a machine shared with other work from stalling both sides' thread pools")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: measure one model in this process
    args = parser.parse_args(argv)
    data_dir = resolve_data_dir(args.data_dir)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.one:
        print(json.dumps(bench_one(args.one, args.checkpoints, data_dir, args.device)))
        return
    if args.deep:
        r = bench_deep(args.checkpoints)
        print_deep(r)
        if args.json:
            print(json.dumps(r, indent=1))
        return
    if args.app or args.ratios:
        r = bench_app(args.checkpoints, data_dir) if args.app else bench_ratios(args.checkpoints, data_dir, args.device)
        (print_app if args.app else print_ratios)(r)
        if args.json:
            print(json.dumps(r, indent=1))
        return
    print(f"{'model':<24}{'train hl/s':>11}{'test set s':>11}{'predict p50/p95 ms':>20}"
          f"{'inspect p50/p95 ms':>20}{'deep look p50/p95 ms':>22}{'peak RSS MB':>12}")
    for name in MODEL_FILES:
        out = subprocess.run([sys.executable, "-m", "cls_core.bench", "--one", name, "--checkpoints",
                              args.checkpoints, "--data-dir", str(data_dir), "--device", args.device]
                             + (["--threads", str(args.threads)] if args.threads else []),
                             capture_output=True, text=True, env=dict(os.environ))
        if out.returncode:
            print(f"{name}: failed\n{out.stderr[-1000:]}")
            continue
        r = json.loads(out.stdout.splitlines()[-1])
        print(f"{name:<24}{r['train_headlines_per_s']:>11.0f}{r['test_set_seconds']:>11.2f}"
              f"{r['predict']['p50_ms']:>12.1f} / {r['predict']['p95_ms']:<6.1f}"
              f"{r['inspect']['p50_ms']:>12.1f} / {r['inspect']['p95_ms']:<6.1f}"
              f"{r['deep_inspect']['p50_ms']:>14.1f} / {r['deep_inspect']['p95_ms']:<6.1f}{r['peak_rss_mb']:>12.0f}")
    print_ratios(bench_ratios(args.checkpoints, data_dir, args.device))


if __name__ == "__main__":
    main()
