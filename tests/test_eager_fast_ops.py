"""The eager fast paths of Array's `+ - * /` and of jnp's inexact unary functions
(array_methods._eager_arith, ufuncs._inexact_unop) must give exactly what the general
path (jnp's functions, lax and bind) gives: the same bits, dtype and weak type, at
ordinary and edge points; and must step aside under tracing and NaN checking."""
import operator

import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax import lax
from purejax._src.array import Array
from purejax._src.config import config
from purejax.experimental import enable_x64

EDGE = [0.0, -0.0, 1.0, -2.5, 0.1, 3.0, 1e30, -1e-30, np.inf, -np.inf, np.nan, 7.0]
OPS = [(operator.add, jnp.add), (operator.sub, jnp.subtract),
       (operator.mul, jnp.multiply), (operator.truediv, jnp.true_divide)]
DTYPES = [np.float16, np.float32, np.float64, np.complex64, np.complex128]


def _same(got, want):
    assert type(got) is Array and type(want) is Array
    assert got.dtype == want.dtype and got.shape == want.shape
    assert got.weak_type == want.weak_type
    np.testing.assert_array_equal(np.asarray(got), np.asarray(want))


def _arrays(dtype, weak=False):
    vals = np.asarray(EDGE, np.float64)
    with np.errstate(all="ignore"):
        if np.dtype(dtype).kind == "c":
            vals = vals + 1j * np.roll(vals, 3)
        vec = vals.astype(dtype)
    return [Array(vec, weak), Array(vec[3].copy(), weak), Array(vec[::-1].copy(), weak)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op,general", OPS)
def test_array_operators_equal_the_general_path(dtype, op, general):
    with enable_x64(True):
        for weak in (False, True):
            x, s, y = _arrays(dtype, weak)
            for a, b in ((x, y), (s, s), (y, x)):
                _same(op(a, b), general(a, b))
            for scalar in (2, 0, -3, 0.5, -0.0, 1e300, float("inf"), float("nan")):
                for a in (x, s):
                    _same(op(a, scalar), general(a, scalar))
                    _same(op(scalar, a), general(scalar, a))


@pytest.mark.parametrize("op,general", OPS)
def test_mixed_operands_still_promote(op, general):
    """What the fast path declines: other dtypes, weak against strong, broadcasting,
    integers, NumPy operands. The general path's promotion applies."""
    f32 = jnp.asarray([1.0, 2.0], jnp.float32)
    f16 = jnp.asarray([3.0, 4.0], jnp.float16)
    weak = jnp.asarray(2.0)             # a weakly typed float32 scalar
    col = jnp.ones((3, 1), jnp.float32)
    ints = jnp.asarray([1, 2])
    for a, b in ((f32, f16), (f16, weak), (f32, weak), (col, f32), (ints, ints),
                 (ints, 2), (f32, np.float32(2)), (np.ones(2), f32), (f32, 2 + 1j)):
        _same(op(a, b), general(a, b))


UNARY = ["sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
         "arcsinh", "arccosh", "arctanh", "exp", "exp2", "log", "log1p", "expm1", "sqrt"]


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("mode", ["xla", "exact", "fast"])
def test_unary_functions_equal_lax(name, mode):
    lax_names = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh",
                 "arccosh": "acosh", "arctanh": "atanh"}
    jfn, lfn = getattr(jnp, name), getattr(lax, lax_names.get(name, name))
    old = config.read("purejax_float32_math")
    config.update("purejax_float32_math", mode)
    try:
        with enable_x64(True):
            for dtype in DTYPES:
                for weak in (False, True):
                    for x in _arrays(dtype, weak):
                        _same(jfn(x), lfn(x))
    finally:
        config.update("purejax_float32_math", old)


def test_staged_under_jit_not_computed_at_trace_time():
    c1, c2 = jnp.asarray(2.0), jnp.asarray(3.0)
    jaxpr = str(jax.make_jaxpr(lambda: (c1 * c2, jnp.sin(c1), 1.0 / c2))())
    assert "mul" in jaxpr and "sin" in jaxpr and "div" in jaxpr


def test_nan_checking_still_names_the_primitive():
    x = jnp.asarray([0.0, 1.0])
    config.update("jax_debug_nans", True)
    try:
        with pytest.raises(FloatingPointError, match="div"):
            x / x
        with pytest.raises(FloatingPointError, match="log"):
            jnp.log(jnp.asarray(-1.0))
    finally:
        config.update("jax_debug_nans", False)


def test_inside_linearize_concrete_operations_run_only_over_the_eager_trace():
    """A custom_jvp rule under grad runs inside linearize: over the eager trace its
    operations on concrete values run at once (the fast paths may take them), but
    under make_jaxpr or jit they must be staged like everything else."""
    c = jnp.asarray(0.5)

    @jax.custom_jvp
    def f(x):
        return x * jnp.sin(c)

    @f.defjvp
    def f_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return f(x), t * (jnp.cos(c) * 2.0 + 1.0)

    want = np.cos(np.float32(0.5)) * 2 + 1
    np.testing.assert_allclose(jax.grad(f)(1.0), want, rtol=1e-6)
    jaxpr = str(jax.make_jaxpr(jax.grad(f))(1.0))
    assert "cos" in jaxpr and "add" in jaxpr
    np.testing.assert_array_equal(jax.jit(jax.grad(f))(1.0), jax.grad(f)(1.0))
