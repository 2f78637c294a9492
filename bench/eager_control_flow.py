"""Eager control flow under transformations: a supplement to run.py's table.

    python bench/eager_control_flow.py [--libs purejax,jax] [--quick]

Times, per call and without jit, small functions using lax.cond, lax.scan,
lax.fori_loop, jax.checkpoint and a jitted inner function: called plainly, under
grad, jvp, vmap and vmap(grad), each with new closures on every call (as code written
inline makes them), plus while_loop and scan with the same function objects on every
call (traced once, as JAX does). Prints a table of medians (bench/timing.py) and
checks that the libraries agree. Each library runs in its own process, as in run.py.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = ("cond", "scan", "fori", "remat", "jit_inside")
TRANSFORMS = ("call", "grad", "jvp", "vmap", "vmap_grad")


def _programs(jax, jnp, lax):
    """name -> (function of x, input); every call builds its closures anew."""
    def cond(x):
        return lax.cond(jnp.sum(x) > 0, lambda v: jnp.sum(jnp.sin(v)),
                        lambda v: jnp.sum(jnp.cos(v)), x)

    def scan(x):
        return lax.scan(lambda c, xi: (c * jnp.sin(xi) + 1.0, None), 0.0, x)[0]

    def fori(x):
        return jnp.sum(lax.fori_loop(0, 5, lambda i, c: c * 0.9 + jnp.sin(c), x))

    def remat(x):
        return jax.checkpoint(lambda v: jnp.sum(jnp.sin(v) * v))(x)

    inner = jax.jit(lambda v: jnp.sum(jnp.sin(v) * v))

    def jit_inside(x):
        return inner(x) * 2.0

    return {"cond": cond, "scan": scan, "fori": fori, "remat": remat,
            "jit_inside": jit_inside}


def _same_objects(jax, jnp, lax):
    def body(c):
        return c[0] + 1, c[1] * 0.9 + jnp.sin(c[1])

    def cond(c):
        return c[0] < 5

    def step(c, xi):
        return c * jnp.sin(xi) + 1.0, None

    return {"while_same_fns": lambda x: jnp.sum(lax.while_loop(cond, body, (0, x))[1]),
            "scan_same_fn": lambda x: lax.scan(step, 0.0, x)[0]}


def worker(lib: str, quick: bool) -> dict:
    sys.path.insert(0, HERE)
    import numpy as np
    from timing import measure
    if lib == "jax":
        import jax
        import jax.numpy as jnp
        from jax import lax
        jax.config.update("jax_platforms", "cpu")
    else:
        import purejax as jax
        import purejax.numpy as jnp
        from purejax import lax
    x = jnp.asarray(np.linspace(0.1, 0.8, 8, dtype=np.float32))
    xs = jnp.asarray(np.linspace(0.1, 0.8, 32, dtype=np.float32).reshape(4, 8))

    def block(t):
        for leaf in jax.tree_util.tree_leaves(t):
            getattr(leaf, "block_until_ready", lambda: None)()
        return t

    out = {}
    calls = {}
    for name, f in _programs(jax, jnp, lax).items():
        calls[(name, "call")] = lambda f=f: f(x)
        calls[(name, "grad")] = lambda f=f: jax.grad(f)(x)
        calls[(name, "jvp")] = lambda f=f: jax.jvp(f, (x,), (x,))
        calls[(name, "vmap")] = lambda f=f: jax.vmap(f)(xs)
        calls[(name, "vmap_grad")] = lambda f=f: jax.vmap(jax.grad(f))(xs)
    for name, f in _same_objects(jax, jnp, lax).items():
        calls[(name, "call")] = lambda f=f: f(x)
    for (name, tr), call in calls.items():
        value = [np.asarray(v).tolist() for v in jax.tree_util.tree_leaves(block(call()))]
        t = measure(lambda call=call: block(call()), quick=quick)
        out[f"{name}/{tr}"] = {"median_s": t["median_s"], "value": value}
    return out


def _fmt(s):
    return f"{s * 1e6:.0f} us" if s < 1e-3 else f"{s * 1e3:.2f} ms"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--libs", default="purejax,jax")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--worker")
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.quick)))
        return 0
    results = {}
    for lib in args.libs.split(","):
        cmd = [sys.executable, __file__, "--worker", lib] + (["--quick"] if args.quick else [])
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"{lib}: not run ({proc.stderr.strip().splitlines()[-1:]})")
            continue
        results[lib] = json.loads(proc.stdout.strip().splitlines()[-1])
    if not results:
        return 1
    import numpy as np
    libs = list(results)
    ok = True
    print("| program / transformation | " + " | ".join(libs) + " |")
    print("|---|" + "---|" * len(libs))
    for key in results[libs[0]]:
        ref = results[libs[0]][key]["value"]
        cells = []
        for lib in libs:
            r = results[lib].get(key)
            if r is None:
                cells.append("-")
                continue
            agree = len(r["value"]) == len(ref) and all(
                np.allclose(a, b, rtol=1e-5, atol=1e-6) for a, b in zip(r["value"], ref))
            ok &= agree
            cells.append(_fmt(r["median_s"]) + ("" if agree else " (DIFFERS)"))
        print(f"| {key} | " + " | ".join(cells) + " |")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
