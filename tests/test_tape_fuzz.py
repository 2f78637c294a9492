"""Random programs: eager reverse mode (the tape and its hot paths) against the tape
turned off (per-function linearize + transpose) and against jit(grad) (the staged,
generated-code path): values, dtypes and weak types, in float32 and float64, with
Python-float arguments, under vmap, called repeatedly (templates compile on the second
sighting of a signature). Found a generated-code bug at a rank-0 zero (mul_step)."""
import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax._src.config import config

UNARY = [jnp.sin, jnp.cos, jnp.tanh, jnp.exp, lambda v: jnp.log1p(v * v), jnp.negative,
         jnp.abs, lambda v: jnp.maximum(v, 0.), jax.nn.sigmoid, jax.nn.softplus]
BINARY = [jnp.add, jnp.subtract, jnp.multiply, lambda a, b: a / (1.5 + b * b), jnp.logaddexp,
          jnp.logaddexp2, jnp.maximum, lambda a, b: jnp.where(a > b, a, b * 2.0)]


def _program(rng, n_ops):
    ops = []
    for _ in range(n_ops):
        k = rng.integers(0, 4)
        if k == 0:
            ops.append(("unary", rng.integers(len(UNARY))))
        elif k == 1:
            ops.append(("binary", rng.integers(len(BINARY)), rng.integers(0, 4)))
        elif k == 2:
            ops.append(("scalar", float(rng.choice([0.5, -2.0, 0.01, 3.0])), rng.integers(0, 3)))
        else:
            ops.append(("fan-in", rng.integers(0, 3)))

    def f(x, y):
        vals = [x, y]
        for op in ops:
            a = vals[-1]
            if op[0] == "unary":
                vals.append(UNARY[op[1]](a))
            elif op[0] == "binary":
                b = vals[-1 - op[2]] if op[2] < len(vals) else y
                vals.append(BINARY[op[1]](a, b))
            elif op[0] == "scalar":
                s = op[1]
                vals.append([a * s, s * a, a + s][op[2]])
            else:
                vals.append([a - vals[0], vals[1] * a, a + vals[len(vals) // 2]][op[1]])
        return jnp.sum(vals[-1] * jnp.cos(vals[len(vals) // 2]))
    return f


def _close(got, want, what):
    assert getattr(got, "weak_type", None) == getattr(want, "weak_type", None), what
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, (what, got.dtype, want.dtype)
    np.testing.assert_allclose(got, want, rtol=2e-4, atol=1e-5, equal_nan=True, err_msg=what)


def _run(seed, n_programs):
    rng = np.random.default_rng(seed)
    saved = {k: config.read(k) for k in ("jax_enable_x64", "purejax_eager_tape")}
    try:
        for trial in range(n_programs):
            f = _program(rng, int(rng.integers(2, 12)))
            shape = [(), (5,), (3, 4)][rng.integers(3)]
            dt = [np.float32, np.float64][rng.integers(2)]
            config.update("jax_enable_x64", dt == np.float64)
            x = jnp.asarray(rng.uniform(-2, 2, shape).astype(dt))
            y = jnp.asarray(rng.uniform(-2, 2, shape).astype(dt))
            if shape == () and rng.integers(2):
                x = float(x)  # weakly typed
            g = jax.grad(f, argnums=(0, 1))
            staged = jax.jit(g)(x, y)
            config.update("purejax_eager_tape", False)
            linearized = g(x, y)
            config.update("purejax_eager_tape", True)
            for call in range(3):
                got = g(x, y)
                for i in range(2):
                    what = f"seed {seed} program {trial} call {call} argument {i}"
                    _close(got[i], linearized[i], what + ": tape vs linearize")
                    _close(got[i], staged[i], what + ": tape vs jit")
            if shape != ():
                vg = jax.vmap(g, in_axes=(0, None))
                xs = jnp.stack([x, x * 0.5, -x])
                want = jax.jit(vg)(xs, y)
                for call in range(3):
                    got = vg(xs, y)
                    for i in range(2):
                        _close(got[i], want[i], f"seed {seed} program {trial} vmap call {call}")
    finally:
        for k, v in saved.items():
            config.update(k, v)


@pytest.mark.parametrize("seed", range(6))
def test_random_programs_tape_linearize_and_jit_agree(seed):
    _run(seed, 25)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(100, 140))
def test_random_programs_tape_linearize_and_jit_agree_long(seed):
    _run(seed, 100)
