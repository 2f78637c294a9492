"""Adaptive wall-clock timing of a zero-argument call.

The call passed in must do one unit of work *and* force its result
(block_until_ready for JAX-like arrays; see libs.py), so that asynchronous
dispatch cannot make a call look cheaper than it is.
"""

import gc
import math
import statistics
import time

FULL = dict(target_s=1.0, warmup_s=0.2, min_samples=5, max_samples=2000)
QUICK = dict(target_s=0.0, warmup_s=0.0, min_samples=3, max_samples=3)


def measure(call, quick=False):
    """Time ``call`` and return a dict of per-call seconds.

    Full mode: warm up for ~0.2 s (at least 2 calls), estimate the per-call
    time from the warm-up, then take samples for ~1 s in total (at least 5).
    Very fast calls are grouped ``inner`` at a time per sample so that at most
    2000 samples are taken; each sample is its group's mean.  Quick mode: one
    warm-up call and 3 single-call samples.

    The garbage collector is collected before timing and left enabled (it is
    part of the real cost of a Python-heavy library).
    """
    cfg = QUICK if quick else FULL
    gc.collect()
    warm = []
    start = time.perf_counter()
    while len(warm) < (1 if quick else 2) or time.perf_counter() - start < cfg["warmup_s"]:
        t0 = time.perf_counter()
        call()
        warm.append(time.perf_counter() - t0)
    per_call = max(statistics.median(warm[1:] or warm), 1e-9)
    calls = max(cfg["min_samples"], int(cfg["target_s"] / per_call))
    inner = max(1, math.ceil(calls / cfg["max_samples"]))
    n_samples = max(cfg["min_samples"], calls // inner)
    samples = []
    for _ in range(n_samples):
        t0 = time.perf_counter()
        for _ in range(inner):
            call()
        samples.append((time.perf_counter() - t0) / inner)
    return {"median_s": statistics.median(samples), "min_s": min(samples),
            "max_s": max(samples), "samples": n_samples, "inner": inner,
            "warmup_calls": len(warm)}
