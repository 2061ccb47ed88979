"""One full "look inside" per model, as the app's Inside tab does it.

python -m cls_core.bench --deep
"""

import numpy as np

from cls_core.app.recent import Recent
from cls_core.app.service import Demo
from cls_core.app.serving import configure_for_serving
from cls_core.app.views.inside import look_inside
from cls_core.bench.timing import HEADLINE_30, percentiles, timed


def measure_deep_inspection(demo, name, text=HEADLINE_30, repeats=20):
    """Seconds of one full "look inside" for one model, `repeats` times after a warm-up, as
    the app's Inside tab does it: views.inside.look_inside (occlusion, reading, hidden states or
    n-grams, integrated gradients with batched steps on a second thread, input reduction,
    the bounded flip search, every figure), each time with nothing kept from the last (the
    app keeps a visitor's results to redraw views without running a model again)."""

    def once():
        demo.recent = Recent()
        look_inside(demo, text, name)

    once()
    return np.asarray(timed(once, repeats))


def bench_deep(checkpoints, precision="auto", repeats=20):
    """p50 / p95 of one full "look inside" per model, with the app's torch threads."""
    threads = configure_for_serving()
    demo = Demo.load(checkpoints, device="cpu", precision=precision)
    return {
        "torch_threads": threads,
        "characters": len(HEADLINE_30),
        "precision": demo.registry.precisions(),
        "models": {
            name: percentiles(measure_deep_inspection(demo, name, repeats=repeats))
            for name in demo.model_names(ensemble=False)
        },
    }


def print_deep(r):
    for name, row in r["models"].items():
        print(
            f"{name:<28} look inside p50 {row['p50_ms']:6.1f} ms   p95 {row['p95_ms']:6.1f} ms "
            f"({r['characters']} characters, {r['torch_threads']} torch thread(s), {r['precision'][name]})"
        )
