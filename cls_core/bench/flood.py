"""Is one visitor's prediction fast while a crowd floods the heaviest endpoint? /predict's
latency for one visitor asking one headline after another for VISITOR_SECONDS, while
FLOODERS clients call /inspect on the BiLSTM with 200-character headlines as fast as they are
answered.

    python -m cls_core.bench --flood [--clients 20]

The app runs as `python app.py --device cpu` serves it. The inspect gate lets 2 looks run and 6
wait; a look beyond those is refused at once with the "busy" message, which is how the flood
is shed: the figures count the looks answered, those refused as busy, and any other error
(none is the goal). The visitor's goal: p95 at most GOAL_P95_SECONDS, no error. The load
averages are printed beside the figures: a machine busy with other work makes every call
slower, and the goal is meant to hold then too.
"""

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from cls_core.app.concurrency import INSPECT
from cls_core.bench.load import http_call, start_app
from cls_core.bench.timing import HEADLINE, percentiles

FLOODERS, VISITOR_SECONDS = 20, 30
GOAL_P95_SECONDS = 1.0
LONG_HEADLINE = ("国足3:0完胜泰国队晋级世界杯预选赛下一阶段比赛主帅赛后表示球队仍需提高" * 8)[:200]
BUSY = "busy"  # in the refusal's English wording (cls_core.app.i18n, error_busy)


def flood(url, stop, outcomes, lock):
    """One flooder: /inspect on the BiLSTM again and again until stop is set."""
    i = 0
    while not stop.is_set():
        i += 1
        start = time.perf_counter()
        try:
            headline = f"{LONG_HEADLINE[:-3]}{i % 1000:03d}"
            http_call(url, [headline, "BiLSTM-attention", "", ""], timeout=120, endpoint="inspect")
            kind = "answered"
        except Exception as e:  # the refusal reaches the client as an error event with its message
            kind = "refused_busy" if BUSY in str(e) else "other_errors"
            if kind == "other_errors" and stop.is_set():
                # a look still waiting when the measure ended, its stream cut as the flood
                # wound down: counted apart, as no visitor was measured then
                kind = "cut_after_the_measure"
            if kind == "refused_busy":
                time.sleep(0.05)  # a refused client tries again at once, as a script would
            if kind == "other_errors":
                waited = time.perf_counter() - start
                outcomes.setdefault("first_other_error", f"{type(e).__name__} after {waited:.1f} s: {e}"[:300])
        with lock:
            outcomes[kind] = outcomes.get(kind, 0) + 1


def bench_flood(checkpoints, data_dir, flooders=FLOODERS, visitor_seconds=VISITOR_SECONDS):
    load_before = [round(x, 2) for x in os.getloadavg()]
    app, url, _ = start_app(checkpoints, data_dir, "--device", "cpu", "--no-feedback")
    try:
        http_call(url, [HEADLINE, "TextCNN", 5])  # warm-up: the visitor's path
        http_call(url, [LONG_HEADLINE, "BiLSTM-attention", "", ""], timeout=120, endpoint="inspect")  # the flood's
        stop, lock, outcomes = threading.Event(), threading.Lock(), {}
        with ThreadPoolExecutor(flooders) as pool:
            for _ in range(flooders):
                pool.submit(flood, url, stop, outcomes, lock)
            time.sleep(2)  # the flood is under way before the visitor asks
            seconds, errors, end = [], [], time.monotonic() + visitor_seconds
            while time.monotonic() < end:
                i, start = len(seconds) + len(errors), time.perf_counter()
                try:
                    http_call(url, [f"{HEADLINE}{i}", "TextCNN", 5], timeout=60)
                    seconds.append(time.perf_counter() - start)
                except Exception as e:  # counted: the goal is none
                    errors.append(str(e)[:200])
            load_during = [round(x, 2) for x in os.getloadavg()]
            stop.set()
        visitor = dict(percentiles(seconds), errors=len(errors), first_error=errors[0] if errors else None)
        return {
            "flooders": flooders,
            "visitor_calls": len(seconds) + len(errors),
            "visitor_seconds": visitor_seconds,
            "headline_chars": len(LONG_HEADLINE),
            "inspect_gate": {"running": INSPECT.running, "waiting": INSPECT.waiting},
            "visitor": visitor,
            "flood": outcomes,
            "cpus": os.cpu_count(),
            "load_before": load_before,
            "load_during": load_during,
            # the goal is the visitor's: fast and never refused; the flood's own failures are shown beside it
            "goal_met": visitor["p95_ms"] <= GOAL_P95_SECONDS * 1000
            and not errors
            and outcomes.get("refused_busy", 0) > 0,
        }
    finally:
        app.terminate()
        app.wait(timeout=30)


def print_flood(r):
    print(
        f"{r['flooders']} clients flooding /inspect (BiLSTM, {r['headline_chars']}-character headlines; gate: "
        f"{r['inspect_gate']['running']} running, {r['inspect_gate']['waiting']} waiting) while one visitor "
        f"predicts for {r['visitor_seconds']} s, {r['visitor_calls']} calls ({r['cpus']} CPUs; load average before "
        f"{' '.join(map(str, r['load_before']))}, during {' '.join(map(str, r['load_during']))}):"
    )
    v, f = r["visitor"], r["flood"]
    print(f"  the visitor's /predict: p50 {v['p50_ms']:.0f} ms, p95 {v['p95_ms']:.0f} ms, {v['errors']} errors")
    print(
        f"  the flood: {f.get('answered', 0)} looks answered, {f.get('refused_busy', 0)} refused as busy, "
        f"{f.get('other_errors', 0)} other errors"
        + (f" (the first: {f['first_other_error']})" if f.get("other_errors") else "")
        + f"; {f.get('cut_after_the_measure', 0)} still waiting when the measure ended, cut as the flood stopped"
    )
    print(
        f"  goal (p95 at most {GOAL_P95_SECONDS:.0f} s, no error for the visitor, the flood shed as busy): "
        f"{'met' if r['goal_met'] else 'NOT met'}"
    )
