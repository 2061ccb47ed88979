"""Speed and memory of the shipped models, and of the app, on this machine.

    python -m cls_core.bench              # every model: training throughput, test-set time,
                                          # predict and inspection latency, peak RSS; then
                                          # the networks against the reference's shapes
    python -m cls_core.bench --ratios     # only the latter: ratio and normalisation cost
    python -m cls_core.bench --app        # the app under load against a no-op Gradio app;
                                          # start-up, RSS, one call over HTTP and gradio_client
    python -m cls_core.bench --flag       # keeping a correction: /flag over HTTP and gradio_client
    python -m cls_core.bench --train-load # /predict's latency idle, and with a visitor's training running
    python -m cls_core.bench --deep       # one full "look inside" per model, as the app does it
    python -m cls_core.bench --answers    # bf16 against fp32 on the full test split: same answers?
    python -m cls_core.bench --soak       # the app's RSS over rounds of looks inside, predictions and
                                          # evaluations over HTTP (--rounds N, default 3); with
                                          # --in-process the same rounds on the service alone
    python -m cls_core.bench --first-draw # each view's first drawing time in headless Chromium,
                                          # on the app as a fresh clone serves it (needs playwright)
    python -m cls_core.bench --startup    # the app as a host starts it: start-up time, memory
    python -m cls_core.bench --train-precision --model textcnn --out-dir /tmp/p
                                          # fp32 against bf16 training: time to the reference's
                                          # dev accuracy and to our best
    python -m cls_core.bench --gpu --json out.json
                                          # every CUDA path once, timed, on a GPU machine
    python -m cls_core.bench --own-data   # training on a labelled file of one's own (5 THUCNews
                                          # classes x 2,000 headlines): seconds to the best
                                          # dev epoch, total, accuracy; per model

One module each: cls_core.bench.models (the table, each model in a fresh process),
.reference (the ratios against the reference project's shapes), .look (one look inside),
.load (the app under HTTP load), .train_load (the app while a model trains), .soak (its
memory over rounds), .first_draw (the views in a browser), .startup (start-up and memory
as a host runs the app), .precision (fp32 against bf16 training), .gpu (the CUDA paths),
.own_data (training on one's own file). Each is imported only when asked for: the GPU
machine has neither gradio nor plotly, and --gpu imports neither.
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import torch

from cls_core.data import add_data_dir_argument, resolve_data_dir
from cls_core.models.precision import add_precision_argument
from cls_core.models.predictor import SHIPPED_MODELS, add_device_argument


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m cls_core.bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--checkpoints", default="checkpoints")
    add_data_dir_argument(parser)
    add_device_argument(parser)
    add_precision_argument(parser)
    parser.add_argument("--app", action="store_true", help="measure the app under load instead")
    parser.add_argument("--flag", action="store_true", help="only the latency of keeping a correction (/flag)")
    parser.add_argument(
        "--train-load",
        action="store_true",
        help="/predict's latency idle and with one training running (app.py --allow-training)",
    )
    parser.add_argument(
        "--flood",
        action="store_true",
        help="one visitor's /predict latency while --clients clients flood /inspect on the BiLSTM",
    )
    parser.add_argument(
        "--clients", type=int, default=20, help="--flood: the flooders; --train-load: the predicting clients (20)"
    )
    parser.add_argument("--ratios", action="store_true", help="only the networks against the reference's")
    parser.add_argument("--deep", action="store_true", help="only one full look inside per model")
    parser.add_argument("--answers", action="store_true", help="bf16 against fp32 answers on the full test split")
    parser.add_argument("--soak", action="store_true", help="the app's memory over rounds of load")
    parser.add_argument("--rounds", type=int, default=3, help="--soak: rounds after which RSS is read (default 3)")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="--soak: on the app's service in one process, without Gradio, with the RSS after malloc_trim too",
    )
    parser.add_argument(
        "--first-draw",
        action="store_true",
        help="each view's first drawing time in headless Chromium on a fresh clone's app",
    )
    parser.add_argument(
        "--startup",
        action="store_true",
        help="start-up time and memory of the app as a host starts it (environment, no flags)",
    )
    parser.add_argument(
        "--train-precision",
        action="store_true",
        help="train --model's shipped recipe in fp32, then in bf16 autocast, into --out-dir",
    )
    parser.add_argument("--model", default="textcnn", choices=["textcnn", "bilstm_att"], help="with --train-precision")
    parser.add_argument(
        "--out-dir",
        help="with --train-precision: where the trainings write (not checkpoints/); "
        "without it, only the alternating timing of the training step; with --own-data: where "
        "the file and models go (default: a temporary folder)",
    )
    parser.add_argument(
        "--own-data",
        action="store_true",
        help="train each model on 5 THUCNews classes x 2,000 headlines as one's own file "
        "(--out-dir: where; default a temporary folder), or on --train-file",
    )
    parser.add_argument(
        "--train-file", metavar="FILE", help="with --own-data: time this labelled file instead (text<TAB>label, or CSV)"
    )
    parser.add_argument(
        "--gpu", action="store_true", help="every CUDA path once (cls_core.bench.gpu; --device cuda unless given)"
    )
    parser.add_argument(
        "--limit", type=int, help="with --gpu: at most N headlines of each split (the CPU test's tiny run)"
    )
    parser.add_argument(
        "--pack", metavar="DIR", help="with --gpu: write DIR/data, the small data folder a GPU call carries, and stop"
    )
    parser.add_argument(
        "--json",
        nargs="?",
        const=True,
        metavar="PATH",
        help="print the figures as JSON too; with PATH, write them there instead",
    )
    parser.add_argument(
        "--threads",
        type=int,
        help="torch intra-op threads (default: torch's, one per core); "
        "1 keeps a machine shared with other work from stalling both sides' thread pools",
    )
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: measure one model in this process
    return parser.parse_args(argv)


def under_load(args, data_dir):
    """(figures, --json) of the benchmark of the app serving visitors that args name: --soak,
    --flag, --train-load or --flood; the figures are printed."""
    if args.soak:
        from cls_core.bench.soak import bench_soak, print_soak

        r = bench_soak(args.checkpoints, data_dir, args.rounds, args.in_process)
        print_soak(r)
    elif args.flag:
        from cls_core.bench.load import bench_flag, print_flag

        r = bench_flag(args.checkpoints, data_dir)
        print_flag(r)
    elif args.train_load:
        from cls_core.bench.train_load import bench_train_load, print_train_load

        r = bench_train_load(args.checkpoints, data_dir, clients=args.clients)
        print_train_load(r)
    else:
        from cls_core.bench.flood import bench_flood, print_flood

        r = bench_flood(args.checkpoints, data_dir, flooders=args.clients)
        print_flood(r)
    return r, args.json


def main(argv=None):
    args = parse_args(argv)
    data_dir = resolve_data_dir(args.data_dir)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.gpu:
        from cls_core.bench.gpu import main as gpu_main

        return gpu_main(
            args.checkpoints,
            data_dir,
            "cuda" if args.device == "auto" else args.device,
            args.limit,
            args.json,
            args.pack,
        )
    if args.one:
        from cls_core.bench.models import bench_one

        print(json.dumps(bench_one(args.one, args.checkpoints, data_dir, args.device, args.precision)))
        return
    if args.answers:
        from cls_core.bench.answers import bench_answers, print_answers

        r = bench_answers(args.checkpoints, data_dir)
        print_answers(r)
        return emit(r, args.json)
    if args.startup:
        from cls_core.bench.startup import bench_startup, print_startup

        r = bench_startup()
        print_startup(r)
        return emit(r, args.json)
    if args.train_precision:
        from cls_core.bench.precision import bench_train_precision, print_train_precision

        r = bench_train_precision(
            args.model,
            args.checkpoints,
            data_dir,
            args.out_dir,
            device="cpu" if args.device == "auto" else args.device,
            threads=args.threads or 1,
        )
        print_train_precision(r)
        return emit(r, args.json)
    if args.own_data:
        from cls_core.bench.own_data import bench_own_data, print_own_data

        try:
            r = bench_own_data(data_dir, args.out_dir, args.device, args.train_file)
        except FileNotFoundError as e:
            sys.exit(f"error: {e}")
        print_own_data(r)
        return emit(r, args.json)
    if args.soak or args.flag or args.train_load or args.flood:
        return emit(*under_load(args, data_dir))
    if args.first_draw:
        from cls_core.bench.first_draw import bench_first_draw, print_first_draw

        r = bench_first_draw(args.checkpoints)
        print_first_draw(r)
        return emit(r, args.json)
    if args.deep:
        from cls_core.bench.look import bench_deep, print_deep

        r = bench_deep(args.checkpoints, args.precision)
        print_deep(r)
        return emit(r, args.json)
    from cls_core.bench.reference import bench_ratios, print_ratios

    if args.app:
        from cls_core.bench.load import bench_app, print_app

        r = bench_app(args.checkpoints, data_dir)
        print_app(r)
        return emit(r, args.json)
    if args.ratios:
        r = bench_ratios(args.checkpoints, data_dir, args.device, args.precision)
        print_ratios(r)
        return emit(r, args.json)
    print_model_table(args, data_dir)
    print_ratios(bench_ratios(args.checkpoints, data_dir, args.device, args.precision))


def print_model_table(args, data_dir):
    """The default bench's table: each shipped model measured alone, in a fresh process."""
    print(
        f"{'model':<24}{'precision':>10}{'train hl/s':>11}{'test set s':>11}{'predict p50/p95 ms':>20}"
        f"{'inspect p50/p95 ms':>20}{'deep look p50/p95 ms':>22}{'peak RSS MB':>12}"
    )
    for name in SHIPPED_MODELS:
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "cls_core.bench",
                "--one",
                name,
                "--checkpoints",
                args.checkpoints,
                "--data-dir",
                str(data_dir),
                "--device",
                args.device,
                "--precision",
                args.precision,
            ]
            + (["--threads", str(args.threads)] if args.threads else []),
            capture_output=True,
            text=True,
            env=dict(os.environ),
        )
        if out.returncode:
            print(f"{name}: failed\n{out.stderr[-1000:]}")
            continue
        r = json.loads(out.stdout.splitlines()[-1])
        print(
            f"{name:<24}{r['precision']:>10}{r['train_headlines_per_s']:>11.0f}{r['test_set_seconds']:>11.2f}"
            f"{r['predict']['p50_ms']:>12.1f} / {r['predict']['p95_ms']:<6.1f}"
            f"{r['inspect']['p50_ms']:>12.1f} / {r['inspect']['p95_ms']:<6.1f}"
            f"{r['deep_inspect']['p50_ms']:>14.1f} / {r['deep_inspect']['p95_ms']:<6.1f}{r['peak_rss_mb']:>12.0f}"
        )


def emit(r, where):
    """--json: print the figures as JSON; --json PATH: write them to PATH."""
    if where is True:
        print(json.dumps(r, indent=1, ensure_ascii=False))
    elif where:
        Path(where).write_text(json.dumps(r, indent=1, ensure_ascii=False), encoding="utf-8")
        print(f"figures written to {where}")


if __name__ == "__main__":
    main()
