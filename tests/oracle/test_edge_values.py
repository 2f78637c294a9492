# ruff: noqa: E402  (imports follow the importorskip of jax)
"""Values and gradients of elementwise functions at edge points (signed zeros,
infinities, NaN, tiny and huge values, kinks), against JAX: the same NaNs, the same
infinities, the same signs of zero, and finite values within float32 tolerance (the
last-place agreement of transcendentals is tests/oracle/test_float32_agreement.py's).
Found heaviside(nan, h), floor_divide by zero, sparse_plus below -1 and relu's
inf/NaN tangents wrong before they were fixed."""
import pytest

jax = pytest.importorskip(
    "jax", reason="JAX is not installed: oracle tests compare purejax with JAX; "
                  "install with pip install -e '.[oracle]'")

import numpy as np
from oracle_util import JAX, PJ

X = np.array([0., -0., np.inf, -np.inf, np.nan, 1., -1., 0.5, -0.5, 1e-30, -1e-30, 3., -3.,
              1e30, -1e30, 2.5, -2.5, 100., 89., -104.], np.float32)
Y = np.array([0., 0., np.inf, 1., np.nan, 1., 2., -0., 0., -np.inf, 2., -3., 0.5, 1e30, 3.,
              2., -2., 0., -89., 7.], np.float32)

UNARY = ["sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh",
         "arccosh", "arctanh", "exp", "exp2", "expm1", "log", "log1p", "log2", "log10", "sqrt",
         "cbrt", "abs", "negative", "square", "reciprocal", "sign", "floor", "ceil", "round",
         "fabs", "rint", "trunc", "sinc", "deg2rad", "rad2deg", "signbit", "positive", "isnan",
         "isinf", "isfinite", "isposinf", "isneginf", "nan_to_num", "angle", "logical_not"]
BINARY = ["add", "subtract", "multiply", "divide", "power", "arctan2", "hypot", "maximum",
          "minimum", "fmax", "fmin", "logaddexp", "logaddexp2", "copysign", "fmod",
          "remainder", "float_power", "heaviside", "floor_divide", "true_divide", "nextafter",
          "equal", "less", "greater_equal", "logical_and", "logical_xor", "divmod", "mod"]
NN = ["relu", "relu6", "sigmoid", "softplus", "silu", "gelu", "elu", "leaky_relu",
      "hard_tanh", "log_sigmoid", "soft_sign", "celu", "selu", "hard_sigmoid", "hard_silu",
      "sparse_plus"]
DIFFERENTIABLE = {"floor", "ceil", "round", "rint", "trunc", "sign"} | set(NN) | {
    "sin", "cos", "tan", "arctan", "sinh", "cosh", "tanh", "arcsinh", "exp", "expm1", "log1p",
    "sqrt", "cbrt", "abs", "negative", "square", "reciprocal", "fabs", "sinc"}

# Documented in docs/differences.md: XLA orders -0 below +0 in max/min; NumPy's kernels
# return the second of two equal operands (index 1: minimum(-0., 0.); index 7:
# maximum(0.5, -0.) is no tie, so only these).
SIGNED_ZERO_OK = {("minimum", 1)}
# Finite values near overflow or after cancellation: XLA's sinh/cosh/exp2/tanh are not
# correctly rounded, and gelu(-3) = x/2 (1 + tanh(...)) and tanh' = 1 - tanh^2 at 2.5
# and 3 cancel tanh's last place (docs/differences.md, float32 math).
RTOL = {"sinh": 2e-6, "cosh": 2e-6, "exp2": 5e-6, "nn.gelu": 5e-5, "tanh": 3e-5}


def _call(lib, name, grad=False):
    J, jnp, _ = lib
    f = getattr(J.nn, name[3:]) if name.startswith("nn.") else getattr(jnp, name)
    args = [jnp.asarray(X)] + ([jnp.asarray(Y)] if name in BINARY else [])
    if grad:
        return [np.asarray(J.vmap(J.grad(f))(args[0]))]
    out = f(*args)
    return [np.asarray(o) for o in (out if isinstance(out, tuple) else (out,))]


def _compare(name, want, got):
    for k, (w, g) in enumerate(zip(want, got)):
        assert g.shape == w.shape and g.dtype == w.dtype, (name, k, g.dtype, w.dtype)
        if w.dtype == np.bool_:
            np.testing.assert_array_equal(g, w, err_msg=name)
            continue
        w64, g64 = w.astype(np.float64), g.astype(np.float64)
        np.testing.assert_array_equal(np.isnan(g64), np.isnan(w64), err_msg=f"{name}: NaNs")
        np.testing.assert_array_equal(np.where(np.isinf(g64), g64, 0), np.where(np.isinf(w64), w64, 0),
                                      err_msg=f"{name}: infinities")
        zeros = (w64 == 0) & (g64 == 0)
        for i in np.flatnonzero(zeros & (np.signbit(w64) != np.signbit(g64))):
            assert (name, int(i)) in SIGNED_ZERO_OK, f"{name}: sign of zero at X[{i}]"
        fin = np.isfinite(w64) & np.isfinite(g64) & (np.abs(w64) > 1e-37)  # (XLA flushes
        np.testing.assert_allclose(g64[fin], w64[fin], rtol=RTOL.get(name, 3e-7),  # subnormals)
                                   err_msg=f"{name}: finite values")


@pytest.mark.parametrize("name", UNARY + BINARY + ["nn." + n for n in NN])
def test_edge_values_match_jax(name):
    _compare(name, _call(JAX, name), _call(PJ, name))


@pytest.mark.parametrize("name", sorted(n for n in UNARY + ["nn." + n for n in NN]
                                         if n.replace("nn.", "") in DIFFERENTIABLE))
def test_edge_gradients_match_jax(name):
    _compare(name, _call(JAX, name, grad=True), _call(PJ, name, grad=True))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.complex64])
@pytest.mark.parametrize("decimals", [1, 2, 3, -1, -2])
def test_round_to_decimals_matches_jax_bit_for_bit(dtype, decimals):
    """jnp.round(x, d) is round(x * 10^d) times the reciprocal: JAX's jitted round has
    XLA turn its division by the constant into that multiplication (a true division
    gave JAX's bits for only 43-87% of float32 inputs)."""
    rng = np.random.default_rng(decimals + 10)
    x = rng.standard_normal(20000) * (10 if dtype == np.float16 else 100)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * x[::-1]
    x = x.astype(dtype)
    want = np.asarray(JAX[1].round(x, decimals))
    got = np.asarray(PJ[1].round(x, decimals))
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got.view(np.uint8), want.view(np.uint8))


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_division_by_a_scalar_matches_jax_bit_for_bit(dtype):
    """XLA's A / broadcast(B) -> A * broadcast(1 / B): eager, jitted with a traced
    divisor, per-example under vmap, and jnp.mean's sum / n."""
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((40, 50)) * 100).astype(dtype)
    y = (rng.standard_normal(40) * 10).astype(dtype)

    def run(lib):
        J, jnp, _ = lib
        return [jnp.asarray(x) / 3., jnp.asarray(x) / jnp.asarray(y[0]),
                J.jit(lambda a, s: a / s)(x, y[0]), J.vmap(lambda a, s: a / s)(x, y),
                jnp.asarray(x[:, :2]).sum(axis=1) / 7]

    for k, (w, g) in enumerate(zip(run(JAX), run(PJ))):
        w, g = np.asarray(w), np.asarray(g)
        assert g.dtype == w.dtype
        np.testing.assert_array_equal(g, w, err_msg=f"case {k}")
