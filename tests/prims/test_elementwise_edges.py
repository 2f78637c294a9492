"""Elementwise primitives at their edges: JAX's derivative conventions at
non-differentiable points, IEEE special values, integer overflow semantics as XLA
defines them, float32 rounding as XLA prints it, and complex conventions."""
from __future__ import annotations

import math

import numpy as np
import pytest

from purejax import grad, jvp, make_jaxpr, vjp, vmap
from purejax._src import lax
from purejax._src.array import Array

nan, inf = float("nan"), float("inf")



def a(values, dtype):
    return Array(np.asarray(values, dtype))


def val(x):
    return np.asarray(x)


def same(x, expected):
    np.testing.assert_array_equal(val(x), np.asarray(expected))


# ---------------------------------------------------------------------------
# Derivatives at non-differentiable points (JAX's documented conventions)

def test_abs_derivative_at_zero_is_one_like_jax():
    # JAX's abs JVP is select(x >= 0, t, -t): the right derivative, also at -0.0
    assert float(grad(lax.abs)(0.0)) == 1.0
    assert float(grad(lax.abs)(-0.0)) == 1.0
    assert float(grad(lax.abs)(-2.0)) == -1.0
    # complex |z| at 0: conj(z) / |z| with |z| = 0 replaced by 1, so 0
    _, t = jvp(lax.abs, (a(0j, np.complex64),), (a(1 + 1j, np.complex64),))
    assert float(t) == 0.0


@pytest.mark.parametrize("op", [lax.max, lax.min])
def test_max_min_ties_split_evenly(op):
    assert float(grad(op)(1.0, 1.0)) == 0.5
    assert float(grad(op, 1)(1.0, 1.0)) == 0.5
    assert float(grad(lambda x: op(x, x))(3.0)) == 1.0
    assert float(grad(lambda x: op(x, 1.0))(1.0)) == 0.5


def test_max_min_pick_one_side():
    assert float(grad(lax.max)(2.0, 1.0)) == 1.0
    assert float(grad(lax.max, 1)(2.0, 1.0)) == 0.0
    assert float(grad(lax.min)(2.0, 1.0)) == 0.0


@pytest.mark.parametrize("op", [lax.sign, lax.floor, lax.ceil, lax.round,
                                lambda x: lax.round(x, lax.RoundingMethod.TO_NEAREST_EVEN)])
@pytest.mark.parametrize("x", [0.0, -1.0, 0.5, 2.5, 1.3])
def test_piecewise_constant_ops_have_zero_gradient(op, x):
    assert float(grad(op)(x)) == 0.0


def test_zero_derivative_ops_give_symbolic_zero_tangents():
    for op in (lax.sign, lax.floor, lax.is_finite, lax.stop_gradient):
        _, t = jvp(op, (a([1.5, -2.0], np.float32),), (a([1.0, 1.0], np.float32),))
        assert not val(t).any()
    _, t = jvp(lax.nextafter, (a(1.0, np.float32), a(2.0, np.float32)),
               (a(1.0, np.float32), a(1.0, np.float32)))
    assert float(t) == 0.0


def test_sqrt_derivative_at_zero_is_inf():
    assert float(grad(lax.sqrt)(0.0)) == inf
    assert float(grad(lax.rsqrt)(4.0)) == -1 / 16


def test_x_over_one_plus_sqrt_x_at_zero_is_nan():
    # d/dx x / (1 + sqrt(x)) = 1/(1+s) - x sqrt'(x)/(1+s)^2 = 1 - 0 * inf
    g = grad(lambda x: lax.div(x, lax.add(1.0, lax.sqrt(x))))(0.0)
    assert math.isnan(float(g))


def test_pow_conventions_at_zero(x64):
    # integer exponent 0: derivative 0 everywhere, even where x ** -1 is inf
    assert float(grad(lambda x: lax.pow(x, 0))(0.0)) == 0.0
    assert float(lax.pow(0.0, 0)) == 1.0 and float(lax.pow(0.0, 0.0)) == 1.0
    # a float exponent has no such special case: 0 * 0 ** -1 = nan (as in JAX)
    assert math.isnan(float(grad(lambda x: lax.pow(x, 0.0))(0.0)))
    assert float(grad(lambda x: lax.pow(x, 2.0))(0.0)) == 0.0
    # the exponent's tangent uses log(x) with x == 0 replaced by 1: 0 at x == 0
    assert float(grad(lambda y: lax.pow(0.0, y))(2.0)) == 0.0
    assert float(grad(lambda y: lax.pow(2.0, y))(3.0)) == pytest.approx(8 * math.log(2))
    # an integer exponent is not differentiated (its tangent is float0)
    gx = grad(lambda x: lax.pow(x, a(3, np.int64)))(2.0)
    assert float(gx) == 12.0


def test_integer_pow_zero(x64):
    assert float(lax.integer_pow(0.0, 0)) == 1.0
    assert float(lax.integer_pow(nan, 0)) == 1.0
    assert float(grad(lambda x: lax.integer_pow(x, 0))(0.0)) == 0.0
    assert float(grad(lambda x: lax.integer_pow(x, 0))(3.0)) == 0.0
    assert float(grad(lambda x: lax.integer_pow(x, 1))(0.0)) == 1.0
    assert float(grad(lambda x: lax.integer_pow(x, 2))(0.0)) == 0.0
    assert float(grad(lambda x: lax.integer_pow(x, -1))(2.0)) == -0.25


def test_rem_derivatives(x64):
    # d/dx rem(x, y) = 1;  d/dy rem(x, y) = -trunc(x / y)
    assert float(grad(lax.rem)(7.5, 2.0)) == 1.0
    assert float(grad(lax.rem, 1)(7.5, 2.0)) == -3.0
    assert float(grad(lax.rem, 1)(-7.5, 2.0)) == 3.0
    assert float(grad(lax.rem, 1)(7.5, -2.0)) == 3.0


def test_clamp_derivatives_at_the_bounds(x64):
    f = lambda lo, x, hi: lax.clamp(lo, x, hi)  # noqa: E731
    assert [float(g) for g in grad(f, (0, 1, 2))(0.0, 0.5, 1.0)] == [0.0, 1.0, 0.0]
    assert [float(g) for g in grad(f, (0, 1, 2))(0.0, -1.0, 1.0)] == [1.0, 0.0, 0.0]
    assert [float(g) for g in grad(f, (0, 1, 2))(0.0, 2.0, 1.0)] == [0.0, 0.0, 1.0]
    # at a bound nobody gets the tangent (JAX's strict inequalities)
    assert [float(g) for g in grad(f, (0, 1, 2))(0.0, 0.0, 1.0)] == [0.0, 0.0, 0.0]
    assert [float(g) for g in grad(f, (0, 1, 2))(0.0, 1.0, 1.0)] == [0.0, 0.0, 0.0]
    # scalar bounds sum the cotangent over the operand
    lo, x, hi = 0.0, a([-1.0, 0.5, 2.0, -3.0], np.float64), 1.0
    g_lo = grad(lambda lo: lax.reduce_sum(lax.clamp(lo, x, hi), (0,)))(lo)
    assert float(g_lo) == 2.0


def test_atan2_derivative_and_quadrants(x64):
    assert float(lax.atan2(1.0, -1.0)) == pytest.approx(3 * math.pi / 4)
    assert float(lax.atan2(-0.0, -1.0)) == -math.pi
    assert float(grad(lax.atan2)(1.0, 1.0)) == 0.5
    assert float(grad(lax.atan2, 1)(1.0, 1.0)) == -0.5


def test_logistic_saturates_without_nan(x64):
    same(lax.logistic(a([-1000.0, 1000.0, -inf, inf], np.float32)), [0.0, 1.0, 0.0, 1.0])
    g = grad(lax.logistic)(-1000.0)
    assert float(g) == 0.0


def test_stop_gradient(x64):
    assert float(grad(lambda x: lax.mul(x, lax.stop_gradient(x)))(3.0)) == 3.0
    tree = {"f": a([1.0, 2.0], np.float32), "i": a([1, 2], np.int32)}
    out = lax.stop_gradient(tree)
    assert out["i"] is tree["i"]  # integer leaves are left alone
    same(out["f"], [1.0, 2.0])
    jaxpr = make_jaxpr(lax.stop_gradient)(1.0)
    assert "stop_gradient" in str(jaxpr)
    same(vmap(lambda x: lax.stop_gradient(lax.sin(x)))(a([0.0, 1.0], np.float32)),
         np.sin(np.float64([0.0, 1.0])).astype(np.float32))


def test_copy_is_linear(x64):
    out, pullback = vjp(lax.copy, a([1.0, 2.0], np.float64))
    same(pullback(a([3.0, 4.0], np.float64))[0], [3.0, 4.0])


# ---------------------------------------------------------------------------
# IEEE special values

def test_special_values_float32():
    x = a([0.0, -0.0, inf, -inf, nan], np.float32)
    same(lax.sign(x), [0.0, -0.0, 1.0, -1.0, nan])
    assert np.signbit(val(lax.sign(x))[1])  # sign(-0.0) keeps its sign, like XLA
    same(lax.is_finite(x), [True, True, False, False, False])
    same(lax.exp(x), [1.0, 1.0, inf, 0.0, nan])
    same(lax.log(x), [-inf, -inf, inf, nan, nan])
    same(lax.sqrt(x), [0.0, -0.0, inf, nan, nan])
    same(lax.rsqrt(x), [inf, -inf, 0.0, nan, nan])
    same(lax.tanh(x), [0.0, -0.0, 1.0, -1.0, nan])
    same(lax.abs(x), [0.0, 0.0, inf, inf, nan])
    same(lax.max(x, a(1.0, np.float32)), [1.0, 1.0, inf, 1.0, nan])  # NaN propagates
    same(lax.min(x, a(1.0, np.float32)), [0.0, -0.0, 1.0, -inf, nan])
    same(lax.div(a(1.0, np.float32), x), [inf, -inf, 0.0, -0.0, nan])
    same(lax.rem(a(1.0, np.float32), x), [nan, nan, 1.0, 1.0, nan])
    same(lax.floor(x), [0.0, -0.0, inf, -inf, nan])
    same(lax.round(x), [0.0, -0.0, inf, -inf, nan])


def test_round_ties_and_near_ties(x64):
    x = a([0.5, -0.5, 1.5, 2.5, -2.5, 0.49999999999999994, -0.3], np.float64)
    same(lax.round(x), [1.0, -1.0, 2.0, 3.0, -3.0, 0.0, -0.0])
    assert np.signbit(val(lax.round(x))[-1])
    same(lax.round(x, lax.RoundingMethod.TO_NEAREST_EVEN), [0.0, -0.0, 2.0, 2.0, -2.0, 0.0, -0.0])
    same(lax.round(x, 1), val(lax.round(x, lax.RoundingMethod.TO_NEAREST_EVEN)))
    assert lax.RoundingMethod.AWAY_FROM_ZERO == 0 and lax.RoundingMethod.TO_NEAREST_EVEN == 1


def test_nextafter():
    one = a(1.0, np.float32)
    assert float(lax.nextafter(one, a(2.0, np.float32))) == float(np.nextafter(np.float32(1), np.float32(2)))
    assert lax.nextafter(a(0.0, np.float16), a(1.0, np.float16)).dtype == np.float16


def test_complex_special_values():
    same(lax.complex(a(inf, np.float32), a(0.0, np.float32)), np.complex64(complex(inf, 0.0)))
    assert complex(lax.sqrt(a(-1 + 0j, np.complex64))) == 1j
    assert complex(lax.sign(a(3 + 4j, np.complex64))) == pytest.approx(0.6 + 0.8j)
    assert complex(lax.pow(a(0j, np.complex64), a(0j, np.complex64))) == 1


# ---------------------------------------------------------------------------
# float32 results print like XLA's (evaluated in double, rounded once)

@pytest.mark.parametrize("op,x,expected", [
    (lax.exp, 2.0, "7.389056"),        # NumPy's float32 kernel gives 7.3890557
    (lax.sin, 1.0, "0.84147096"),
    (lax.log, 3.0, "1.0986123"),
    (lax.tanh, 0.5, "0.46211717"),
    (lax.erf, 0.5, "0.5204999"),
    (lax.lgamma, 0.5, "0.5723649"),
    (lax.digamma, 1.0, "-0.5772157"),
])
def test_float32_values_print_like_xla(op, x, expected):
    out = op(np.float32(x))
    assert out.dtype == np.float32
    assert str(out) == expected


# ---------------------------------------------------------------------------
# Integer semantics (XLA's)

def test_integer_division_rounds_toward_zero():
    x = a([7, -7, 7, -7, 0], np.int32)
    y = a([2, 2, -2, -2, 3], np.int32)
    same(lax.div(x, y), [3, -3, -3, 3, 0])
    same(lax.rem(x, y), [1, -1, 1, -1, 0])  # sign of the dividend (C fmod)


def test_integer_division_overflow_like_xla():
    imin = np.iinfo(np.int32).min
    same(lax.div(a([5, -5, imin], np.int32), a([0, 0, -1], np.int32)), [-1, -1, imin])
    same(lax.rem(a([5, -5, imin], np.int32), a([0, 0, -1], np.int32)), [5, -5, 0])
    same(lax.div(a([5], np.uint8), a([0], np.uint8)), [255])
    same(lax.div(a([200], np.uint8), a([3], np.uint8)), [66])


def test_integer_wraparound():
    imin = np.iinfo(np.int32).min
    same(lax.abs(a([imin, -3], np.int32)), [imin, 3])
    same(lax.neg(a([imin], np.int32)), [imin])
    same(lax.neg(a([1], np.uint8)), [255])
    same(lax.integer_pow(a([3, -3], np.int8), 5), [-13, 13])  # 243 wraps to -13
    same(lax.square(a([16], np.int8)), [0])
    same(lax.mul(a([2 ** 30], np.int32), a([4], np.int32)), [0])
    same(lax.add(a([255], np.uint8), a([1], np.uint8)), [0])


def test_sign_of_integers():
    same(lax.sign(a([-5, 0, 7], np.int32)), [-1, 0, 1])
    same(lax.sign(a([0, 7, 255], np.uint8)), [0, 1, 1])


def test_shifts_out_of_range_like_xla():
    x = a([-8, 8, 1], np.int32)
    same(lax.shift_left(x, a([1, 31, 32], np.int32)), [-16, 0, 0])
    same(lax.shift_right_logical(x, a([1, 3, 33], np.int32)), [2 ** 31 - 4, 1, 0])
    same(lax.shift_right_arithmetic(x, a([1, 3, 40], np.int32)), [-4, 1, 0])
    same(lax.shift_right_arithmetic(a([-8, 8], np.int32), a([32, -1], np.int32)), [-1, 0])  # sign fill
    same(lax.shift_left(a([1], np.int32), a([-1], np.int32)), [0])  # negative amount: out of range
    same(lax.shift_right_logical(a([200], np.uint8), a([7], np.uint8)), [1])
    same(lax.shift_right_arithmetic(a([200], np.uint8), a([7], np.uint8)), [255])  # treated as signed


def test_bitwise_and_logical():
    same(lax.bitwise_not(a([True, False], bool)), [False, True])
    same(lax.bitwise_and(a([True, True], bool), a([True, False], bool)), [True, False])
    same(lax.bitwise_not(a([0, -1], np.int32)), [-1, 0])
    same(lax.bitwise_xor(a([6], np.uint8), a([3], np.uint8)), [5])
    same(lax.population_count(a([-1, 7, 0], np.int32)), [32, 3, 0])
    same(lax.population_count(a([-1], np.int8)), [8])


# ---------------------------------------------------------------------------
# Output dtypes and weak types

def test_output_dtypes():
    c64 = a([1 + 2j], np.complex64)
    assert lax.abs(c64).dtype == np.float32 and lax.real(c64).dtype == np.float32
    assert lax.imag(c64).dtype == np.float32 and lax.conj(c64).dtype == np.complex64
    assert lax.complex(a([1.0], np.float32), a([2.0], np.float32)).dtype == np.complex64
    assert lax.conj(a([1.0], np.float32)).dtype == np.complex64
    assert lax.is_finite(a([1.0], np.float16)).dtype == bool
    assert lax.pow(a([2.0], np.float32), a([3], np.int32)).dtype == np.float32
    assert lax.exp(a([1.0], np.float16)).dtype == np.float16
    assert lax.eq(a([1], np.int32), a([1], np.int32)).dtype == bool


def test_weak_types():
    assert lax.add(1.0, 2.0).weak_type and lax.sin(1.0).weak_type
    assert lax.add(1, 2).dtype == np.int32 and lax.add(1, 2).weak_type
    x = a(1.0, np.float32)
    assert not lax.add(x, 2.0).weak_type
    # bool outputs are weak for weak operands too, as in JAX 0.10.2
    assert lax.lt(1.0, 2.0).weak_type and lax.is_finite(1.0).weak_type
    assert not lax.lt(x, 2.0).weak_type and not lax.is_finite(x).weak_type
    assert lax.abs(1 + 1j).weak_type and lax.abs(1 + 1j).dtype == np.float32
    assert lax.pow(2.0, 3).weak_type
    # staged and eager agree
    assert make_jaxpr(lambda x, y: lax.lt(x, y))(1.0, 2.0).out_avals[0].weak_type is True


def test_python_scalar_takes_the_array_dtype():
    x = a([1, 2], np.int8)
    assert lax.add(x, 3).dtype == np.int8
    h = a([1.0], np.float16)
    assert lax.mul(2.0, h).dtype == np.float16
    assert lax.clamp(0.0, h, 1.0).dtype == np.float16


# ---------------------------------------------------------------------------
# Complex conventions

def test_complex_jvps_are_holomorphic(x64):
    z = a(0.3 + 0.4j, np.complex128)
    t = a(1.0 + 0.0j, np.complex128)
    for op, d in [(lax.exp, np.exp), (lax.sin, np.cos), (lax.log, lambda z: 1 / z),
                  (lax.sqrt, lambda z: 0.5 / np.sqrt(z)), (lax.tanh, lambda z: 1 - np.tanh(z) ** 2)]:
        _, dz = jvp(op, (z,), (t,))
        assert complex(dz) == pytest.approx(complex(d(0.3 + 0.4j)))
    assert complex(grad(lax.sin, holomorphic=True)(z)) == pytest.approx(np.cos(0.3 + 0.4j))


def test_complex_linear_transposes_follow_jax(x64):
    ct = a(2.0 + 3.0j, np.complex128)
    z = a(1.0 + 1.0j, np.complex128)
    assert complex(vjp(lax.conj, z)[1](ct)[0]) == 2.0 - 3.0j
    assert complex(vjp(lax.real, z)[1](a(2.0, np.float64))[0]) == 2.0
    assert complex(vjp(lax.imag, z)[1](a(2.0, np.float64))[0]) == -2.0j
    gx, gy = vjp(lax.complex, a(1.0, np.float64), a(2.0, np.float64))[1](ct)
    assert (float(gx), float(gy)) == (2.0, -3.0)
    assert complex(vjp(lax.conj, a(1.0, np.float64))[1](ct)[0]) == 2.0
    # JAX's convention for a real function of z: grad(|z|^2) = 2 conj(z)
    g = grad(lambda z: lax.square(lax.abs(z)))(z)
    assert complex(g) == pytest.approx(2.0 - 2.0j)
