"""The float type the networks compute in: bf16 where this machine runs it faster, else fp32.

Some CPUs multiply bf16 matrices natively (AVX512-BF16, AMX) and run an LSTM several times
faster in it; others emulate it and run slower. `torch.backends.cpu.get_cpu_capability()`
cannot tell them apart ("AVX512" on both), and bf16 can lose while other heavy work shares
the cores, so "auto" decides by a short timed probe of the very operations the networks run
(a small batched LSTM step and a linear layer), at the thread count they will run with, and
keeps the verdict per machine in the cache directory. On CUDA "auto" takes bf16 where the GPU
supports it.

    precision = resolve_precision(args.precision, device)   # "fp32" or "bf16"

Training follows `training_precision`: bf16 autocast needs no GradScaler; fp16 (a GPU without
bf16) does. On the CPU training stays in fp32 unless bf16 is asked for: measured here
(README, "Training precision": `python -m cls_core.bench --train-precision`), bf16 autocast
made epochs 6-8 % shorter but reached the reference's dev accuracy in the same epoch, and
both networks it trained scored lower on test (by 0.05 and 0.17 points; best dev -0.18 and
+0.26): too little time for a possible loss of accuracy.
"""

import json
import os
import platform
import time
from pathlib import Path

import torch
import torch.nn as nn

from cls_core.models.checkpoint import atomic_write_text

PRECISIONS = ("auto", "fp32", "bf16")
DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16}
# bf16 must win by this much in the probe: a tie is not worth its rounding.
PROBE_MARGIN = 1.3


def add_precision_argument(parser, help=None):
    """The --precision flag of every command that runs a network (read it with resolve_precision,
    or training_precision for training)."""
    parser.add_argument(
        "--precision",
        default="auto",
        choices=PRECISIONS,
        help=help
        or "the networks' float type; auto: bf16 where a short timed probe finds it "
        "faster on this machine (or the GPU supports it), else fp32",
    )


def dtype_of(precision):
    return DTYPES[precision]


def _probe_cache_path():
    root = Path(__file__).resolve().parents[2]
    return Path(os.environ.get("HEADLINE_LENS_CACHE") or root / ".cache" / "headline-lens") / "precision-probe.json"


def machine_key():
    """What the probe's verdict depends on: the processor, torch's build, the thread count."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model} | torch {torch.__version__} | {torch.get_num_threads()} threads"


def _best_ms(fn, repeats):
    fn()  # warm-up: oneDNN picks and builds its kernels on the first call
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best * 1000


@torch.no_grad()
def probe_cpu(repeats=5):
    """Milliseconds of the networks' typical work in fp32 and in bf16 on this CPU, now:
    a two-layer bidirectional LSTM over 64 headlines of 24 characters and a linear layer."""
    torch.manual_seed(0)
    lstm, x = nn.LSTM(248, 128, num_layers=2, bidirectional=True).eval(), torch.randn(24, 64, 248)
    linear, rows = nn.Linear(248, 512), torch.randn(2048, 248)
    fp32 = _best_ms(lambda: (lstm(x), linear(rows)), repeats)
    lstm16, linear16 = lstm.to(torch.bfloat16), linear.to(torch.bfloat16)
    x16, rows16 = x.bfloat16(), rows.bfloat16()
    try:
        bf16 = _best_ms(lambda: (lstm16(x16), linear16(rows16)), repeats)
    except RuntimeError:  # a build without bf16 kernels for these operations
        bf16 = float("inf")
    return {"fp32_ms": round(fp32, 2), "bf16_ms": round(bf16, 2)}


def cpu_verdict(refresh=False):
    """The probe's figures and choice for this machine ({"fp32_ms", "bf16_ms", "choice", "key"}),
    from the cache when this machine was probed before."""
    path, key = _probe_cache_path(), machine_key()
    if not refresh:
        try:
            kept = json.loads(path.read_text(encoding="utf-8"))
            if kept.get("key") == key and kept.get("choice") in DTYPES:
                return kept
        except (OSError, ValueError):
            pass
    verdict = probe_cpu()
    verdict["choice"] = "bf16" if verdict["bf16_ms"] * PROBE_MARGIN <= verdict["fp32_ms"] else "fp32"
    verdict["key"] = key
    try:
        atomic_write_text(path, json.dumps(verdict))
    except OSError:  # a read-only checkout still serves; it probes again next time
        pass
    return verdict


def resolve_precision(precision="auto", device="cpu"):
    """ "fp32" or "bf16" for networks that run on `device`."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    device = torch.device(device)
    if precision != "auto":
        return precision
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    return cpu_verdict()["choice"]


def training_precision(precision, device):
    """(autocast dtype or None, whether a GradScaler is needed) for training on `device`.

    On CUDA, "auto" trains in bf16 autocast where the GPU supports it (no GradScaler), else
    in fp16 autocast with a GradScaler. On the CPU, "auto" trains in fp32 whatever the probe
    says (it times inference): bf16 autocast saved little training time there and lost a
    little test accuracy (the module docstring), and fp32 needs no probe that every process
    of a torchrun would have to agree on. "bf16" trains in bf16 autocast everywhere, "fp32"
    in fp32."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    device = torch.device(device)
    if precision == "bf16":
        return torch.bfloat16, False
    if precision == "auto" and device.type == "cuda":
        return (torch.bfloat16, False) if torch.cuda.is_bf16_supported() else (torch.float16, True)
    return None, False
