"""Differences from JAX found by a differential survey (arange, linspace, astype,
round, bool promotion under x64, tri, rint, weak types). Every expected value below
is JAX 0.10.2's (CPU, x86 with FMA), hard-coded so the tests run without JAX;
float results are compared bit for bit."""
import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp

_UINT = {2: np.uint16, 4: np.uint32, 8: np.uint64}


def _bits(x):
    x = np.asarray(x)
    return [int(v) for v in x.view(_UINT[x.dtype.itemsize]).ravel()]


def _hex(s):
    return [int(h, 16) for h in s.split()]


# --- arange: start + step * iota in the working dtype (A3) ---------------------------
# (start, stop, step, dtype, result dtype, JAX 0.10.2's bit patterns)
ARANGE_FLOAT = [
    (1, 2, 0.1, None, "float32", "0x3f800000 0x3f8ccccd 0x3f99999a 0x3fa66666 0x3fb33333 "
     "0x3fc00000 0x3fcccccd 0x3fd9999a 0x3fe66666 0x3ff33334"),
    (0.5, -1.23, -0.1, None, "float32", "0x3f000000 0x3ecccccd 0x3e99999a 0x3e4ccccc "
     "0x3dcccccc 0x0 0xbdccccd0 0xbe4ccccc 0xbe99999a 0xbeccccce 0xbf000000 0xbf19999a "
     "0xbf333334 0xbf4cccce 0xbf666666 0xbf800000 0xbf8ccccd 0xbf99999a"),
    (3.7, 9.0, 1.0 / 3, None, "float32", "0x406ccccd 0x40811111 0x408bbbbc 0x40966666 "
     "0x40a11111 0x40abbbbc 0x40b66666 0x40c11112 0x40cbbbbc 0x40d66666 0x40e11112 "
     "0x40ebbbbc 0x40f66666 0x41008889 0x4105ddde 0x410b3333"),
    # float16 is computed in float32, then rounded once
    (0, 1, 0.1, "float16", "float16",
     "0x0 0x2e66 0x3266 0x34cd 0x3666 0x3800 0x38cd 0x399a 0x3a66 0x3b33"),
    (1, 2, 0.1, "float16", "float16",
     "0x3c00 0x3c66 0x3ccd 0x3d33 0x3d9a 0x3e00 0x3e66 0x3ecd 0x3f33 0x3f9a"),
    (2.5, 8.0, None, None, "float32",
     "0x40200000 0x40600000 0x40900000 0x40b00000 0x40d00000 0x40f00000"),
]


@pytest.mark.parametrize("start,stop,step,dtype,out_dtype,expected", ARANGE_FLOAT)
def test_arange_float_bits(start, stop, step, dtype, out_dtype, expected):
    x = jnp.arange(start, stop, step, dtype=dtype)
    assert str(x.dtype) == out_dtype
    assert _bits(x) == _hex(expected)
    assert not x.weak_type


# An integer dtype truncates start and step before the iota, as JAX does.
ARANGE_INT = [
    (1.7, 9, 1.3, "int32", [1, 2, 3, 4, 5, 6]),
    (-1.5, 3, 0.7, "int8", [-1] * 7),
    (0.5, 7, 2, "int32", [0, 2, 4, 6]),
    (3, 10, 2, "uint8", [3, 5, 7, 9]),
]


@pytest.mark.parametrize("start,stop,step,dtype,expected", ARANGE_INT)
def test_arange_int_dtype(start, stop, step, dtype, expected):
    x = jnp.arange(start, stop, step, dtype=dtype)
    assert str(x.dtype) == dtype
    assert np.asarray(x).tolist() == expected


def test_arange_x64_bits(x64):
    x = jnp.arange(0.5, 2.23, 0.1)
    assert x.dtype == np.float64
    assert _bits(x) == _hex(
        "0x3fe0000000000000 0x3fe3333333333333 0x3fe6666666666666 0x3fe999999999999a "
        "0x3feccccccccccccd 0x3ff0000000000000 0x3ff199999999999a 0x3ff3333333333334 "
        "0x3ff4cccccccccccd 0x3ff6666666666666 0x3ff8000000000000 0x3ff999999999999a "
        "0x3ffb333333333334 0x3ffccccccccccccd 0x3ffe666666666667 0x4000000000000000 "
        "0x4000cccccccccccd 0x400199999999999a")


def test_arange_under_jit_stages_iota():
    # JAX's jaxpr: iota, mul by step, add start.
    text = str(jax.make_jaxpr(lambda: jnp.arange(1, 2, 0.1))())
    assert "iota" in text and "mul" in text and "add" in text


# --- linspace: XLA's fused formula, FMA included (A9) --------------------------------
# (start, stop, num, endpoint, dtype, JAX 0.10.2's value bits or ints, delta bits)
LINSPACE = [
    (0, 3.7, 7, False, None, "0x0 0x3f075076 0x3f875076 0x3fcaf8b1 0x40075076 0x40292494 "
     "0x404af8b1", "0x3f075076"),
    # the second element is start*(1-r) + stop*r with the FMA on start's product
    (-2.3, 1, 7, True, None, "0xc0133333 0xbfdfffff 0xbf999998 0xbf266666 0xbdccccc0 "
     "0x3ee6666a 0x3f800000", "0x3f0ccccd"),
    (0.5, 3.7, 10, False, None, "0x3f000000 0x3f51eb85 0x3f91eb85 0x3fbae148 0x3fe3d70a "
     "0x40066666 0x401ae148 0x402f5c29 0x4043d70a 0x405851ec", "0x3ea3d70b"),
    (10, -1, 3, False, None, "0x41200000 0x40caaaaa 0x402aaaa9", "0xc06aaaab"),
    # float16 is computed op by op in float16, without an FMA
    (0, 3.7, 10, True, "float16", "0x0 0x3693 0x3a93 0x3cee 0x3e93 0x401c 0x40ee 0x41c1 "
     "0x4293 0x4366", "0x3693"),
    (0.5, 1, 10, False, "float16", "0x3800 0x3866 0x38cc 0x3933 0x399a 0x3a00 0x3a66 "
     "0x3acc 0x3b33 0x3b9a", "0x2a66"),
]


@pytest.mark.parametrize("start,stop,num,endpoint,dtype,values,delta", LINSPACE)
def test_linspace_bits(start, stop, num, endpoint, dtype, values, delta):
    x, d = jnp.linspace(start, stop, num, endpoint=endpoint, dtype=dtype, retstep=True)
    assert x.dtype == d.dtype == np.dtype(dtype or np.float32)
    assert _bits(x) == _hex(values)
    assert _bits(d) == _hex(delta)


def test_linspace_int_dtype_delta():
    x, d = jnp.linspace(0, 3.7, 7, endpoint=False, dtype=jnp.int32, retstep=True)
    assert np.asarray(x).tolist() == [0, 0, 1, 1, 2, 2, 3]
    assert d.dtype == np.float32 and _bits(d) == _hex("0x3f075076")


def test_linspace_long_float32():
    # 300 values: XLA's vectorised loop computes 1 - i*r with an FMA, the scalar tail
    # (the last 300 % 8) with constants folded at compile time.
    idx = [0, 1, 27, 46, 47, 48, 150, 276, 295, 296, 299]
    x = jnp.linspace(-7.5, 3.25, 300, endpoint=False)
    assert _bits(np.asarray(x)[idx]) == _hex(
        "0xc0f00000 0xc0eeda74 0xc0d10a3e 0xc0bb40da 0xc0ba1b4e 0xc0b8f5c2 0xc0080000 "
        "0x4018f5c3 0x40448889 0x4046d3a1 0x404db4e8")


def test_linspace_x64_bits(x64):
    x, d = jnp.linspace(0, 3.7, 7, endpoint=False, retstep=True)
    assert x.dtype == np.float64
    assert _bits(x) == _hex("0x0 0x3fe0ea0ea0ea0ea1 0x3ff0ea0ea0ea0ea1 0x3ff95f15f15f15f2 "
                            "0x4000ea0ea0ea0ea1 0x4005249249249249 0x40095f15f15f15f2")
    assert _bits(d) == _hex("0x3fe0ea0ea0ea0ea1")
    idx = [0, 1, 14, 36, 100, 191, 192, 199]
    x = jnp.linspace(-7.5, 3.25, 200, endpoint=True)
    assert _bits(np.asarray(x)[idx]) == _hex(
        "0xc01e000000000000 0xc01dc8aef46c0f70 0xc01af9915de8d81f 0xc016389a5f322bbd "
        "0xc000c8aef46c0f6f 0x40068aef46c0f6ff 0x4006f9915de8d81f 0x400a000000000000")


def test_linspace_traced_bounds_close_to_eager():
    # Traced bounds use the same formula without the FMA: within an ulp or so.
    eager = jnp.linspace(0.5, 3.7, 50)
    jitted = jax.jit(lambda a, b: jnp.linspace(a, b, 50))(0.5, 3.7)
    np.testing.assert_allclose(np.asarray(jitted), np.asarray(eager), rtol=3e-7)
    g = jax.grad(lambda a: jnp.linspace(a, 3.7, 5).sum())(0.5)
    np.testing.assert_allclose(float(g), 2.5, rtol=1e-6)


# --- astype(bool) of complex is x != 0 (A2) ------------------------------------------

def test_astype_complex_to_bool():
    x = jnp.array([1j, 0j, 2 + 0j])
    assert np.asarray(x.astype(bool)).tolist() == [True, False, True]
    assert np.asarray(jnp.astype(x, bool)).tolist() == [True, False, True]
    assert np.asarray(jax.jit(lambda v: v.astype(bool))(x)).tolist() == [True, False, True]


# --- builtin round (A4) --------------------------------------------------------------

def test_builtin_round():
    r = round(jnp.float32(2.5))
    assert r.dtype == np.int32 and int(r) == 2
    assert int(round(jnp.float32(1e10))) == 2147483647  # JAX's saturating cast
    r = round(jnp.array([1.5, -2.5]), 1)
    assert r.dtype == np.float32 and np.asarray(r).tolist() == [1.5, -2.5]
    r = round(jnp.asarray(3.7), 0)
    assert r.dtype == np.float32 and r.weak_type and float(r) == 4.0


def test_builtin_round_x64(x64):
    assert round(jnp.float32(2.5)).dtype == np.int64


# --- bool operands of numeric-only ops give int32 even under x64 (A5) ----------------

BOOL_OPS = {
    "floor_divide": lambda b, t: b // t, "remainder": lambda b, t: b % t,
    "mod": lambda b, t: jnp.mod(b, t), "fmod": lambda b, t: jnp.fmod(b, t),
    "power": lambda b, t: b ** t, "square": lambda b, t: jnp.square(b),
    "left_shift": lambda b, t: b << t, "right_shift": lambda b, t: b >> t,
    "divmod": lambda b, t: divmod(b, t)[0],
}


@pytest.mark.parametrize("name", sorted(BOOL_OPS))
def test_bool_numeric_ops_int32_under_x64(x64, name):
    b, t = jnp.array([True, False]), jnp.array(True)
    assert BOOL_OPS[name](b, t).dtype == np.int32


def test_bool_power_scalar_and_sum_under_x64(x64):
    assert (jnp.array(True) ** 2).dtype == np.int32
    # sum and cumsum still accumulate bools in the default int
    assert jnp.sum(jnp.array([True])).dtype == np.int64
    assert jnp.cumsum(jnp.array([True])).dtype == np.int64


# --- tri (A6) and rint (A7) ----------------------------------------------------------

def test_tri_default_float32_under_x64(x64):
    assert jnp.tri(2).dtype == np.float32
    assert jnp.tri(2, dtype=jnp.float64).dtype == np.float64
    assert jnp.eye(2).dtype == np.float64


RINT_X64 = {"bool": "float64", "int8": "float64", "uint8": "float64", "int16": "float64",
            "int32": "float64", "uint32": "float64", "int64": "float64",
            "float16": "float16", "float32": "float32"}


@pytest.mark.parametrize("dt", sorted(RINT_X64))
def test_rint_dtype_x64(x64, dt):
    assert str(jnp.rint(jnp.array([1, 0], dtype=dt)).dtype) == RINT_X64[dt]


def test_rint_int_without_x64():
    assert jnp.rint(jnp.array([3], jnp.int8)).dtype == np.float32
    r = jnp.rint(jnp.asarray(2))
    assert r.dtype == np.float32 and not r.weak_type
    assert jnp.rint(jnp.asarray(2.5)).weak_type


# --- weak types (A8) -----------------------------------------------------------------

w, wi = jnp.asarray(3.), jnp.asarray(2)
a, af = jnp.arange(3), jnp.arange(3.)
# name -> (thunk, JAX 0.10.2's weak_type)
WEAK = {
    "cumsum(weak)": (lambda: jnp.cumsum(w), False),
    "cumprod(weak)": (lambda: jnp.cumprod(w), False),
    "nancumsum(weak)": (lambda: jnp.nancumsum(w), False),
    "cumsum(weak int)": (lambda: jnp.cumsum(wi), False),
    "weak.cumsum()": (lambda: w.cumsum(), False),
    "2. ** arange": (lambda: 2. ** a, False),
    "hypot(int array, 2.)": (lambda: jnp.hypot(a, 2.), False),
    "hypot(weak, 2.)": (lambda: jnp.hypot(w, 2.), True),
    "heaviside(int array, .5)": (lambda: jnp.heaviside(a, .5), False),
    "heaviside(weak, .5)": (lambda: jnp.heaviside(w, .5), True),
    "logaddexp2(int array, 1.)": (lambda: jnp.logaddexp2(a, 1.), False),
    "logaddexp2(weak, 1.)": (lambda: jnp.logaddexp2(w, 1.), True),
    "arange + 2.": (lambda: a + 2., True),
    "arange // 2.": (lambda: a // 2., True),
    "weak < 2.": (lambda: w < 2., True),
    "int array == 2.": (lambda: a == 2., True),
    "int array < 2": (lambda: a < 2, False),
    "float array < 2.": (lambda: af < 2., False),
    "weak int < 2": (lambda: wi < 2, True),
    "isnan(weak)": (lambda: jnp.isnan(w), True),
    "isfinite(weak)": (lambda: jnp.isfinite(w), True),
    "isinf(weak)": (lambda: jnp.isinf(w), False),
    "signbit(weak)": (lambda: jnp.signbit(w), False),
    "logical_not(weak)": (lambda: jnp.logical_not(w), True),
    "~(weak < 2.)": (lambda: ~(w < 2.), True),
    "(weak < 2.) | (weak > 1.)": (lambda: (w < 2.) | (w > 1.), False),
    "lax.lt(weak, weak)": (lambda: jax.lax.lt(w, w), True),
    "jit(x < 2.)(weak)": (lambda: jax.jit(lambda x: x < 2.)(w), True),
    "power(weak int, weak int)": (lambda: jnp.power(wi, wi), True),
    "power(int array, int array)": (lambda: jnp.power(a, a), False),
}


@pytest.mark.parametrize("name", sorted(WEAK))
def test_weak_type(name):
    thunk, weak = WEAK[name]
    assert thunk().weak_type is weak


def test_weak_bool_promotes_as_bool():
    # A weak bool takes part in promotion as a plain bool (JAX 0.10.2).
    cases = [
        ((w < 2.) + 1, "int32", True),
        ((w < 2.) + 1., "float32", True),
        ((w < 2.) + a, "int32", False),
        ((w < 2.) * True, "bool", False),
        ((w < 2.) + jnp.array([1], jnp.int8), "int8", False),
        ((w < 2.) + jnp.array([1], jnp.float16), "float16", False),
        (jnp.isnan(w) + 1, "int32", True),
        (jnp.where(w < 2., 1, 2), "int32", True),
        (jnp.sum(w < 2.), "int32", False),
        (jnp.mean(w < 2.), "float32", False),
        ((w < 2.).astype(int), "int32", False),
    ]
    for out, dtype, weak in cases:
        assert (str(out.dtype), out.weak_type) == (dtype, weak)
    assert repr(jnp.asarray(1.) < 2.) == "Array(True, dtype=bool, weak_type=True)"


def test_cumsum_dtype_bool_counts_nonzero():
    x = jnp.cumsum(jnp.array([-1, 1, 0]), dtype=bool)
    assert x.dtype == np.bool_ and np.asarray(x).tolist() == [True, True, True]
