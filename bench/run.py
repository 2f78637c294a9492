"""Benchmarks: purejax (eager and jit) against JAX, HIPS autograd, PyTorch and
hand-written NumPy, as ratios to the NumPy version.

    python bench/run.py                  # full run, ~0.5-2 s per row
    python bench/run.py --quick          # CI smoke test: harness works, results agree
    python bench/run.py --only W3,W5     # some workloads (W1..W8)
    python bench/run.py --json PATH      # where the JSON goes
    python bench/run.py --markdown PATH  # also write the tables as Markdown
    python bench/run.py --rounds 3       # each library in 3 processes, interleaved

Each library runs in its own process (bench/worker.py), with the same inputs
(fixed seeds, float32) and the same thread count.  Every result is checked
against the NumPy version before any time is printed; a disagreement is
reported loudly, marks the row, and makes the exit status 1, as does any
purejax error.  Peers that are not installed are reported as such.  No time is
ever asserted.  See docs/benchmarks.md.
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def _early_threads(argv):
    """--threads, read before NumPy is imported (BLAS reads these at load)."""
    for i, a in enumerate(argv):
        if a == "--threads" and i + 1 < len(argv):
            return int(argv[i + 1])
        if a.startswith("--threads="):
            return int(a.split("=", 1)[1])
    return 1


def _set_thread_env(threads):
    for var in THREAD_VARS:
        os.environ[var] = str(threads)
    if threads == 1:
        # XLA has no thread-count flag; this keeps its CPU matmuls on one thread.
        # (With --threads N > 1, XLA sizes its own pool to the machine.)
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false").strip()
    os.environ["JAX_PLATFORMS"] = "cpu"  # JAX is compared on the CPU


def _find_purejax():
    """Use the repository's own src/ when purejax is not installed (the workers
    inherit PYTHONPATH)."""
    import importlib.util
    src = os.path.join(os.path.dirname(HERE), "src")
    if importlib.util.find_spec("purejax") is None and os.path.isdir(os.path.join(src, "purejax")):
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p)
        sys.path.insert(0, src)


if __name__ == "__main__":
    _set_thread_env(_early_threads(sys.argv[1:]))
    _find_purejax()

sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

import import_time  # noqa: E402
from libs import LIBRARIES, installed, versions  # noqa: E402
from workloads import ALL_IDS, WORKLOADS  # noqa: E402

LIB_MODES = {lib.name: lib.modes for lib in LIBRARIES}

WORKER_TIMEOUT_S = {True: 300, False: 3600}
IMPORT_RUNS = {True: 3, False: 10}


# ----------------------------------------------------------------------------
# machine and versions

def machine_info():
    cpu = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = None
    return {"nproc": affinity or os.cpu_count(), "cpu_count": os.cpu_count(),
            "cpu_model": cpu or platform.processor() or None,
            "platform": platform.platform(), "python": platform.python_version()}


def _location(module):
    import importlib.util
    spec = importlib.util.find_spec(module)
    return os.path.dirname(spec.origin) if spec and spec.origin else None


def git_commit():
    try:
        repo = os.path.dirname(HERE)
        head = subprocess.run(["git", "-C", repo, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", repo, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return head + ("+dirty" if dirty else "") if head else None
    except (OSError, subprocess.SubprocessError):
        return None


# ----------------------------------------------------------------------------
# running the workers

def run_worker(lib, ids, quick, threads, tmp):
    cmd = [sys.executable, os.path.join(HERE, "worker.py"), lib.name, "--ids", ",".join(ids),
           "--out", tmp, "--threads", str(threads)] + (["--quick"] if quick else [])
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, timeout=WORKER_TIMEOUT_S[quick])
        problem = None if proc.returncode == 0 else f"worker exited with status {proc.returncode}"
    except subprocess.TimeoutExpired:
        problem = f"worker timed out after {WORKER_TIMEOUT_S[quick]} s"
    wall = time.perf_counter() - t0
    path = os.path.join(tmp, f"{lib.name}.json")
    if problem or not os.path.exists(path):
        return None, {}, problem or "worker wrote no results", wall
    with open(path) as f:
        data = json.load(f)
    with np.load(os.path.join(tmp, f"{lib.name}.npz")) as z:
        results = {k: z[k] for k in z.files}
    return data, results, None, wall


def run_rounds(libs, ids, quick, threads, tmp, rounds):
    """Each library's worker `rounds` times, interleaved (round k starts at the k-th
    library), so that a slow spell of the host or a process's unlucky memory layout
    (some workloads are bimodal from process to process) falls on every library alike.
    Returns {name: (rows, results, problem, wall)}, the rows merged across rounds."""
    runs = {lib.name: [] for lib in libs}
    for k in range(rounds):
        for lib in libs[k % len(libs):] + libs[:k % len(libs)]:
            sub = os.path.join(tmp, f"round{k}")
            os.makedirs(sub, exist_ok=True)
            if rounds > 1:
                print(f"  round {k + 1}/{rounds}: {lib.name}", file=sys.stderr, flush=True)
            runs[lib.name].append(run_worker(lib, ids, quick, threads, sub))
    merged = {}
    for name, got in runs.items():
        wall = sum(g[3] for g in got)
        bad = next((g for g in got if g[2]), None)
        if bad:
            merged[name] = (None, {}, bad[2], wall)
            continue
        merged[name] = ({**got[0][0], "rows": merge_rows([g[0]["rows"] for g in got])},
                        got[0][1], None, wall)
    return merged


def merge_rows(per_round):
    """One row per (workload, task, mode) from each round's rows: the median of the
    rounds' medians, the min of their mins, the max of their maxes, every first call.
    A row that failed in any round is that failure."""
    out = []
    for i, row in enumerate(per_round[0]):
        same = [rows[i] for rows in per_round]
        bad = next((r for r in same if r["status"] != "ok"), None)
        if bad is not None or len(same) == 1:
            out.append(bad or row)
            continue
        merged = dict(row)
        merged["median_s"] = _median([r["median_s"] for r in same])
        merged["min_s"] = min(r["min_s"] for r in same)
        merged["max_s"] = max(r["max_s"] for r in same)
        merged["samples"] = sum(r["samples"] for r in same)
        merged["round_medians_s"] = [r["median_s"] for r in same]
        merged["first_call_s"] = [t for r in same for t in r.get("first_call_s", [])]
        out.append(merged)
    return out


def leaves_of(results, tag):
    out, i = [], 0
    while f"{tag}/{i}" in results:
        out.append(results[f"{tag}/{i}"])
        i += 1
    return out


# ----------------------------------------------------------------------------
# the cross-check

def compare(got, ref, rtol, atol_rel):
    """(ok, message, max_abs_err): got vs the NumPy reference, leaf by leaf."""
    if len(got) != len(ref):
        return False, f"{len(got)} results, reference has {len(ref)}", None
    worst, notes = 0.0, []
    for i, (g, r) in enumerate(zip(got, ref)):
        if g.shape != r.shape:
            return False, f"result {i}: shape {g.shape}, reference {r.shape}", None
        g64, r64 = g.astype(np.float64), r.astype(np.float64)
        atol = atol_rel * max(float(np.max(np.abs(r64))) if r64.size else 0.0, 1e-30)
        err = float(np.max(np.abs(g64 - r64))) if r64.size else 0.0
        worst = max(worst, err)
        if not np.allclose(g64, r64, rtol=rtol, atol=atol):
            bad = ~np.isclose(g64, r64, rtol=rtol, atol=atol)
            return False, (f"result {i}: {int(bad.sum())}/{bad.size} elements differ, "
                           f"max abs err {err:.3g} (rtol {rtol:g}, atol {atol:.3g})"), err
        if g.dtype != np.float32:
            notes.append(f"result {i} is {g.dtype}")
    return True, "; ".join(notes), worst


# ----------------------------------------------------------------------------
# formatting

def _median(xs):
    return statistics.median(xs)


def fmt_time(s):
    if s is None:
        return "-"
    if s < 1e-3:
        return f"{s * 1e6:.3g} us"
    if s < 1:
        return f"{s * 1e3:.3g} ms"
    return f"{s:.3g} s"


def fmt_ratio(r):
    if r is None:
        return "-"
    return f"{r:.2f}" if r < 10 else f"{r:.3g}" if r < 1000 else f"{r:.0f}"


def cell(row):
    """What the table shows in place of a time for a row without one."""
    return {"not installed": "not installed", "n/a": "n/a", "error": "ERROR",
            "skipped": "skipped"}.get(row["status"])


def label(row):
    return row["library"] + ("" if row["mode"] == "-" else f" {row['mode']}")


def task_title(wid, task):
    title = WORKLOADS[wid].TITLE if wid in WORKLOADS else "import as a whole process, minus bare `python -c pass`"
    return f"{wid} {task}: {title}"


def console_tables(rows, order):
    lines = []
    for key in order:
        group = [r for r in rows if (r["workload"], r["task"]) == key]
        lines.append("")
        lines.append(task_title(*key))
        lines.append(f"  {'library':20s} {'median':>10s} {'min':>10s} {'max':>10s} {'x NumPy':>8s}"
                     f" {'first call':>11s}  check")
        for r in group:
            check = r.get("check", "")
            if r["status"] == "not installed":
                if r["mode"] in ("-", LIB_MODES[r["library"]][0]):
                    lines.append(f"  {r['library']:20s} {'not installed':>10s}")
                continue
            if cell(r):
                lines.append(f"  {label(r):20s} {cell(r):>10s}" + (f"  {r.get('error', '')[:90]}" if r["status"] == "error" else ""))
                continue
            first = fmt_time(_median(r["first_call_s"])) if r.get("mode") == "jit" and r.get("first_call_s") else "-"
            lines.append(f"  {label(r):20s} {fmt_time(r['median_s']):>10s} {fmt_time(r['min_s']):>10s}"
                         f" {fmt_time(r['max_s']):>10s} {fmt_ratio(r.get('ratio_to_numpy')):>8s}"
                         f" {first:>11s}  {check}")
    return lines


COLUMNS = [("numpy", "-"), ("purejax", "eager"), ("purejax", "jit"), ("purejax-fast32", "jit"),
           ("jax", "eager"),
           ("jax", "jit"), ("autograd", "-"), ("torch", "eager")]


def summary_markdown(rows, order):
    head = ["workload"] + [lib + ("" if mode == "-" else f" {mode}") for lib, mode in COLUMNS]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key in order:
        cells = [f"{key[0]} {key[1]}"]
        for lib, mode in COLUMNS:
            if key[0] == "W8":  # one row per library: shown in its first column
                r = next((r for r in rows if (r["workload"], r["library"]) == ("W8", lib)), None)
                if mode != LIB_MODES[lib][0]:
                    r = None
            else:
                r = next((r for r in rows if (r["workload"], r["task"], r["library"], r["mode"]) == (*key, lib, mode)), None)
            if r is None:
                cells.append("")
            elif cell(r):
                cells.append(cell(r))
            else:
                mark = " **MISMATCH**" if r.get("check_ok") is False else ""
                ratio = r.get("ratio_to_numpy")
                cells.append(f"{fmt_time(r['median_s'])} ({fmt_ratio(ratio)}x){mark}" if ratio is not None
                             else fmt_time(r["median_s"]) + mark)
        out.append("| " + " | ".join(cells) + " |")
    return out


def detail_markdown(rows, order):
    out = ["| workload | library | median | min | max | x NumPy | first call (jit) | check |",
           "|---|---|---|---|---|---|---|---|"]
    for key in order:
        for r in (r for r in rows if (r["workload"], r["task"]) == key):
            if cell(r):
                if r["status"] == "error":
                    out.append(f"| {key[0]} {key[1]} | {label(r)} | ERROR: `{r.get('error', '')[:120]}` | | | | | |")
                continue
            first = "-"
            if r.get("mode") == "jit" and r.get("first_call_s"):
                first = fmt_time(_median(r["first_call_s"]))
            out.append(f"| {key[0]} {key[1]} | {label(r)} | {fmt_time(r['median_s'])} | {fmt_time(r['min_s'])}"
                       f" | {fmt_time(r['max_s'])} | {fmt_ratio(r.get('ratio_to_numpy'))} | {first} | {r.get('check', '')} |")
    return out


def first_call_lines(rows, order, markdown=False):
    pairs = []
    for key in order:
        got = {r["library"]: r for r in rows if (r["workload"], r["task"]) == key
               and r["mode"] == "jit" and r.get("status") == "ok" and r.get("first_call_s")}
        if got:
            pairs.append((key, got.get("purejax"), got.get("jax")))
    if not pairs:
        return []

    def stat(r):
        if r is None:
            return "-", None, "-"
        fc = sorted(r["first_call_s"])
        med = _median(fc)
        text = fmt_time(med) + (f" ({fmt_time(fc[0])}-{fmt_time(fc[-1])})" if len(fc) > 1 else "")
        return text, med, fmt_time(max(med - r["median_s"], 0.0))

    if markdown:
        out = ["| workload | purejax jit first call | JAX jit first call | purejax / JAX"
               " | purejax first - steady | JAX first - steady |", "|---|---|---|---|---|---|"]
    else:
        out = ["", "First call of jit (trace + compile + one run; median of fresh builds (min-max));",
               "'-steady': the first call less a steady-state call, i.e. about trace + compile:",
               f"  {'workload':18s} {'purejax':>26s} {'jax':>26s} {'pj/jax':>7s} {'pj-steady':>10s} {'jax-steady':>10s}"]
    for key, pj, jx in pairs:
        (spj, mpj, opj), (sjx, mjx, ojx) = stat(pj), stat(jx)
        ratio = fmt_ratio(mpj / mjx) if mpj and mjx else "-"
        if markdown:
            out.append(f"| {key[0]} {key[1]} | {spj} | {sjx} | {ratio} | {opj} | {ojx} |")
        else:
            out.append(f"  {key[0] + ' ' + key[1]:18s} {spj:>26s} {sjx:>26s} {ratio:>7s} {opj:>10s} {ojx:>10s}")
    return out


# ----------------------------------------------------------------------------

def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="few repetitions and small sizes: a smoke test that the harness works and results agree")
    p.add_argument("--only", action="append", metavar="W3[,W5]",
                   help="run only these workloads (W1..W8); may be repeated")
    p.add_argument("--libs", metavar="numpy,purejax,...",
                   help="run only these libraries (NumPy is always run: it is the reference)")
    p.add_argument("--json", metavar="PATH",
                   help="where to write the results (default bench/results/latest.json, "
                        "or latest-quick.json with --quick)")
    p.add_argument("--markdown", metavar="PATH", help="also write the tables as Markdown")
    p.add_argument("--threads", type=int, default=1,
                   help="thread count for every library (BLAS, XLA, torch); default 1")
    p.add_argument("--rounds", type=int, default=1,
                   help="run each library's worker this many times, interleaved, and report "
                        "the median of the rounds' medians; default 1")
    args = p.parse_args(argv)
    if args.rounds < 1:
        p.error("--rounds must be at least 1")
    if args.only:
        ids = []
        for chunk in args.only:
            for wid in chunk.replace(" ", ",").split(","):
                if not wid:
                    continue
                wid = wid.upper()
                if wid not in ALL_IDS:
                    p.error(f"unknown workload {wid!r}; choose from {', '.join(ALL_IDS)}")
                ids.append(wid)
        args.ids = [w for w in ALL_IDS if w in ids]
    else:
        args.ids = list(ALL_IDS)
    if args.libs:
        names = {n.strip() for n in args.libs.split(",") if n.strip()}
        unknown = names - {lib.name for lib in LIBRARIES}
        if unknown:
            p.error(f"unknown libraries {sorted(unknown)}")
        args.libs = names | {"numpy"}
    if args.json is None:
        args.json = os.path.join(HERE, "results", "latest-quick.json" if args.quick else "latest.json")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    t_start = time.perf_counter()
    mode = "quick" if args.quick else "full"
    worker_ids = [w for w in args.ids if w in WORKLOADS]
    selected = [lib for lib in LIBRARIES if args.libs is None or lib.name in args.libs]
    present = [lib for lib in selected if installed(lib)]
    print(f"purejax benchmarks ({mode} mode, {args.threads} thread(s), {args.rounds} round(s));"
          f" workloads {', '.join(args.ids)}",
          file=sys.stderr)
    print("libraries: " + ", ".join(f"{lib.name}" + ("" if lib in present else " (not installed)")
                                   for lib in selected), file=sys.stderr)

    # The groups (workload, task), in table order.
    order = [(wid, task) for wid in worker_ids for task in WORKLOADS[wid].TASKS]
    if "W8" in args.ids:
        order.append(("W8", "import"))

    rows, results, worker_wall = [], {}, {}
    with tempfile.TemporaryDirectory(prefix="purejax-bench-") as tmp:
        runs = run_rounds(present, worker_ids, args.quick, args.threads, tmp, args.rounds) \
            if worker_ids and present else {}
        for lib in selected:
            if lib.name not in runs:
                continue
            data, res, problem, wall = runs[lib.name]
            worker_wall[lib.name] = wall
            if problem:
                print(f"!! {lib.name}: {problem}", file=sys.stderr)
                for wid, task in order:
                    if wid != "W8":
                        for m in lib.modes:
                            rows.append({"workload": wid, "task": task, "library": lib.name, "mode": m,
                                         "status": "error", "error": problem})
                continue
            for r in data["rows"]:
                if r["workload"] == "*":  # the library failed to import
                    for wid, task in order:
                        if wid != "W8":
                            for m in lib.modes:
                                rows.append({**r, "workload": wid, "task": task, "mode": m})
                else:
                    rows.append(r)
            results[lib.name] = res
    if "W8" in args.ids:
        print(f"  [import  ] W8 timing {', '.join(lib.name for lib in present)}", file=sys.stderr)
        rows.extend(import_time.measure([lib for lib in present if not lib.config],
                                        IMPORT_RUNS[args.quick]))
    for lib in selected:
        if lib not in present:
            for wid, task in order:
                for m in (lib.modes if wid != "W8" else ("-",)):
                    rows.append({"workload": wid, "task": task, "library": lib.name, "mode": m,
                                 "status": "not installed"})

    # Cross-check every result against the NumPy reference: before any time.
    mismatches, errors = [], []
    for r in rows:
        if r["status"] == "error":
            errors.append(r)
        if r["workload"] == "W8" or r["status"] != "ok":
            continue
        tag = f"{r['workload']}/{r['task']}"
        ref = leaves_of(results.get("numpy", {}), f"{tag}/-")
        if r["library"] == "numpy":
            r["check"], r["check_ok"] = "reference", True
            continue
        if not ref:
            r["check"], r["check_ok"] = "UNCHECKED (no NumPy reference)", None
            continue
        w = WORKLOADS[r["workload"]]
        ok, msg, err = compare(leaves_of(results[r["library"]], f"{tag}/{r['mode']}"), ref, w.RTOL, w.ATOL)
        r["check_ok"], r["max_abs_err"] = ok, err
        if ok:
            r["check"] = "ok" + (f" ({msg})" if msg else "")
        else:
            r["check"] = "!! MISMATCH: " + msg
            r["mismatch"] = msg
            mismatches.append(r)
    lines = []
    if mismatches:
        lines += ["", "!" * 78, "!! RESULTS DISAGREE with the NumPy reference:"]
        lines += [f"!!   {r['workload']} {r['task']} {label(r)}: {r['mismatch']}" for r in mismatches]
        lines += ["!" * 78]
    else:
        n_checked = sum(1 for r in rows if r.get("check_ok"))
        lines += ["", f"Cross-check: all {n_checked} results agree with the NumPy reference (float32 tolerances)"
                  + (f"; {len(errors)} row(s) raised instead (below)." if errors else ".")]
    if errors:
        lines += ["", "Errors:"]
        for r in errors:
            lines.append(f"  {r['workload']} {r['task']} {label(r)}: {r.get('error', '')}")
            if (r["library"] == "numpy" or r["library"].startswith("purejax")) and r.get("traceback"):
                tb = r["traceback"].rstrip().splitlines()
                lines += ["      " + t for t in (tb if len(tb) <= 16 else ["..."] + tb[-15:])]

    # Ratios to NumPy.
    for r in rows:
        if r["status"] == "ok":
            base = next((b for b in rows if b["library"] == "numpy" and b["status"] == "ok"
                         and (b["workload"], b["task"]) == (r["workload"], r["task"])), None)
            r["ratio_to_numpy"] = r["median_s"] / base["median_s"] if base and base["median_s"] > 0 else None

    # Rows in table order: by group, then library/mode order.
    lib_rank = {lib.name: i for i, lib in enumerate(LIBRARIES)}
    mode_rank = {"-": 0, "eager": 1, "jit": 2}
    rows.sort(key=lambda r: (order.index((r["workload"], r["task"])), lib_rank[r["library"]],
                             mode_rank.get(r["mode"], 9)))

    lines += console_tables(rows, order) + first_call_lines(rows, order)
    if args.quick:
        lines += ["", "(quick mode: few repetitions, small sizes; times are not meaningful)"]
    print("\n".join(lines))

    meta = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "mode": mode, "threads": args.threads, "rounds": args.rounds, "workloads": args.ids,
            "machine": machine_info(), "purejax_commit": git_commit(), "purejax_location": _location("purejax"),
            "versions": {k: v for lib in LIBRARIES for k, v in versions(lib).items()},
            "installed": [lib.name for lib in present],
            "thread_env": {v: os.environ.get(v) for v in THREAD_VARS + ("XLA_FLAGS",)},
            "worker_wall_s": worker_wall, "total_wall_s": time.perf_counter() - t_start}
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump({"meta": meta, "rows": rows,
                   "mismatches": [f"{r['workload']} {r['task']} {label(r)}: {r['mismatch']}" for r in mismatches],
                   "errors": [f"{r['workload']} {r['task']} {label(r)}: {r.get('error')}" for r in errors]},
                  f, indent=1)
    if args.markdown:
        m, v = meta["machine"], meta["versions"]
        rounds = f", {args.rounds} interleaved processes per library" if args.rounds > 1 else ""
        md = [f"- Run of {meta['date'][:10]} ({mode} mode, {args.threads} thread(s) for every library"
              f"{rounds}), purejax {meta['purejax_commit']}.",
              f"- Machine: {m['nproc']} CPUs ({m['cpu_model']}), {m['platform']}, Python {m['python']}.",
              "- Versions: " + ", ".join(f"{k} {val}" for k, val in v.items() if val) + ".", "",
              "Medians, with the ratio to the hand-written NumPy version in parentheses:", ""]
        md += summary_markdown(rows, order) + ["", "All rows (median, min, max per call):", ""]
        md += detail_markdown(rows, order)
        fc = first_call_lines(rows, order, markdown=True)
        if fc:
            md += ["", "First call of jit (trace + compile + one run); median of fresh builds (min-max):", ""] + fc
        with open(args.markdown, "w") as f:
            f.write("\n".join(md) + "\n")
    print(f"\nwrote {args.json} ({time.perf_counter() - t_start:.1f} s)", file=sys.stderr)

    purejax_errors = [r for r in errors if r["library"] == "numpy" or r["library"].startswith("purejax")]
    purejax_errors += [r for r in rows if r["library"] == "purejax" and r["status"] == "not installed"]
    if mismatches:
        print("\n!! RESULTS DISAGREE (see the top of the report): "
              + "; ".join(f"{r['workload']} {r['task']} {label(r)}" for r in mismatches))
    if mismatches or purejax_errors:
        print(f"FAILED: {len(mismatches)} mismatch(es), {len(purejax_errors)} purejax/reference error(s)",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
