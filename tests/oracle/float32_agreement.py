"""How often purejax's float32/complex64 transcendentals give JAX's bits, per mode of
the flag purejax_float32_math.

Run as a script for the table in docs/differences.md:

    python tests/oracle/float32_agreement.py          # needs JAX (pip install -e '.[oracle]')

test_float32_agreement.py asserts from the same measurement that the default mode,
"xla", agrees with JAX about as often as the better of "exact" and "fast" for every
function, so that a JAX release that changes its kernels shows up as a failure.
"""
from __future__ import annotations

import os
import warnings

import numpy as np

os.environ.setdefault("JAX_PLATFORMS", "cpu")

MODES = ("xla", "exact", "fast")


def _distributions(rng, n):
    """Five input distributions of float64 values, mapped into each domain below. The
    last is the round numbers people print: hundredths, eighths and integers."""
    sign = np.where(rng.random(n) < .5, -1., 1.)
    grid = np.unique(np.concatenate([np.arange(-1000, 1001) / 100, np.arange(-80, 81) / 8,
                                     np.arange(-20, 21)]))
    return {"normal(0,1)": rng.standard_normal(n), "normal(0,3)": rng.standard_normal(n) * 3,
            "uniform(-20,20)": rng.uniform(-20, 20, n),
            "+-loguniform(1e-6,1e6)": sign * np.exp(rng.uniform(np.log(1e-6), np.log(1e6), n)),
            "round numbers": grid}


_DOMAINS = {
    "any": lambda v: v, "pos": lambda v: np.abs(v) + 1e-30, "unit": np.tanh,
    "ge1": lambda v: 1 + np.abs(v), "exp": lambda v: np.clip(v, -87, 88),
}

# name, domain, arity; each name is a function of jax.lax and of purejax.lax, except
# logaddexp(2), which are jax.numpy's
REAL = [("exp", "exp", 1), ("exp2", "exp", 1), ("log", "pos", 1), ("log1p", "pos", 1),
        ("expm1", "exp", 1), ("tanh", "any", 1), ("logistic", "any", 1), ("sin", "any", 1),
        ("cos", "any", 1), ("tan", "any", 1), ("asin", "unit", 1), ("acos", "unit", 1),
        ("atan", "any", 1), ("sinh", "exp", 1), ("cosh", "exp", 1), ("asinh", "any", 1),
        ("acosh", "ge1", 1), ("atanh", "unit", 1), ("sqrt", "pos", 1), ("rsqrt", "pos", 1),
        ("cbrt", "any", 1), ("pow", "pos", 2), ("atan2", "any", 2), ("logaddexp", "any", 2),
        ("logaddexp2", "any", 2)]
COMPLEX = ["exp", "log", "log1p", "expm1", "sin", "cos", "tan", "tanh", "asin", "acos", "atan",
           "sinh", "cosh", "asinh", "acosh", "atanh", "sqrt", "rsqrt", "pow", "abs"]


def _fn(lib_lax, lib_jnp, name):
    return getattr(lib_jnp, name) if name.startswith("logaddexp") else getattr(lib_lax, name)


def measure(n: int = 1 << 16, seed: int = 0) -> list[dict]:
    """Per function and dtype, the fraction of inputs on which each mode's result has
    JAX's bits, averaged over the input distributions (and listed per distribution)."""
    import jax
    import jax.numpy as jjnp
    from jax import lax as jlax

    import purejax
    import purejax.numpy as pjnp
    from purejax import lax as plax

    jax.config.update("jax_platforms", "cpu")
    rng = np.random.default_rng(seed)
    dists = _distributions(rng, n)
    cases = []
    for name, dom, arity in REAL:
        for dname, v in dists.items():
            x = _DOMAINS[dom](v).astype(np.float32)
            y = np.roll(v, 1).astype(np.float32)  # atan2/logaddexp's second operand
            if name == "pow":
                y = np.clip(y, -8, 8)
            cases.append((name, "float32", dname, (x, y)[:arity]))
    for name in COMPLEX:
        for scale in (1., 3.):
            z = ((rng.standard_normal(n) + 1j * rng.standard_normal(n)) * scale).astype(np.complex64)
            args = (z, np.roll(z, 1) * np.complex64(.5)) if name == "pow" else (z,)
            cases.append((name, "complex64", f"complex normal(0,{scale:g})", args))

    saved = purejax.config.read("purejax_float32_math")
    rows: dict = {}
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            for name, dt, dname, args in cases:
                want = np.asarray(jax.jit(_fn(jlax, jjnp, name))(*args))
                row = rows.setdefault((name, dt), {"name": name, "dtype": dt, "per_dist": {}})
                got = {}
                for mode in MODES:
                    purejax.config.update("purejax_float32_math", mode)
                    r = np.asarray(_fn(plax, pjnp, name)(*[pjnp.asarray(a) for a in args]))
                    got[mode] = float(np.mean(_same_bits(r, want)))
                row["per_dist"][dname] = got
    finally:
        purejax.config.update("purejax_float32_math", saved)
    for row in rows.values():
        row["mean"] = {m: float(np.mean([d[m] for d in row["per_dist"].values()])) for m in MODES}
    return list(rows.values())


def _same_bits(a, b):
    """Elementwise: a and b are the same number (NaNs of any payload count as equal)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind == "c":
        return _same_bits(a.real, b.real) & _same_bits(a.imag, b.imag)
    return (a == b) | (np.isnan(a) & np.isnan(b))


def markdown(rows: list[dict]) -> str:
    lines = ["| function | dtype | xla (default) | exact | fast |", "|---|---|---|---|---|"]
    for r in rows:
        m = r["mean"]
        best = max(m.values())
        cells = [f"**{m[k]:.1%}**" if m[k] == best else f"{m[k]:.1%}" for k in MODES]
        lines.append(f"| {r['name']} | {r['dtype']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    import jax
    print(f"jax {jax.__version__}, numpy {np.__version__}: fraction of inputs with JAX's bits")
    print(markdown(measure()))
