"""The app's memory over a long run: `python app.py --device cpu` as a real server, driven
over its HTTP API in rounds, with the server's resident memory read after each round.

    python -m cls_core.bench --soak [--rounds 3]
    CLS_MALLOC_DEFAULTS=1 python -m cls_core.bench --soak   # glibc's malloc defaults (the server
                                                            # inherits the environment)
    python -m cls_core.bench --soak --in-process            # the rounds on the service alone, and
                                                            # the RSS after malloc_trim(0) as well

A round is what a busy few minutes bring: LOOKS looks inside (/inspect, the single models in
turn), PREDICTIONS predictions (/predict, every model and the ensemble) and EVALUATIONS_EACH
full evaluations of each network at once (/evaluate: the evaluate gate runs one and lets the
others wait for it, and a second request for a report under way waits for it and reuses it),
all at once from CLIENTS threads of each kind. Every round asks about other test headlines, as
new visitors would; the first fills every cache (the reports, the results kept for redrawing, the models' copies), so
memory that still grows after it is what a long-running server would keep growing.

The figures are the server's VmRSS after each round and its VmHWM (the peak), both from
/proc/PID/status, the growth from the first round to the last, and the load averages (the
machine may be shared, and a busy machine makes rounds slower, not bigger). The goals
(GOAL_RSS_GIB, GOAL_GROWTH) are those of issue 18.
"""

import json
import os
import random
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cls_core.app import api
from cls_core.app.allocator import glibc, limit_fragmentation
from cls_core.app.service import Demo
from cls_core.app.serving import configure_for_serving
from cls_core.app.wording import ENSEMBLE
from cls_core.bench.load import http_call, start_app
from cls_core.data import load_split
from cls_core.data.splits import folder_of_test_split
from cls_core.models.predictor import SHIPPED_MODELS

LOOKS, PREDICTIONS, CLIENTS = 80, 160, 4  # per round; CLIENTS stays within the inspect gate's 2 + 6
EVALUATIONS_EACH = 2  # concurrent evaluations of each network per round: 4, the evaluate gate's 1 + 3
NETWORKS = [name for name, file in SHIPPED_MODELS.items() if file.endswith(".pt")]  # what the evaluations score
GOAL_RSS_GIB, GOAL_GROWTH = 1.5, 0.05  # after the first round; from the first round to the last
GIB = 1024**3


def memory(pid):
    """{"rss", "peak"} in bytes: VmRSS and VmHWM of a process, from /proc/PID/status."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return {"rss": int(fields["VmRSS"].split()[0]) * 1024, "peak": int(fields["VmHWM"].split()[0]) * 1024}


def round_calls(headlines, models, round_index, networks=NETWORKS, looks=LOOKS, predictions=PREDICTIONS):
    """The calls of one round, as (endpoint, inputs): `looks` looks inside over the single
    models in turn, `predictions` predictions over every model and the ensemble, one
    EVALUATIONS_EACH evaluations of each network; each round on its own test headlines."""
    rng = random.Random(round_index)
    picked = rng.sample(headlines, looks + predictions)
    everyone = models + [ENSEMBLE]
    return {
        # the HTTP call API takes every input: the headline, the model, no topic, no second topic
        "inspect": [[h, models[i % len(models)], "", ""] for i, h in enumerate(picked[:looks])],
        "predict": [[h, everyone[i % len(everyone)], 5] for i, h in enumerate(picked[looks:])],
        "evaluate": [[m] for m in networks for _ in range(EVALUATIONS_EACH)],
    }


def run_round(call, calls, clients=CLIENTS):
    """Every call of a round at once through call(endpoint, inputs), `clients` threads per
    endpoint (one per evaluation): {endpoint: [errors]}, and the seconds the round took."""

    def one(endpoint, inputs):
        try:
            call(endpoint, inputs)
            return None
        except Exception as e:  # counted and shown, so that a refused call is never a silent gap
            return f"{type(e).__name__}: {e}"[:200]

    start = time.perf_counter()
    pools = {
        endpoint: ThreadPoolExecutor(len(inputs) if endpoint == "evaluate" else clients)
        for endpoint, inputs in calls.items()
    }
    futures = [(e, pools[e].submit(one, e, inputs)) for e, batch in calls.items() for inputs in batch]
    errors = {e: [] for e in calls}
    for endpoint, f in futures:
        if f.result():
            errors[endpoint].append(f.result())
    for pool in pools.values():
        pool.shutdown()
    return errors, time.perf_counter() - start


def soak(call, pid, texts, models, rounds, settle=2.0, trim=None):
    """Rounds of calls; after each (and `settle` seconds of quiet) the memory of process pid,
    and with trim (a function returning memory in bytes after glibc's malloc_trim) that too."""
    out = []
    for r in range(rounds):
        errors, seconds = run_round(call, round_calls(texts, models, r))
        time.sleep(settle)
        row = dict(
            memory(pid),
            seconds=round(seconds, 1),
            load=[round(x, 2) for x in os.getloadavg()],
            errors={e: len(v) for e, v in errors.items()},
            first_errors=[v[0] for v in errors.values() if v],
        )
        if trim:
            row["rss_trimmed"] = trim()
        out.append(row)
    return out


def figures(rounds, **fields):
    """The soak's figures: the rounds, the growth from the first to the last, the goals."""
    first, last = rounds[0]["rss"], rounds[-1]["rss"]
    growth = round(last / first - 1, 4)
    if "rss_trimmed" in rounds[0]:  # the trims change what the next round finds: this is the growth to read
        fields["growth_trimmed"] = round(rounds[-1]["rss_trimmed"] / rounds[0]["rss_trimmed"] - 1, 4)
    return dict(
        fields,
        rounds=rounds,
        growth=growth,
        goals={"rss_after_first_round": first <= GOAL_RSS_GIB * GIB, "growth_first_to_last": growth <= GOAL_GROWTH},
    )


def malloc_environment():
    """The variables that set the app's malloc (cls_core.app.allocator) found in this environment."""
    return {
        k: v
        for k, v in os.environ.items()
        if k in ("CLS_MALLOC_DEFAULTS", "MALLOC_ARENA_MAX", "MALLOC_MMAP_THRESHOLD_")
    }


def bench_soak(checkpoints, data_dir, rounds=3, in_process=False):
    """Rounds of calls against `python app.py --device cpu` (in_process: against the app's
    service in a fresh process of its own, without Gradio; see soak_in_process). Returns the
    figures (see print_soak)."""
    root = Path(__file__).resolve().parents[2]
    load_before = [round(x, 2) for x in os.getloadavg()]
    common = dict(
        malloc=malloc_environment(),
        load_before=load_before,
        per_round={
            "looks": LOOKS,
            "predictions": PREDICTIONS,
            "evaluations": EVALUATIONS_EACH * len(NETWORKS),
        },
    )
    if in_process:
        out = subprocess.run(
            [sys.executable, "-m", "cls_core.bench.soak", str(checkpoints), str(data_dir), str(rounds)],
            cwd=root,
            capture_output=True,
            text=True,
            env=dict(os.environ),
        )
        if out.returncode:
            raise RuntimeError(out.stderr[-2000:])
        return dict(json.loads(out.stdout.splitlines()[-1]), **common)
    test = load_split(folder_of_test_split(data_dir), "test")
    server, url, startup = start_app(checkpoints, data_dir, "--device", "cpu")
    try:
        started = memory(server.pid)
        return figures(
            soak(
                lambda e, inputs: http_call(url, inputs, timeout=600, endpoint=e),
                server.pid,
                test.texts,
                list(SHIPPED_MODELS),
                rounds,
            ),
            where="app.py over HTTP",
            startup_seconds=round(startup, 1),
            started=started,
            **common,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


def soak_in_process(checkpoints, data_dir, rounds):
    """The same rounds on the app's service in this process (cls_core.app.api, no Gradio, no
    HTTP), with malloc set as app.py sets it, and after each round the RSS once more after
    glibc's malloc_trim(0) hands back the free memory it holds: memory that grows before the
    trim and not after it was freed, not leaked."""
    limit_fragmentation()  # as app.py does first; here after this module's imports, whose
    # few threads may hold an arena each already (the limit counts them)
    configure_for_serving()
    start = time.perf_counter()
    demo = Demo.load(checkpoints, data_dir, "cpu")
    answers = {"predict": api.predict_answer, "inspect": api.inspect_answer, "evaluate": api.evaluate_answer}
    libc = glibc()

    def trim():
        libc.malloc_trim(0)
        return memory("self")["rss"]

    started = memory("self")
    rows = soak(
        lambda e, inputs: answers[e](demo, *inputs),
        "self",
        demo.test_split().texts,
        demo.model_names(ensemble=False),
        rounds,
        trim=trim if libc else None,
    )
    return figures(
        rows,
        where="the app's service in one process, no Gradio",
        started=started,
        startup_seconds=round(time.perf_counter() - start, 1),
    )


def print_soak(r):
    per, malloc = r["per_round"], r["malloc"]
    print(
        f"{r['where']}: started in {r['startup_seconds']} s at {r['started']['rss'] / GIB:.2f} GiB RSS; malloc: "
        + (" ".join(f"{k}={v}" for k, v in malloc.items()) or "as app.py sets it (cls_core.app.allocator)")
        + f"; load average before {' '.join(map(str, r['load_before']))}"
    )
    print(
        f"each round: {per['looks']} looks inside, {per['predictions']} predictions, "
        f"{per['evaluations']} evaluations at once"
    )
    for i, row in enumerate(r["rounds"], 1):
        errors = sum(row["errors"].values())
        trimmed = f" ({row['rss_trimmed'] / GIB:.3f} after malloc_trim)" if "rss_trimmed" in row else ""
        print(
            f"round {i}: RSS {row['rss'] / GIB:.3f} GiB{trimmed}, p"
            f"eak {row['peak'] / GIB:.3f} GiB, {row['seconds']} s, "
            f"load average {' '.join(map(str, row['load']))}, {errors} errors"
            + (f" ({row['first_errors'][0]})" if errors else "")
        )
    goals = r["goals"]
    print(
        f"RSS after round 1: {r['rounds'][0]['rss'] / GIB:.3f} GiB (goal <= {GOAL_RSS_GIB} GiB: "
        f"{'met' if goals['rss_after_first_round'] else 'not met'}); growth round 1 -> {len(r['rounds'])}: "
        f"{r['growth']:+.1%} (goal <= {GOAL_GROWTH:+.0%}: {'met' if goals['growth_first_to_last'] else 'not met'})"
        + (f"; after malloc_trim {r['growth_trimmed']:+.1%}" if "growth_trimmed" in r else "")
    )


if __name__ == "__main__":  # bench_soak(in_process=True) runs this in a fresh process: prints the figures as JSON
    print(json.dumps(soak_in_process(sys.argv[1], sys.argv[2], int(sys.argv[3]))))
