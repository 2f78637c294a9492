"""jnp.diff, ediff1d, trapezoid, array_equal/equiv, gcd, lcm, cross, interp, convolve,
correlate, polyval, logspace, geomspace, frexp, modf, spacing, i0 and lax.clz.

Expected values are JAX 0.10.2's (run with jax_enable_x64 off unless marked), hard-coded
so the suite needs no JAX. Where XLA's fused arithmetic (FMA, approximate rsqrt, its own
exp/log) rounds differently, purejax is checked to a few ulp instead of bit for bit.
"""
import math

import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax import lax
from purejax.test_util import check_grads

inf, nan = np.inf, np.nan


def _same(out, expected, dtype, weak=False):
    assert out.dtype == np.dtype(dtype), out.dtype
    assert out.weak_type == weak
    np.testing.assert_array_equal(np.asarray(out), np.asarray(expected, dtype))
    # signs of zeros too
    exp = np.asarray(expected, dtype)
    if exp.dtype.kind == "f":
        zeros = exp == 0
        np.testing.assert_array_equal(np.signbit(np.asarray(out))[zeros], np.signbit(exp)[zeros])


# ---------------------------------------------------------------------------
# diff, ediff1d, trapezoid

def test_diff_values_and_options():
    x = jnp.array([1., 2, 4, 7, 0])
    _same(jnp.diff(x), [1, 2, 3, -7], np.float32)
    _same(jnp.diff(x, n=2), [1, 1, -10], np.float32)
    _same(jnp.diff(jnp.array([1., 2, 4]), n=5), np.zeros(0), np.float32)
    m = jnp.array([[1, 2, 4], [3, 9, 27]])
    _same(jnp.diff(m, axis=0), [[2, 7, 23]], np.int32)
    _same(jnp.diff(m, prepend=0, append=jnp.array([[5], [6]])),
          [[1, 1, 2, 1], [3, 6, 18, -21]], np.int32)
    # JAX 0.10.2: bool uses !=; uint8 wraps; a float prepend promotes (weak)
    _same(jnp.diff(jnp.array([True, False, False])), [True, False], np.bool_)
    _same(jnp.diff(jnp.array([1, 2, 4], dtype="uint8"), prepend=5), [252, 1, 2], np.uint8)
    _same(jnp.diff(jnp.array([1, 2, 4], dtype="int8"), prepend=5.), [-4, 1, 2], np.float32,
          weak=True)
    _same(jnp.diff(3., n=0), 3., np.float32, weak=True)


def test_diff_errors():
    with pytest.raises(ValueError, match="at least one dimensional"):
        jnp.diff(jnp.array(1.))
    with pytest.raises(ValueError, match="non-negative"):
        jnp.diff(jnp.array([1., 2.]), n=-1)
    with pytest.raises(TypeError):
        jnp.diff([1, 2, 3])


def test_diff_transforms():
    x = jnp.array([1., 4., 9., 3.])
    _same(jax.jit(lambda a: jnp.diff(a, n=2, prepend=1.))(x), [3, 2, -11], np.float32)
    _same(jax.vmap(jnp.diff)(jnp.arange(6.).reshape(2, 3) ** 2), [[1, 3], [7, 9]], np.float32)
    check_grads(lambda a: jnp.diff(a, n=2, append=2.), (x,), order=2)


def test_ediff1d():
    _same(jnp.ediff1d(jnp.array([1, 2, 4]), to_begin=-1.5, to_end=jnp.array([7, 8])),
          [-1, 1, 2, 7, 8], np.int32)
    _same(jnp.ediff1d(jnp.array([[1, 2], [4, 8.]])), [1, 2, 4], np.float32)
    with pytest.raises(TypeError):
        jnp.ediff1d(jnp.array([True, False]))
    check_grads(lambda a: jnp.ediff1d(a, to_begin=a[0]), (jnp.array([1., 4., 9.]),), order=2)


def test_trapezoid():
    _same(jnp.trapezoid(jnp.array([1, 2, 3])), 4., np.float32)
    _same(jnp.trapezoid(jnp.array([1., 2., 3.]), x=jnp.array([0., 1., 3.])), 6.5, np.float32)
    _same(jnp.trapezoid(jnp.arange(12.).reshape(3, 4), axis=0), [8, 10, 12, 14], np.float32)
    _same(jnp.trapezoid(jnp.arange(12.).reshape(3, 4), dx=jnp.array([1., 2., 3.])),
          [11, 35, 59], np.float32)
    _same(jnp.trapezoid(jnp.array([1., 2.]), dx=2), 3., np.float32)
    y, x = jnp.array([1., 2., 4.]), jnp.array([0., 1., 3.])
    check_grads(jnp.trapezoid, (y, x), order=2)


# ---------------------------------------------------------------------------
# array_equal, array_equiv

def test_array_equal_and_equiv():
    a = jnp.array([1., nan])
    _same(jnp.array_equal(a, a), False, np.bool_)
    _same(jnp.array_equal(a, a, equal_nan=True), True, np.bool_)
    _same(jnp.array_equal([1, 2], [1, 2, 3]), False, np.bool_)
    _same(jnp.array_equal(jnp.array([1, 2]), [1, 2]), True, np.bool_)
    _same(jnp.array_equal(jnp.array([1, 2]), jnp.array([[1, 2]])), False, np.bool_)
    _same(jnp.array_equal(0., -0.), True, np.bool_)
    _same(jnp.array_equiv(jnp.array([1, 2]), jnp.array([[1, 2], [1, 2]])), True, np.bool_)
    _same(jnp.array_equiv([1, 2], [1, 3]), False, np.bool_)
    # JAX 0.10.2 raises (not False) for shapes that do not broadcast
    with pytest.raises(TypeError):
        jnp.array_equiv(jnp.array([1, 2]), jnp.array([1, 2, 3]))
    out = jax.vmap(jnp.array_equal)(jnp.array([[1., 2.], [3, 4]]), jnp.array([[1., 2.], [3, 5]]))
    _same(out, [True, False], np.bool_)


# ---------------------------------------------------------------------------
# gcd, lcm

def test_gcd_lcm():
    _same(jnp.gcd(12, 18), 6, np.int32, weak=True)
    _same(jnp.gcd(jnp.array([12, -18, 0, 0]), jnp.array([18, 12, 5, 0])), [6, 6, 5, 0], np.int32)
    _same(jnp.gcd(jnp.array([[12], [7]], "int16"), jnp.array([8, 21, 0], "int16")),
          [[4, 3, 12], [1, 7, 7]], np.int16)
    _same(jnp.lcm(jnp.array([4, -6, 0, 0], dtype="int8"), 6), [12, 6, 0, 0], np.int8)
    with pytest.raises(ValueError, match="must be integers"):
        jnp.gcd(12., 18)
    with pytest.raises(ValueError, match="must be integers"):
        jnp.lcm(True, True)
    _same(jax.vmap(jnp.gcd)(jnp.array([12, 7, 0]), jnp.array([18, 21, 5])), [6, 7, 5], np.int32)
    _same(jax.jit(jnp.lcm)(jnp.array([12, 7]), jnp.array([18, 21])), [36, 21], np.int32)


# ---------------------------------------------------------------------------
# cross

def test_cross():
    a, b = jnp.array([1., 2., 3.]), jnp.array([4., 5., 6.])
    _same(jnp.cross(a, b), [-3, 6, -3], np.float32)
    _same(jnp.cross(jnp.array([1., 2.]), jnp.array([4., 5.])), -3., np.float32)
    _same(jnp.cross(jnp.array([1., 2.]), b), [12, -6, -3], np.float32)
    m = jnp.arange(12.).reshape(3, 4)
    _same(jnp.cross(m, m[::-1], axis=0),
          [[-32, -40, -48, -56], [64, 80, 96, 112], [-32, -40, -48, -56]], np.float32)
    _same(jnp.cross(jnp.arange(8.).reshape(4, 2), jnp.arange(12.).reshape(4, 3), axisc=0),
          [[2, 15, 40, 77], [0, -10, -32, -66], [0, -1, -2, -3]], np.float32)
    with pytest.raises(ValueError, match="2 or 3"):
        jnp.cross(jnp.ones(4), jnp.ones(4))
    check_grads(jnp.cross, (a, b), order=2)


# ---------------------------------------------------------------------------
# interp

def test_interp_values():
    xp, fp = jnp.array([0., 1., 2., 3.]), jnp.array([0., 10., 5., 1.])
    x = jnp.array([0., 0.5, 1.5, 2.5, 3., -1., nan])
    _same(jnp.interp(x, xp, fp), [0, 5, 7.5, 3, 1, 0, nan], np.float32)
    _same(jnp.interp(jnp.array([-1., 4.]), xp, fp, left=-5., right=99), [-5, 99], np.float32)
    _same(jnp.interp(jnp.array([-1., 4.]), xp, fp, left="extrapolate", right="extrapolate"),
          [-10, -3], np.float32)
    # period: unsorted xp is sorted first (JAX 0.10.2's values)
    out = jnp.interp(jnp.array([-1., 0.5, 4., 370., -190.]), jnp.array([270., 0., 180., 90.]),
                     fp, period=360)
    _same(out, [9.888888359069824, 9.949999809265137, 9.600000381469727, 9.0,
                4.55555534362793], np.float32)
    # unsorted xp without period: JAX's binary search, not a count
    _same(jnp.interp(jnp.array([0.5, 1.0, 2.5]), jnp.array([3., 1., 0., 2.]),
                     jnp.array([0., 10., 20., 5.])), [0, 0, 5], np.float32)
    _same(jnp.interp(1, jnp.array([0, 1, 2]), jnp.array([0, 10, 5])), 10., np.float32)
    with pytest.raises(ValueError, match="equal size"):
        jnp.interp(jnp.array([0.5]), xp, fp[:2])
    with pytest.raises(ValueError, match="extrapolate"):
        jnp.interp(jnp.array([0.5]), xp, fp, left="foo")
    with pytest.raises(ValueError, match="complex"):
        jnp.interp(jnp.array([0.5 + 1j]), xp, fp)


def test_interp_transforms():
    xp, fp = jnp.array([0., 1., 2.]), jnp.array([0., 10., 5.])
    _same(jax.jit(jnp.interp)(jnp.array([0.5, 1.5]), xp, fp), [5, 7.5], np.float32)
    out = jax.vmap(jnp.interp, in_axes=(None, 0, 0))(
        jnp.array([0.5, 1.5]), jnp.array([[0., 1., 2.], [0., 2., 4.]]),
        jnp.array([[0., 10., 5.], [1., 2., 3.]]))
    _same(out, [[5, 7.5], [1.25, 1.75]], np.float32)
    assert float(jax.grad(lambda x: jnp.interp(x, xp, fp))(0.5)) == 10.
    assert float(jax.grad(lambda x: jnp.interp(x, xp, fp))(-1.)) == 0.
    # repeated abscissae: no NaN gradient (JAX 0.10.2 gives -15)
    g = jax.grad(lambda x: jnp.interp(x, jnp.array([0., 1., 1., 2.]),
                                      jnp.array([0., 10., 20., 5.])))(1.)
    assert float(g) == -15.
    check_grads(lambda f: jnp.interp(jnp.array([0.5, 1.2, 3.]), xp, f), (fp,), order=2)
    check_grads(lambda x: jnp.interp(x, xp, fp), (jnp.array([0.3, 1.7]),), order=2)


# ---------------------------------------------------------------------------
# convolve, correlate

def test_convolve_correlate_modes():
    x, y = jnp.array([1, 2, 3, 2, 1]), jnp.array([4, 1, 2])
    _same(jnp.convolve(x, y), [4, 9, 16, 15, 12, 5, 2], np.float32)
    _same(jnp.convolve(x, y, mode="same"), [9, 16, 15, 12, 5], np.float32)
    _same(jnp.convolve(x, y, mode="valid"), [16, 15, 12], np.float32)
    _same(jnp.convolve(y, x, mode="same"), [9, 16, 15, 12, 5], np.float32)
    _same(jnp.convolve(jnp.array([4, 1, 2, 5]), jnp.array([1, 2, 3, 2, 1, 7]), mode="same"),
          [9, 16, 20, 22, 48, 19], np.float32)
    v = jnp.array([4, 5, 6])
    _same(jnp.correlate(x, v), [32, 35, 28], np.float32)
    _same(jnp.correlate(x, v, mode="full"), [6, 17, 32, 35, 28, 13, 4], np.float32)
    _same(jnp.correlate(v, x, mode="full"), [4, 13, 28, 35, 32, 17, 6], np.float32)
    _same(jnp.correlate(v, x, mode="same"), [13, 28, 35, 32, 17], np.float32)


def test_convolve_correlate_complex_and_dtypes():
    # JAX 0.10.2: correlate conjugates v, and reverses when a is the shorter input
    _same(jnp.convolve(jnp.array([3 + 1j, 2, 4 - 3j]), jnp.array([1, 2 - 3j, 4 + 5j])),
          [3 + 1j, 11 - 7j, 15 + 10j, 7 - 8j, 31 + 8j], np.complex64)
    _same(jnp.correlate(jnp.array([3 + 1j, 2, 2 - 3j]), jnp.array([4, 2 - 5j, 1]), mode="full"),
          [3 + 1j, 3 + 17j, 18 + 11j, 27 + 4j, 8 - 12j], np.complex64)
    _same(jnp.correlate(jnp.array([4, 2 - 5j, 1]), jnp.array([3 + 1j, 2, 2 - 3j, 1j]),
                        mode="full"), [-4j, 3 + 10j, 27 - 5j, 18 - 11j, 3 - 17j, 3 - 1j],
          np.complex64)
    _same(jnp.convolve(jnp.array([1, 2, 3], "int8"), jnp.array([1, 1], "int8"),
                       preferred_element_type="int16"), [1, 3, 5, 3], np.int16)
    _same(jnp.convolve(jnp.array([1., 2., 3.]), jnp.array([1., 1.]), precision="highest"),
          [1, 3, 5, 3], np.float32)
    with pytest.raises(ValueError, match="mode"):
        jnp.convolve(jnp.array([1., 2.]), jnp.array([1.]), mode="bad")
    with pytest.raises(ValueError, match="empty"):
        jnp.convolve(jnp.array([1., 2.]), jnp.array([]))
    with pytest.raises(ValueError, match="1-dimensional"):
        jnp.correlate(jnp.ones((1, 2)), jnp.array([1.]))


def test_convolve_transforms():
    a, v = jnp.array([1., 2., 3.]), jnp.array([0., 1., 0.5])
    _same(jax.jit(jnp.convolve)(a, v), [0, 1, 2.5, 4, 1.5], np.float32)
    _same(jax.vmap(jnp.convolve)(jnp.array([[1., 2., 3.], [4, 5, 6]]),
                                 jnp.array([[0., 1.], [1, 1]])),
          [[0, 1, 2, 3], [4, 9, 11, 6]], np.float32)
    check_grads(lambda a, v: jnp.convolve(a, v), (a, v), order=2)
    check_grads(lambda a, v: jnp.correlate(a, v, mode="same"), (a, jnp.array([0., 1., .5, 2.])),
                order=2)


# ---------------------------------------------------------------------------
# polyval

def test_polyval():
    _same(jnp.polyval(jnp.array([1., 2., 3.]), jnp.array([0., 1., 2., -1.5])),
          [3, 6, 11, 2.25], np.float32)
    _same(jnp.polyval(jnp.array([1, 2, 3]), 2), 11, np.int32)
    _same(jnp.polyval(jnp.array([1, 2, 3]), 2.), 11., np.float32)
    _same(jnp.polyval(jnp.array([1, 2, 3], "int8"), jnp.array([1, 2], "int8")), [6, 11], np.int8)
    _same(jnp.polyval(jnp.array([]), jnp.array([1., 2.])), [0, 0], np.float32)
    _same(jnp.polyval(jnp.array([[1., 2.], [3., 4.]]), jnp.array([[1.], [2.], [3.]])),
          [[4, 6], [5, 8], [6, 10]], np.float32)
    _same(jnp.polyval(jnp.array([1., 2., 3.]), jnp.array([1., 2.]), unroll=1), [6, 11],
          np.float32)
    with pytest.raises(TypeError):
        jnp.polyval([1, 2], 2)
    _same(jax.vmap(jnp.polyval, in_axes=(0, None))(jnp.array([[1., 2., 3.], [4., 5., 6.]]),
                                                   jnp.array([0.5, 2.])),
          [[4.25, 11], [9.5, 32]], np.float32)
    check_grads(jnp.polyval, (jnp.array([1., 2., 3.]), jnp.array([0.5, 2.])), order=2)


# ---------------------------------------------------------------------------
# logspace, geomspace

def test_logspace():
    _same(jnp.logspace(0., 3., 4), [1, 10, 100, 1000], np.float32)
    # JAX 0.10.2's float32 values, bit for bit
    _same(jnp.logspace(-2., 5., 8), [0.009999999776482582, 0.10000000149011612, 1.0,
                                     10.00000286102295, 100.0, 1000.0, 10000.0, 100000.0],
          np.float32)
    _same(jnp.logspace(0., 3., 7, base=2.5, endpoint=False),
          [1.0, 1.4809682369232178, 2.1932668685913086, 3.2481584548950195,
           4.810419082641602, 7.124077796936035, 10.550532341003418], np.float32)
    _same(jnp.logspace(jnp.array([0., 1.]), jnp.array([3., 5.]), 3, axis=1),
          [[1, 31.622776, 1000], [10, 1000, 100000]], np.float32)
    _same(jnp.logspace(0., 3., 4, dtype="int32"), [1, 10, 100, 1000], np.int32)
    _same(jnp.logspace(0., 3., 0), np.zeros(0), np.float32)
    g = jax.grad(lambda a: jnp.logspace(0., a, 4, base=2.).sum())(2.)
    np.testing.assert_allclose(float(g), 4.3037705, rtol=1e-6)


def test_geomspace():
    # XLA fuses log10 into linspace; purejax agrees to a few ulp (JAX 0.10.2's values)
    np.testing.assert_allclose(
        np.asarray(jnp.geomspace(1., 256., 9)),
        [1.0, 2.0, 4.000000476837158, 8.0, 16.000001907348633, 32.00000762939453,
         64.00000762939453, 128.00006103515625, 256.00006103515625], rtol=4e-7)
    out = jnp.geomspace(-2., -2000., 4)
    assert out.dtype == np.float32 and not out.weak_type
    np.testing.assert_allclose(np.asarray(out), [-2, -20, -200, -2000], rtol=1e-6)
    out = jnp.geomspace(jnp.array([1., 2.]), jnp.array([100., 1000.]), 3, axis=-1)
    np.testing.assert_allclose(np.asarray(out), [[1, 10, 100], [2, 44.721355, 1000]], rtol=1e-6)
    assert np.isnan(np.asarray(jnp.geomspace(1., -1000., 4))).all()
    _same(jnp.geomspace(1., 1000., 4, dtype="int32")[::3], [1, 1000], np.int32)
    check_grads(lambda a: jnp.geomspace(1., a, 4), (jnp.array(8.),), order=1)


# ---------------------------------------------------------------------------
# frexp, modf, spacing, i0

def test_frexp():
    x = jnp.array([0., -0., 1., 8., -3.5, inf, nan, 1e-40, 0.1, 3.4028235e38])
    m, e = jnp.frexp(x)
    # JAX 0.10.2 (XLA flushes the subnormal 1e-40 to zero before splitting it)
    _same(m, [0.0, -0.0, 0.5, 0.5, -0.875, inf, nan, 0.5, 0.800000011920929,
              0.9999999403953552], np.float32)
    _same(e, [0, 0, 1, 4, 2, 0, 0, -149, -3, 128], np.int32)
    m, e = jnp.frexp(3)
    _same(m, 0.75, np.float32)
    _same(e, 2, np.int32)
    m, e = jnp.frexp(jnp.array([6e-8, -1e-5, 65504.], "float16"))  # float16: exact
    _same(m, [0.5, -0.6562, 0.9995], np.float16)
    _same(e, [-23, -16, 16], np.int32)
    powers = np.ldexp(np.float32(0.99999994), np.arange(-125, 128)).astype(np.float32)
    m, e = jnp.frexp(powers)
    _same(m, np.full(powers.shape, 0.99999994), np.float32)
    _same(e, np.arange(-125, 128), np.int32)
    with pytest.raises(TypeError):
        jnp.frexp(jnp.array([1 + 1j]))


def test_frexp_transforms():
    x = jnp.array([0., 3., -0.1, 5.])
    (m, e), (m_dot, e_dot) = jax.jvp(jnp.frexp, (x,), (jnp.ones(4),))
    _same(m_dot, [1, 0.25, 8, 0.125], np.float32)
    assert e_dot.dtype == jax.dtypes.float0
    m, e = jax.vmap(jnp.frexp)(x)
    _same(e, [0, 2, -3, 3], np.int32)
    check_grads(lambda x: jnp.frexp(x)[0], (jnp.array([3., -0.1, 5.]),), order=2)


def test_modf():
    frac, whole = jnp.modf(jnp.array([0., -0., 1.5, -2.5, inf, -inf, nan]))
    _same(frac, [0., 0., 0.5, -0.5, nan, nan, nan], np.float32)
    _same(whole, [0., -0., 1., -2., inf, -inf, nan], np.float32)
    frac, whole = jnp.modf(3.5)
    _same(frac, 0.5, np.float32, weak=True)
    _same(whole, 3., np.float32, weak=True)
    with pytest.raises(NotImplementedError):
        jnp.modf(1., out=np.zeros(()))
    check_grads(lambda x: jnp.modf(x)[0], (jnp.array([3.5, -0.25]),), order=2)


def test_spacing():
    out = jnp.spacing(jnp.array([0., -0., 1., -1., inf, 3e38]))
    _same(out, [1.401298464324817e-45, -1.401298464324817e-45, 1.1920928955078125e-07,
                -1.1920928955078125e-07, nan, 2.028240960365167e+31], np.float32)
    _same(jnp.spacing(1), 1.1920929e-07, np.float32)
    _same(jnp.spacing(jnp.array([0., 1., -1., 65504.], "float16")),
          [5.960e-08, 9.766e-04, 4.883e-04, inf], np.float16)
    with pytest.raises(ValueError, match="complex"):
        jnp.spacing(jnp.array([1j]))


def test_i0():
    out = jnp.i0(jnp.array([0., 1., -2.5, 8., 10., 30., inf]))
    # JAX 0.10.2 (its i0(0) is 1.0000001 in float32, from bessel_i0e's series)
    _same(out, [1.0000001192092896, 1.2660659551620483, 3.289839506149292, 427.5641784667969,
                2815.716552734375, 781672185856.0, nan], np.float32)
    _same(jnp.i0(1), 1.266066, np.float32, weak=True)
    _same(jnp.i0(True), 1.266066, np.float32)
    with pytest.raises(ValueError, match="complex64"):
        jnp.i0(jnp.array([1 + 1j]))
    assert float(jax.grad(jnp.i0)(0.)) == 0.
    np.testing.assert_allclose(float(jax.grad(jnp.i0)(2.)), 1.5906367, rtol=1e-6)
    assert np.isfinite(float(jax.grad(jax.grad(jnp.i0))(0.)))
    check_grads(jnp.i0, (jnp.array([0.5, -2.5, 7.5, 9., 20.]),), order=2, rtol=2e-2)


# ---------------------------------------------------------------------------
# lax.clz

def test_clz():
    _same(lax.clz(jnp.array([0, 1, 2, 255, -1, -2147483648, 2147483647], "int32")),
          [32, 31, 30, 24, 0, 0, 1], np.int32)
    _same(lax.clz(jnp.array([0, 1, 127, -1, -128], "int8")), [8, 7, 1, 0, 0], np.int8)
    _same(lax.clz(jnp.array([0, 1, 255, 128], "uint8")), [8, 7, 0, 0], np.uint8)
    _same(lax.clz(jnp.array([0, 1, 65535, 4294967295], "uint32")), [32, 31, 16, 0], np.uint32)
    _same(lax.clz(5), 29, np.int32, weak=True)
    with pytest.raises(TypeError):
        lax.clz(jnp.array([True]))
    with pytest.raises(TypeError):
        lax.clz(jnp.array([1.]))
    _same(jax.jit(lax.clz)(jnp.array([1, 2, 0])), [31, 30, 32], np.int32)
    _same(jax.vmap(lax.clz)(jnp.array([1, 2, 0])), [31, 30, 32], np.int32)
    assert "clz" in str(jax.make_jaxpr(lax.clz)(jnp.array([1])))


def test_x64_values():
    """Run in a separate process: float64 paths (frexp of float64 subnormals, i0's longer
    series, int64 clz)."""
    import subprocess
    import sys
    code = """
import numpy as np, purejax as jax, purejax.numpy as jnp
from purejax import lax
jax.config.update('jax_enable_x64', True)
m, e = jnp.frexp(jnp.array([-1e-310, 5e-324, 1.7e308, 2.2250738585072014e-308, 0.1]))
assert m.dtype == np.float64 and e.dtype == np.int32
assert np.asarray(m).tolist() == [-0.5, 0.5, 0.9456563898655606, 0.5, 0.8], m
assert np.asarray(e).tolist() == [-1074, -1074, 1024, -1021, -3], e
out = jnp.i0(jnp.array([0., 1., 8.5, 700.]))
np.testing.assert_allclose(np.asarray(out), [1.0, 1.2660658777520084, 683.1619269901154,
                                             1.5295933476718735e+302], rtol=1e-14)
assert np.asarray(lax.clz(jnp.array([0, 1, -1, 2**40]))).tolist() == [64, 63, 0, 23]
assert np.asarray(jnp.logspace(0., 3., 4)).tolist() == [1.0, 10.0, 100.0, 1000.0]
assert jnp.polyval(jnp.array([1, 2, 3]), 2).dtype == np.int64
print('ok')
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0 and "ok" in res.stdout, res.stderr[-2000:]


def test_math_sanity():
    # the integer part of modf and the gcd loop agree with Python's math on a grid
    xs = np.linspace(-5, 5, 41, dtype=np.float32)
    frac, whole = jnp.modf(jnp.asarray(xs))
    np.testing.assert_array_equal(np.asarray(whole), np.trunc(xs))
    a = np.arange(-20, 21)
    np.testing.assert_array_equal(np.asarray(jnp.gcd(jnp.asarray(a), 12)),
                                  [math.gcd(int(v), 12) for v in a])
