"""W8: the cost of importing each library as a whole process.

Times ``python -c "<import statement>"`` several times per library,
interleaved with ``python -c pass`` so that drift hits all alike, and
subtracts the median of the bare interpreter start.  One discarded run of
each first warms the OS file cache and writes the bytecode caches (the runs
are made with PYTHONDONTWRITEBYTECODE unset, as a user's Python runs).
"""

import os
import statistics
import subprocess
import sys
import time


def _env():
    # As a user's Python would run: with bytecode caches written and read (the
    # first, discarded run writes them), whatever this shell says.
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _run(stmt, env):
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", stmt], capture_output=True, text=True, env=env)
    return time.perf_counter() - t0, proc


def measure(libraries, runs):
    """Rows (one per library) with per-run import time minus bare startup."""
    stmts = {"<bare>": "pass", **{lib.name: lib.import_stmt for lib in libraries}}
    raw = {name: [] for name in stmts}
    failed = {}
    env = _env()
    for rep in range(runs + 1):
        for name, stmt in stmts.items():
            if name in failed:
                continue
            dt, proc = _run(stmt, env)
            if proc.returncode != 0:
                failed[name] = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"
                failed[name + "/traceback"] = proc.stderr
            elif rep > 0:
                raw[name].append(dt)
    bare = statistics.median(raw["<bare>"])
    rows = []
    for lib in libraries:
        row = {"workload": "W8", "task": "import", "library": lib.name, "mode": "-",
               "statement": lib.import_stmt, "bare_python_s": bare}
        if lib.name in failed:
            row.update(status="error", error=failed[lib.name], traceback=failed[lib.name + "/traceback"])
        else:
            net = [t - bare for t in raw[lib.name]]
            row.update(status="ok", median_s=statistics.median(net), min_s=min(net),
                       max_s=max(net), samples=len(net), inner=1)
        rows.append(row)
    return rows
