# ruff: noqa: E402  (imports follow the importorskip of jax)
"""Infinite and NaN tangents and cotangents, against JAX: where a rule selects
(nn.relu's select(x > 0, g, 0)) an inf or NaN meets an inactive unit as 0; where it
multiplies (max's g * (x > y)) it becomes NaN. Both libraries must agree on which, at
ordinary points and at kinks, in the JVP and the VJP, eagerly and under jit."""
import pytest

jax = pytest.importorskip(
    "jax", reason="JAX is not installed: oracle tests compare purejax with JAX; "
                  "install with pip install -e '.[oracle]'")

import numpy as np
from oracle_util import JAX, PJ

X = np.array([-7., -2., -0.5, 0., 0.5, 2., 6., 7., 0.3, -0.3], np.float32)
G = np.array([np.inf, -np.inf, np.nan, np.inf, np.nan, -np.inf, np.inf, np.nan, 0., 1.],
             np.float32)

UNARY = ["sin", "cos", "tan", "arctan", "sinh", "cosh", "tanh", "arcsinh", "exp", "exp2",
         "expm1", "cbrt", "abs", "negative", "square", "sign", "floor", "ceil", "round",
         "fabs", "rint", "trunc"]
NN = ["relu", "relu6", "sigmoid", "softplus", "silu", "gelu", "elu", "leaky_relu",
      "hard_tanh", "log_sigmoid", "soft_sign", "celu", "selu", "hard_sigmoid", "hard_silu"]
COMPOSITE = {
    "maximum0": lambda jnp: lambda x: jnp.maximum(x, 0.),
    "minimum0": lambda jnp: lambda x: jnp.minimum(x, 0.),
    "clip": lambda jnp: lambda x: jnp.clip(x, -1., 1.),
    "where": lambda jnp: lambda x: jnp.where(x > 0, x, 0.),
}


def _fn(lib, name):
    J, jnp, _ = lib
    if name in COMPOSITE:
        return COMPOSITE[name](jnp)
    if name.startswith("nn."):
        return getattr(J.nn, name[3:])
    return getattr(jnp, name)


def _both(lib, name):
    J, jnp, _ = lib
    f = _fn(lib, name)
    x, g = jnp.asarray(X), jnp.asarray(G)
    vjp = J.vjp(f, x)[1](g)[0]
    jvp = J.jvp(f, (x,), (g,))[1]
    jit_vjp = J.jit(lambda x, g: J.vjp(f, x)[1](g)[0])(x, g)
    return [np.asarray(v) for v in (vjp, jvp, jit_vjp)]


@pytest.mark.parametrize("name", UNARY + ["nn." + n for n in NN] + list(COMPOSITE))
def test_inf_and_nan_tangents_and_cotangents_match_jax(name):
    want = _both(JAX, name)
    got = _both(PJ, name)
    for what, w, g in zip(("vjp", "jvp", "jit vjp"), want, got):
        assert g.dtype == w.dtype, (what, g.dtype, w.dtype)
        np.testing.assert_array_equal(np.isnan(g), np.isnan(w), err_msg=f"{name} {what}: NaNs")
        np.testing.assert_array_equal(np.isinf(g) * np.sign(g), np.isinf(w) * np.sign(w),
                                      err_msg=f"{name} {what}: infinities")
        fin = np.isfinite(w)
        np.testing.assert_allclose(g[fin], w[fin], rtol=2e-5, atol=1e-6,
                                   err_msg=f"{name} {what}: finite values")
