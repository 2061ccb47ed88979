"""What every benchmark shares: the headlines it times and how it reports seconds."""

import time

import numpy as np

HEADLINE = "国足3:0完胜泰国队 晋级世界杯预选赛下一阶段"
HEADLINE_30 = "国足3:0完胜泰国队晋级世界杯预选赛下一阶段比赛主帅赛后表示"  # 30 characters


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
