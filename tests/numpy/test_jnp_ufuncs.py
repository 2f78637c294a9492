"""Elementwise jnp functions: values against NumPy on typical and edge inputs, result
dtypes, and derivatives (check_grads in float64)."""
import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
import purejax._src.lax as _lax
from purejax.test_util import check_grads



def _close(got, expected, rtol=2e-6, atol=1e-6):
    got = np.asarray(got)
    expected = np.asarray(expected)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)


REALS = np.array([-2.5, -1.0, -0.5, 0.0, 0.3, 1.0, 2.5], np.float32)
UNIT = np.array([-0.9, -0.5, 0.0, 0.25, 0.8], np.float32)
POS = np.array([0.1, 0.5, 1.0, 2.0, 7.5], np.float32)
EDGE = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 1e30, -1e-30], np.float32)

# name, NumPy reference, domain
UNARY = [
    ("sin", np.sin, REALS), ("cos", np.cos, REALS), ("tan", np.tan, UNIT),
    ("arcsin", np.arcsin, UNIT), ("arccos", np.arccos, UNIT), ("arctan", np.arctan, REALS),
    ("sinh", np.sinh, REALS), ("cosh", np.cosh, REALS), ("tanh", np.tanh, REALS),
    ("arcsinh", np.arcsinh, REALS), ("arccosh", np.arccosh, POS + 1),
    ("arctanh", np.arctanh, UNIT), ("exp", np.exp, REALS), ("exp2", np.exp2, REALS),
    ("log", np.log, POS), ("log2", np.log2, POS), ("log10", np.log10, POS),
    ("log1p", np.log1p, UNIT), ("expm1", np.expm1, REALS), ("sqrt", np.sqrt, POS),
    ("cbrt", np.cbrt, REALS), ("square", np.square, REALS), ("abs", np.abs, REALS),
    ("absolute", np.absolute, REALS), ("fabs", np.fabs, REALS), ("sign", np.sign, REALS),
    ("negative", np.negative, REALS), ("positive", np.positive, REALS),
    ("reciprocal", np.reciprocal, POS), ("deg2rad", np.deg2rad, REALS),
    ("rad2deg", np.rad2deg, REALS), ("degrees", np.degrees, REALS),
    ("radians", np.radians, REALS), ("sinc", np.sinc, REALS),
]


@pytest.mark.parametrize("name, ref, domain", UNARY, ids=[u[0] for u in UNARY])
def test_unary_values(name, ref, domain):
    got = getattr(jnp, name)(jnp.array(domain))
    assert got.dtype == np.float32
    _close(got, ref(domain.astype(np.float64)), rtol=3e-6, atol=2e-6)


@pytest.mark.parametrize("name, ref", [
    ("sin", np.sin), ("exp", np.exp), ("log", np.log), ("sqrt", np.sqrt), ("abs", np.abs),
    ("sign", np.sign), ("tanh", np.tanh), ("cbrt", np.cbrt), ("expm1", np.expm1),
    ("log1p", np.log1p), ("square", np.square), ("negative", np.negative),
    ("floor", np.floor), ("ceil", np.ceil), ("trunc", np.trunc), ("rint", np.rint),
    ("arctan", np.arctan),
])
def test_unary_edge_values(name, ref):
    with np.errstate(all="ignore"):
        expected = ref(EDGE)
    _close(getattr(jnp, name)(jnp.array(EDGE)), expected)


def test_integer_inputs_become_float():
    for name in ("sin", "exp", "log", "sqrt", "log2", "arctan", "reciprocal", "deg2rad"):
        out = getattr(jnp, name)(jnp.array([1, 2, 4]))
        assert out.dtype == np.float32, name
    assert jnp.sin(True).dtype == np.float32
    assert jnp.sin(jnp.array([1], jnp.int8)).dtype == np.float32
    assert jnp.sqrt(jnp.array([1.], jnp.float16)).dtype == np.float16


def test_dtype_preserving_unary():
    i = jnp.array([-3, 0, 4])
    for name in ("abs", "negative", "sign", "square", "floor", "ceil", "trunc", "fix",
                 "positive", "round"):
        out = getattr(jnp, name)(i)
        assert out.dtype == np.int32, name
        _close(out, getattr(np, name)(np.array([-3, 0, 4])))
    u = jnp.array([1, 2], jnp.uint8)
    assert jnp.abs(u).dtype == np.uint8
    assert jnp.abs(jnp.array([True])).dtype == np.bool_
    assert jnp.abs(jnp.array([3 + 4j])).dtype == np.float32
    _close(jnp.abs(jnp.array([3 + 4j])), [5.0])
    assert jnp.square(jnp.array([True, False])).dtype == np.int32


@pytest.mark.parametrize("decimals", [0, 1, 2, -1])
def test_round_half_to_even(decimals):
    x = np.array([0.5, 1.5, 2.5, -0.5, -2.5, 1.25, 12.345, -7.55, 350.], np.float32)
    _close(jnp.round(x, decimals), np.round(x, decimals), rtol=1e-5)
    _close(jnp.around(x, decimals), np.round(x, decimals), rtol=1e-5)
    _close(jnp.rint(x), np.rint(x))
    _close(jnp.fix(x), np.fix(x))
    _close(jnp.trunc(x), np.trunc(x))
    assert jnp.round(jnp.array([1, 2])).dtype == np.int32


def _pairs():
    a = np.array([-7.5, -3.0, -1.0, 0.0, 0.5, 3.0, 7.5, -2.0], np.float32)
    b = np.array([2.0, -2.0, 3.0, 1.5, -0.25, 3.0, -4.0, -2.0], np.float32)
    return a, b


BINARY = [
    ("add", np.add), ("subtract", np.subtract), ("multiply", np.multiply),
    ("divide", np.divide), ("true_divide", np.true_divide), ("floor_divide", np.floor_divide),
    ("remainder", np.remainder), ("mod", np.mod), ("fmod", np.fmod),
    ("maximum", np.maximum), ("minimum", np.minimum), ("fmax", np.fmax), ("fmin", np.fmin),
    ("arctan2", np.arctan2), ("hypot", np.hypot), ("copysign", np.copysign),
    ("logaddexp", np.logaddexp), ("logaddexp2", np.logaddexp2), ("heaviside", np.heaviside),
    ("equal", np.equal), ("not_equal", np.not_equal), ("less", np.less),
    ("less_equal", np.less_equal), ("greater", np.greater),
    ("greater_equal", np.greater_equal), ("float_power", np.float_power),
    ("nextafter", np.nextafter),
]


@pytest.mark.parametrize("name, ref", BINARY, ids=[b[0] for b in BINARY])
def test_binary_values(name, ref):
    a, b = _pairs()
    if name == "float_power":
        a = np.abs(a) + 0.5
    got = getattr(jnp, name)(jnp.array(a), jnp.array(b))
    exp = ref(a, b) if name == "nextafter" else ref(a.astype(np.float64), b.astype(np.float64))
    _close(got, exp, rtol=3e-6)
    _close(getattr(jnp, name)(a[:1], b), ref(a[:1], b), rtol=3e-6)  # broadcasting


def test_binary_nan_inf_edges():
    a = np.array([np.nan, 1.0, np.inf, -np.inf, np.inf, 0.0, -0.0], np.float32)
    b = np.array([1.0, np.nan, np.inf, np.inf, -np.inf, -0.0, 0.0], np.float32)
    with np.errstate(all="ignore"):
        for name in ("maximum", "minimum", "fmax", "fmin", "hypot", "logaddexp",
                     "logaddexp2", "copysign", "arctan2", "add", "multiply", "heaviside"):
            _close(getattr(jnp, name)(a, b), getattr(np, name)(a, b))
    assert np.isneginf(float(jnp.logaddexp(-np.inf, -np.inf)))
    assert float(jnp.logaddexp(1e4, 1e4)) == pytest.approx(1e4 + np.log(2))
    _close(jnp.logaddexp(np.float32(-1e4), np.float32(0.)), 0.0)


@pytest.mark.parametrize("dtype", [np.int32, np.int8, np.uint8])
def test_integer_division_semantics(dtype):
    a = np.array([7, -7, 7, -7, 0, 5, -6], dtype=np.int64)
    b = np.array([2, 2, -2, -2, 3, 1, 4], dtype=np.int64)
    if dtype == np.uint8:
        a, b = np.abs(a), np.abs(b)
    a, b = a.astype(dtype), b.astype(dtype)
    for name in ("floor_divide", "remainder", "fmod"):
        got = getattr(jnp, name)(jnp.array(a), jnp.array(b))
        assert got.dtype == dtype
        _close(got, getattr(np, name)(a, b))
    q, r = jnp.divmod(jnp.array(a), jnp.array(b))
    nq, nr = np.divmod(a, b)
    _close(q, nq)
    _close(r, nr)
    # division by zero does not crash; remainder by zero is x mod 1 (JAX's choice)
    assert jnp.remainder(jnp.array([5], dtype), jnp.array([0], dtype)).dtype == dtype


def test_float_divmod():
    a, b = _pairs()
    q, r = jnp.divmod(a, b)
    nq, nr = np.divmod(a, b)
    _close(q, nq)
    _close(r, nr, atol=1e-5)
    assert jnp.true_divide(jnp.array([1, 2]), 2).dtype == np.float32


def test_float_floor_divide_and_divmod_by_zero_match_numpy():
    """x // +-0 is +-inf (NaN for 0 // 0), as NumPy and JAX give; the remainder is NaN."""
    a = np.array([0.5, -0.5, 100.0, -3.0, 0.0, np.inf, 2.0, 7.0], np.float32)
    b = np.array([-0.0, 0.0, 0.0, 0.0, 0.0, 0.0, np.inf, -2.0], np.float32)
    with np.errstate(all="ignore"):
        want_q, want_r = np.divmod(a, b)
        np.testing.assert_array_equal(np.asarray(jnp.floor_divide(a, b)), np.floor_divide(a, b))
    q, r = jnp.divmod(a, b)
    np.testing.assert_array_equal(np.asarray(q), want_q)
    np.testing.assert_array_equal(np.asarray(r)[:6], want_r[:6])  # (NaNs)
    np.testing.assert_array_equal(np.asarray(jax.jit(jnp.floor_divide)(a, b)), np.asarray(q))


def test_power_variants():
    x = np.array([-2., -0.5, 0., 1.5, 3.], np.float32)
    for p in (0, 1, 2, 3, -1, -2):
        with np.errstate(all="ignore"):
            _close(jnp.power(x, p), np.power(x.astype(np.float64), p), rtol=1e-6)
    jaxpr = jax.make_jaxpr(lambda v: v ** 3)(x)
    assert "integer_pow" in str(jaxpr) and "y=3" in str(jaxpr)
    jaxpr = jax.make_jaxpr(lambda v: jnp.power(v, jnp.int32(2)))(x)
    assert "integer_pow" in str(jaxpr)
    jaxpr = jax.make_jaxpr(lambda v: v ** 2.5)(x)
    assert "pow" in str(jaxpr) and "integer_pow" not in str(jaxpr)
    i = np.array([0, 1, 2, 3, -2, 5], np.int32)
    e = np.array([0, 3, 10, 4, 3, 0], np.int32)
    got = jnp.power(jnp.array(i), jnp.array(e))
    assert got.dtype == np.int32
    _close(got, np.power(i, e))
    _close(jnp.power(2, jnp.array([1, 4])), [2, 16])
    _close(jnp.power(jnp.array([2., 4.]), jnp.array([0.5, -1.])), [np.sqrt(2), 0.25])
    _close(jnp.float_power(jnp.array([2, 3]), 2), [4., 9.])
    assert jnp.float_power(jnp.array([2, 3]), 2).dtype == np.float32
    _close(jnp.pow(3.0, 2), 9.0)


def test_comparisons_and_logic():
    a = np.array([0, 1, 2, 0])
    b = np.array([0, 0, 3, 5])
    for name in ("logical_and", "logical_or", "logical_xor"):
        got = getattr(jnp, name)(a, b)
        assert got.dtype == np.bool_
        _close(got, getattr(np, name)(a, b))
    _close(jnp.logical_not(a), np.logical_not(a))
    _close(jnp.logical_and(np.array([0.5, 0.]), True), [True, False])
    for name in ("bitwise_and", "bitwise_or", "bitwise_xor", "left_shift", "right_shift"):
        _close(getattr(jnp, name)(jnp.array([12, -9]), jnp.array([3, 2])),
               getattr(np, name)(np.array([12, -9]), np.array([3, 2])))
    _close(jnp.right_shift(jnp.array([200], jnp.uint8), 3), [25])
    _close(jnp.bitwise_not(jnp.array([5, -1])), np.bitwise_not(np.array([5, -1])))
    _close(jnp.invert(jnp.array([True, False])), [False, True])
    with pytest.raises(TypeError):
        jnp.bitwise_and(jnp.array([1.]), 1)
    _close(jnp.equal(jnp.array([1, 2]), jnp.array([1., 2.5])), [True, False])


def test_predicates():
    x = np.array([1., np.inf, -np.inf, np.nan, 0., -0.], np.float32)
    for name in ("isfinite", "isinf", "isnan", "isposinf", "isneginf", "signbit"):
        got = getattr(jnp, name)(x)
        assert got.dtype == np.bool_
        _close(got, getattr(np, name)(x))
    _close(jnp.signbit(jnp.array([-0.0, 0.0, -1.0, -np.inf])), [True, False, True, True])
    if hasattr(_lax, "bitcast_convert_type"):
        _close(jnp.signbit(jnp.array([-np.nan, np.nan])), [True, False])
    _close(jnp.signbit(jnp.array([-2, 3])), [True, False])
    _close(jnp.isfinite(jnp.array([1, 2])), [True, True])
    _close(jnp.isinf(jnp.array([1 + 1j, np.inf + 0j])), [False, True])
    _close(jnp.isnan(jnp.array([1 + 1j, np.nan + 0j])), [False, True])


def test_isclose_allclose():
    a = np.array([1.0, 1.0, np.inf, np.nan, np.inf, 1e-9], np.float32)
    b = np.array([1.0 + 1e-6, 1.1, np.inf, np.nan, -np.inf, 0.], np.float32)
    _close(jnp.isclose(a, b), np.isclose(a, b))
    _close(jnp.isclose(a, b, equal_nan=True), np.isclose(a, b, equal_nan=True))
    _close(jnp.isclose(a, b, rtol=0.2), np.isclose(a, b, rtol=0.2))
    assert bool(jnp.allclose(jnp.ones(3), jnp.ones(3) + 1e-7))
    assert not bool(jnp.allclose(jnp.ones(3), jnp.zeros(3)))
    _close(jnp.isclose(jnp.array([1, 2]), jnp.array([1, 3])), [True, False])


def test_nan_to_num():
    x = np.array([np.nan, np.inf, -np.inf, 1.5], np.float32)
    _close(jnp.nan_to_num(x), np.nan_to_num(x))
    _close(jnp.nan_to_num(x, nan=-1., posinf=9., neginf=-9.),
           np.nan_to_num(x, nan=-1., posinf=9., neginf=-9.))
    c = np.array([complex(np.nan, np.inf)], np.complex64)
    _close(jnp.nan_to_num(c), np.nan_to_num(c))
    _close(jnp.nan_to_num(jnp.array([1, 2])), [1, 2])


def test_complex_functions():
    z = np.array([1 + 2j, -3 - 0.5j, 0j, -1 + 0j], np.complex64)
    _close(jnp.real(z), np.real(z))
    _close(jnp.imag(z), np.imag(z))
    _close(jnp.conj(z), np.conj(z))
    _close(jnp.conjugate(z), np.conjugate(z))
    _close(jnp.angle(z), np.angle(z))
    _close(jnp.angle(z, deg=True), np.angle(z, deg=True), rtol=1e-5)
    _close(jnp.angle(jnp.array([-1., 2.])), np.angle([-1., 2.]))
    _close(jnp.imag(jnp.array([1., 2.])), [0., 0.])
    _close(jnp.exp(z), np.exp(z), rtol=1e-5)
    _close(jnp.log2(z[:2]), np.log2(z[:2]), rtol=1e-5)
    _close(jnp.round(jnp.array([1.26 + 2.5j])), np.round(np.array([1.26 + 2.5j])))


# ---------------------------------------------------------------------------
# derivatives in float64

GRAD_UNARY = ["sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
              "arcsinh", "arctanh", "exp", "exp2", "log1p", "expm1", "square", "abs",
              "negative", "reciprocal", "deg2rad", "rad2deg", "sinc", "cbrt"]


@pytest.mark.parametrize("name", GRAD_UNARY)
def test_unary_grads(x64, name):
    x = jnp.array([-0.7, 0.3, 0.55], dtype=jnp.float64)
    check_grads(getattr(jnp, name), (x,), order=2)


@pytest.mark.parametrize("name", ["log", "log2", "log10", "sqrt", "arccosh"])
def test_positive_domain_grads(x64, name):
    x = jnp.array([1.3, 2.0, 4.5], dtype=jnp.float64)
    check_grads(getattr(jnp, name), (x,), order=2)


@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "divide", "arctan2", "hypot",
                                  "logaddexp", "logaddexp2", "maximum", "minimum", "power",
                                  "float_power", "fmax", "fmin", "copysign", "remainder"])
def test_binary_grads(x64, name):
    a = jnp.array([0.7, 1.9, 2.3], dtype=jnp.float64)
    b = jnp.array([1.1, 0.4, 3.7], dtype=jnp.float64)
    check_grads(getattr(jnp, name), (a, b), order=2)


def test_sinc_derivatives_at_zero(x64):
    d1 = jax.grad(jnp.sinc)(0.0)
    d2 = jax.grad(jax.grad(jnp.sinc))(0.0)
    assert float(d1) == 0.0
    np.testing.assert_allclose(float(d2), -np.pi ** 2 / 3, rtol=1e-12)
    assert np.isfinite(float(jax.grad(jnp.sinc)(1e-20)))


def test_logaddexp_derivatives_at_ties_and_infinities(x64):
    g = jax.grad(jnp.logaddexp, argnums=(0, 1))
    a, b = g(0.0, 0.0)
    assert float(a) == 0.5 and float(b) == 0.5
    a, b = g(2.0, -np.inf)
    assert float(a) == 1.0 and float(b) == 0.0
    a, b = g(-np.inf, 3.0)
    assert float(a) == 0.0 and float(b) == 1.0
    a, b = g(1e4, 0.0)
    assert float(a) == 1.0 and float(b) == 0.0
    h = jax.grad(jax.grad(lambda x: jnp.logaddexp(x, 0.0)))(0.0)
    np.testing.assert_allclose(float(h), 0.25, rtol=1e-12)   # sigmoid'(0), smooth at the tie
    check_grads(jnp.logaddexp, (jnp.array([0.0, 1.0]), jnp.array([0.0, 1.0])), order=2)
    v, vjp = jax.vjp(jnp.logaddexp, jnp.array([-np.inf, 1.0]), jnp.array([0.5, -np.inf]))
    ga, gb = vjp(jnp.ones(2))
    _close(ga, [0.0, 1.0])
    _close(gb, [1.0, 0.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,scale", [("logaddexp", 1.0), ("logaddexp2", np.log(2))])
def test_logaddexp_derivatives_at_edge_points(name, scale, dtype, x64):
    """Its derivative is logistic(scale * (x1 - x2)) (JAX's rule is exp(x1 - out), the
    same function): exact ties, true limits at infinities, NaN where x1 - x2 is NaN;
    its second derivative is that of logistic. Eager, under jit and under vmap alike."""
    f = getattr(jnp, name)
    inf, nan = np.inf, np.nan
    a = np.array([0.0, 1e4, -1e4, 3.0, inf, -inf, inf, -inf, inf, nan, 2.0, -0.0], dtype)
    b = np.array([0.0, 1e4, 1e4, -1.5, 3.0, 3.0, -inf, inf, inf, 1.0, nan, 0.0], dtype)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    with np.errstate(all="ignore"):
        d = scale * (a64 - b64)
        s1 = 1 / (1 + np.exp(-d))
        s2 = 1 / (1 + np.exp(d))
        h = scale * s1 * s2   # d2/dx1^2 = -d2/dx1dx2
        ref_val = (np.logaddexp if name == "logaddexp" else np.logaddexp2)(a64, b64)
    g = jax.grad(f, argnums=(0, 1))
    h11 = jax.grad(jax.grad(f))
    h12 = jax.grad(jax.grad(f), argnums=1)
    for how, wrap in (("eager", lambda fn: fn), ("jit", jax.jit)):
        for i in range(len(a)):
            x1, x2 = dtype(a[i]), dtype(b[i])
            v = wrap(f)(x1, x2)
            assert v.dtype == dtype
            np.testing.assert_allclose(float(v), ref_val[i], rtol=1e-6, err_msg=f"{how} {i}")
            g1, g2 = wrap(g)(x1, x2)
            assert g1.dtype == dtype and g2.dtype == dtype
            np.testing.assert_allclose([float(g1), float(g2)], [s1[i], s2[i]], rtol=1e-6,
                                       atol=0, err_msg=f"{how} {i}")
            np.testing.assert_allclose(float(wrap(h11)(x1, x2)), h[i], rtol=1e-5, atol=1e-30)
            np.testing.assert_allclose(float(wrap(h12)(x1, x2)), -h[i], rtol=1e-5, atol=1e-30)
    # every edge at once: vmap of the gradient, and the VJP of the whole array
    g1, g2 = jax.vmap(g)(jnp.asarray(a), jnp.asarray(b))
    np.testing.assert_allclose(np.asarray(g1), s1, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(g2), s2, rtol=1e-6)
    out, vjp = jax.vjp(f, jnp.asarray(a), jnp.asarray(b))
    ct1, ct2 = vjp(jnp.full(a.shape, 2.0, dtype))
    np.testing.assert_allclose(np.asarray(ct1), 2 * s1, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(ct2), 2 * s2, rtol=1e-6)
    # forward mode with both tangents: their sum is 1 wherever x1 - x2 is a number
    _, t = jax.jvp(f, (jnp.asarray(a), jnp.asarray(b)), (jnp.ones(a.shape, dtype), jnp.ones(a.shape, dtype)))
    np.testing.assert_allclose(np.asarray(t), s1 + s2, rtol=1e-6)


def test_logaddexp_is_one_primitive_and_keeps_complex_and_int_paths(x64):
    jaxpr = jax.make_jaxpr(jax.grad(lambda z: jnp.logaddexp(0.0, z)))(1.0)
    names = [e.primitive.name for e in jaxpr.jaxpr.eqns]
    assert names.count("logaddexp") == 1 and "logistic" in names and "select_n" not in names
    z = np.array([1 + 2j, -0.5 + 0.1j])
    _close(jnp.logaddexp(z, 0.3 - 1j), np.log(np.exp(z) + np.exp(0.3 - 1j)), rtol=1e-12)
    out = jnp.logaddexp(np.array([1, 2]), 3)          # integers promote to float
    assert out.dtype == np.float64
    _close(out, np.logaddexp([1.0, 2.0], 3.0), rtol=1e-12)


def test_grad_of_integer_pow_and_where_double_trick(x64):
    f = lambda x: jnp.sum(x ** 3 - 2 * x ** -1)
    check_grads(f, (jnp.array([0.5, 1.5, -2.0]),), order=2)
    g = jax.grad(lambda x: jnp.sqrt(jnp.where(x > 0, x, 1.0)) * (x > 0))(0.0)
    assert float(g) == 0.0


def test_ufuncs_under_vmap_and_jit():
    a, b = _pairs()
    out = jax.vmap(jnp.logaddexp)(a, b)
    _close(out, np.logaddexp(a, b))
    out = jax.vmap(lambda x: jnp.floor_divide(x, 2.0))(a)
    _close(out, np.floor_divide(a, 2.0))
    if hasattr(jax, "jit"):
        _close(jax.jit(jnp.remainder)(a, b), np.remainder(a, b), atol=1e-6)


def test_heaviside_of_nan_is_nan_and_its_gradient_goes_to_x1():
    """NumPy's and JAX's heaviside(nan, h) is nan (x1 itself, so JAX's gradient flows to
    x1 there); h only at x1 == 0."""
    x1 = np.array([np.nan, 0.0, -0.0, -2.0, 3.0], np.float32)
    x2 = np.array([0.5, 0.5, 0.25, 0.5, 0.5], np.float32)
    np.testing.assert_array_equal(np.asarray(jnp.heaviside(x1, x2)), np.heaviside(x1, x2))
    g1, g2 = jax.vmap(jax.grad(jnp.heaviside, argnums=(0, 1)))(jnp.asarray(x1), jnp.asarray(x2))
    np.testing.assert_array_equal(np.asarray(g1), [1.0, 0.0, 0.0, 0.0, 0.0])  # JAX 0.10.2's
    np.testing.assert_array_equal(np.asarray(g2), [0.0, 1.0, 1.0, 0.0, 0.0])
