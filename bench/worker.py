"""One library's share of a benchmark run, in its own process.

    python bench/worker.py LIB --ids W1,W3 --out DIR [--quick] [--threads N]

For every selected workload, task and mode: build the thunk, make the first
call (timed separately: for jit that is trace + compile + run), save its
result for the cross-check, then time it (timing.measure).  Writes
DIR/LIB.json (rows) and DIR/LIB.npz (results).  Prints progress without
times: the parent reports times only after the results have been
cross-checked.  Never raises for a failing workload: the row gets status
"error" and the traceback.
"""

import argparse
import json
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import timing  # noqa: E402
from libs import BY_NAME, Adapter  # noqa: E402
from workloads import WORKLOADS  # noqa: E402

FIRST_CALL_REPEATS = {False: 3, True: 1}   # fresh jit builds timed, full/quick


def run_one(adapter, workload, task, mode, inputs, quick):
    row = {"workload": workload.ID, "task": task, "library": adapter.library, "mode": mode}
    try:
        build = lambda: adapter.build(workload, task, inputs, mode)  # noqa: E731
        thunk = build()
        if thunk is None:
            row["status"] = "n/a"
            return row, None
        call = lambda: adapter.force(thunk())  # noqa: E731
        t0 = time.perf_counter()
        out = call()
        first = [time.perf_counter() - t0]
        result = adapter.to_numpy(out)
        if mode == "jit":
            # Each build makes new functions, so jit traces and compiles anew.
            for _ in range(FIRST_CALL_REPEATS[quick] - 1):
                fresh = build()
                t0 = time.perf_counter()
                adapter.force(fresh())
                first.append(time.perf_counter() - t0)
        row["first_call_s"] = first
        row.update(timing.measure(call, quick=quick))
        row["status"] = "ok"
        return row, result
    except Exception as e:  # noqa: BLE001 - reported, never fatal here
        row["status"] = "error"
        row["error"] = f"{type(e).__name__}: {e}"
        row["traceback"] = traceback.format_exc()
        return row, None


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("library", choices=sorted(BY_NAME))
    p.add_argument("--ids", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)

    lib = BY_NAME[args.library]
    rows, results = [], {}
    t0 = time.perf_counter()
    try:
        adapter = Adapter(lib.name, args.threads)
        adapter.library = lib.name  # the row's name (a variant's, not its base library's)
    except Exception as e:  # noqa: BLE001
        rows.append({"workload": "*", "task": "*", "library": lib.name, "mode": "*",
                     "status": "error", "error": f"import failed: {type(e).__name__}: {e}",
                     "traceback": traceback.format_exc()})
        adapter = None
    import_s = time.perf_counter() - t0
    if adapter is not None:
        for wid in args.ids.split(","):
            workload = WORKLOADS[wid]
            inputs = workload.make_inputs(args.quick)
            for task in workload.TASKS:
                for mode in lib.modes:
                    row, result = run_one(adapter, workload, task, mode, inputs, args.quick)
                    rows.append(row)
                    tag = f"{wid}/{task}/{mode}"
                    print(f"  [{lib.name:8s}] {tag:24s} {row['status']}"
                          + (f"  ({row['error'].splitlines()[0][:100]})" if row["status"] == "error" else ""),
                          file=sys.stderr, flush=True)
                    if result is not None:
                        for i, leaf in enumerate(result):
                            results[f"{tag}/{i}"] = leaf
    with open(os.path.join(args.out, f"{lib.name}.json"), "w") as f:
        json.dump({"library": lib.name, "in_process_import_s": import_s, "rows": rows}, f)
    np.savez(os.path.join(args.out, f"{lib.name}.npz"), **results)


if __name__ == "__main__":
    main()
