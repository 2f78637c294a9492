"""bench/run.py's merging of interleaved rounds (--rounds): pure bookkeeping, no timing."""
import importlib.util
import os
import sys

import pytest

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench")


@pytest.fixture(scope="module")
def run():
    path = list(sys.path)
    spec = importlib.util.spec_from_file_location("purejax_bench_run", os.path.join(BENCH, "run.py"))
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)  # (it puts bench/ on sys.path for its own imports)
        yield module
    finally:
        sys.path[:] = path


def _row(median, lo, hi, first=(), status="ok", **extra):
    return {"workload": "W1", "task": "grad", "library": "purejax", "mode": "jit",
            "status": status, "median_s": median, "min_s": lo, "max_s": hi, "samples": 10,
            "first_call_s": list(first), **extra}


def test_merge_rows_takes_median_of_medians_min_of_mins_max_of_maxes(run):
    rounds = [[_row(3.0, 1.0, 9.0, [0.5])], [_row(1.0, 0.5, 2.0, [0.7])],
              [_row(2.0, 1.5, 4.0, [0.6])]]
    merged, = run.merge_rows(rounds)
    assert merged["median_s"] == 2.0
    assert merged["min_s"] == 0.5
    assert merged["max_s"] == 9.0
    assert merged["samples"] == 30
    assert merged["round_medians_s"] == [3.0, 1.0, 2.0]
    assert merged["first_call_s"] == [0.5, 0.7, 0.6]


def test_merge_rows_keeps_a_failure_from_any_round(run):
    bad = _row(None, None, None, status="error", error="boom")
    merged, = run.merge_rows([[_row(1.0, 1.0, 1.0)], [bad], [_row(1.0, 1.0, 1.0)]])
    assert merged["status"] == "error" and merged["error"] == "boom"


def test_one_round_is_the_row_itself(run):
    row = _row(1.0, 0.5, 2.0, [0.1])
    assert run.merge_rows([[row]]) == [row]


def test_rounds_interleave_libraries_and_merge(run, monkeypatch, tmp_path):
    calls = []

    class Lib:
        def __init__(self, name):
            self.name = name

    def fake_worker(lib, ids, quick, threads, tmp):
        calls.append(lib.name)
        k = calls.count(lib.name)
        return {"library": lib.name, "rows": [_row(float(k), float(k), float(k))]}, \
            {"x": k}, None, 1.0

    monkeypatch.setattr(run, "run_worker", fake_worker)
    libs = [Lib("numpy"), Lib("purejax"), Lib("jax")]
    merged = run.run_rounds(libs, ["W1"], True, 1, str(tmp_path), 3)
    # round k starts at the k-th library
    assert calls == ["numpy", "purejax", "jax", "purejax", "jax", "numpy",
                     "jax", "numpy", "purejax"]
    data, results, problem, wall = merged["purejax"]
    assert problem is None and wall == 3.0
    assert data["rows"][0]["round_medians_s"] == [1.0, 2.0, 3.0]
    assert data["rows"][0]["median_s"] == 2.0
    assert results == {"x": 1}  # the first round's results are the ones cross-checked


def test_a_failed_worker_in_any_round_fails_the_library(run, monkeypatch, tmp_path):
    class Lib:
        name = "purejax"
    seen = []

    def fake_worker(lib, ids, quick, threads, tmp):
        seen.append(1)
        if len(seen) == 2:
            return None, {}, "worker exited with status 1", 2.0
        return {"library": lib.name, "rows": [_row(1.0, 1.0, 1.0)]}, {}, None, 1.0

    monkeypatch.setattr(run, "run_worker", fake_worker)
    data, _, problem, wall = run.run_rounds([Lib()], ["W1"], True, 1, str(tmp_path), 3)["purejax"]
    assert data is None and problem == "worker exited with status 1" and wall == 4.0
