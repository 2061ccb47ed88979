"""The app's memory over a long run: `python app.py --device cpu` as a real server, driven
over its HTTP API in rounds, with the server's resident memory read after each round.

    python -m cls_core.bench --soak [--rounds 3]
    MALLOC_ARENA_MAX=2 python -m cls_core.bench --soak     # the server inherits the environment

A round is what a busy few minutes bring: LOOKS looks inside (/inspect, the single models in
turn), PREDICTIONS predictions (/predict, every model and the ensemble) and one full
evaluation of each model and the ensemble (/evaluate), all at once from CLIENTS threads of
each kind. Every round asks about other test headlines, as new visitors would; the first
fills every cache (the reports, the results kept for redrawing, the models' copies), so
memory that still grows after it is what a long-running server would keep growing.

The figures are the server's VmRSS after each round and its VmHWM (the peak), both from
/proc/PID/status, the growth from the first round to the last, and the load averages (the
machine may be shared, and a busy machine makes rounds slower, not bigger). The goals
(GOAL_RSS_GIB, GOAL_GROWTH) are those of issue 18.
"""

import os
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cls_core.app.wording import ENSEMBLE
from cls_core.bench.load import free_port, http_call, start_server
from cls_core.data import load_split
from cls_core.data.splits import folder_of_test_split
from cls_core.models.predictor import SHIPPED_MODELS

LOOKS, PREDICTIONS, CLIENTS = 80, 160, 4  # per round; CLIENTS stays within the inspect gate's 2 + 6
GOAL_RSS_GIB, GOAL_GROWTH = 1.5, 0.05     # after the first round; from the first round to the last
GIB = 1024 ** 3


def memory(pid):
    """{"rss", "peak"} in bytes: VmRSS and VmHWM of a process, from /proc/PID/status."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return {"rss": int(fields["VmRSS"].split()[0]) * 1024, "peak": int(fields["VmHWM"].split()[0]) * 1024}


def round_calls(headlines, models, round_index, looks=LOOKS, predictions=PREDICTIONS):
    """The calls of one round, as (endpoint, inputs): `looks` looks inside over the single
    models in turn, `predictions` predictions over every model and the ensemble, one
    evaluation per model and the ensemble; each round on its own test headlines."""
    rng = random.Random(round_index)
    picked = rng.sample(headlines, looks + predictions)
    everyone = models + [ENSEMBLE]
    return {"inspect": [[h, models[i % len(models)]] for i, h in enumerate(picked[:looks])],
            "predict": [[h, everyone[i % len(everyone)], 5] for i, h in enumerate(picked[looks:])],
            "evaluate": [[m] for m in everyone]}


def run_round(url, calls, clients=CLIENTS):
    """Every call of a round at once, `clients` threads per endpoint (one per evaluation):
    {endpoint: errors}, and the seconds the round took."""
    def one(endpoint_and_inputs):
        endpoint, inputs = endpoint_and_inputs
        try:
            http_call(url, inputs, timeout=600, endpoint=endpoint)
            return endpoint, None
        except Exception as e:  # counted and shown, so that a refused call is never a silent gap
            return endpoint, f"{type(e).__name__}: {e}"[:200]

    start = time.perf_counter()
    pools = {endpoint: ThreadPoolExecutor(len(inputs) if endpoint == "evaluate" else clients)
             for endpoint, inputs in calls.items()}
    futures = [pools[e].submit(one, (e, inputs)) for e, batch in calls.items() for inputs in batch]
    errors = {e: [] for e in calls}
    for f in futures:
        endpoint, error = f.result()
        if error:
            errors[endpoint].append(error)
    for pool in pools.values():
        pool.shutdown()
    return errors, time.perf_counter() - start


def bench_soak(checkpoints, data_dir, rounds=3, settle=2.0):
    """Rounds of calls against `python app.py --device cpu`; after each (and `settle` seconds
    of quiet) the server's RSS and peak. Returns the figures (see print_soak)."""
    root = Path(__file__).resolve().parents[2]
    test = load_split(folder_of_test_split(data_dir), "test")
    models = [m for m in SHIPPED_MODELS]
    port = free_port()
    server, url, startup = start_server([sys.executable, "app.py", "--device", "cpu", "--port", str(port),
                                         "--checkpoints", str(checkpoints), "--data-dir", str(data_dir)], root, port)
    try:
        result = {"startup_seconds": round(startup, 1), "started": memory(server.pid),
                  "malloc_arena_max": os.environ.get("MALLOC_ARENA_MAX"),
                  "per_round": {"looks": LOOKS, "predictions": PREDICTIONS, "evaluations": len(models) + 1},
                  "load_before": [round(x, 2) for x in os.getloadavg()], "rounds": []}
        for r in range(rounds):
            errors, seconds = run_round(url, round_calls(test.texts, models, r))
            time.sleep(settle)
            result["rounds"].append(dict(memory(server.pid), seconds=round(seconds, 1),
                                         load=[round(x, 2) for x in os.getloadavg()],
                                         errors={e: len(v) for e, v in errors.items()},
                                         first_errors=[v[0] for v in errors.values() if v]))
        first, last = result["rounds"][0]["rss"], result["rounds"][-1]["rss"]
        result["growth"] = round(last / first - 1, 4)
        result["goals"] = {"rss_after_first_round": first <= GOAL_RSS_GIB * GIB,
                           "growth_first_to_last": result["growth"] <= GOAL_GROWTH}
        return result
    finally:
        server.terminate()
        server.wait(timeout=30)


def print_soak(r):
    per = r["per_round"]
    print(f"app started in {r['startup_seconds']} s at {r['started']['rss'] / GIB:.2f} GiB RSS; "
          f"MALLOC_ARENA_MAX={r['malloc_arena_max'] or 'unset'}; load average before "
          f"{' '.join(map(str, r['load_before']))}")
    print(f"each round: {per['looks']} looks inside, {per['predictions']} predictions, "
          f"{per['evaluations']} evaluations at once")
    for i, row in enumerate(r["rounds"], 1):
        errors = sum(row["errors"].values())
        print(f"round {i}: RSS {row['rss'] / GIB:.3f} GiB, peak {row['peak'] / GIB:.3f} GiB, {row['seconds']} s, "
              f"load average {' '.join(map(str, row['load']))}, {errors} errors"
              + (f" ({row['first_errors'][0]})" if errors else ""))
    goals = r["goals"]
    print(f"RSS after round 1: {r['rounds'][0]['rss'] / GIB:.3f} GiB (goal <= {GOAL_RSS_GIB} GiB: "
          f"{'met' if goals['rss_after_first_round'] else 'not met'}); growth round 1 -> {len(r['rounds'])}: "
          f"{r['growth']:+.1%} (goal <= {GOAL_GROWTH:+.0%}: {'met' if goals['growth_first_to_last'] else 'not met'})")
