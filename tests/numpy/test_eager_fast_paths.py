"""The eager fast paths (cached Python scalar constants, the plain-reduction
shortcut) must agree with the general paths: values, dtypes, weak types, staging."""
import math

import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax import config
from purejax._src import config as config_mod
from purejax._src.numpy import reductions, util


def _same(a, b):
    assert a.dtype == b.dtype
    assert a.weak_type == b.weak_type
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    # bitwise, so that -0.0 and 0.0 (and NaN payload-insensitive NaNs) are told apart
    va, vb = np.asarray(a), np.asarray(b)
    if va.dtype.kind == "c":
        va, vb = np.stack([va.real, va.imag]), np.stack([vb.real, vb.imag])
    if va.dtype.kind == "f":
        assert np.array_equal(np.signbit(va), np.signbit(vb))


# --- cached scalar constants --------------------------------------------------

@pytest.mark.parametrize("value", [0.0, -0.0, 0, 1, -1, 0.01, 1e30, math.inf, -math.inf])
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.int8, np.complex64])
@pytest.mark.parametrize("weak", [False, True])
def test_scalar_const_matches_uncached(value, dtype, weak):
    dt = np.dtype(dtype)
    if dt.kind in "iu" and isinstance(value, float):
        return  # convert is never asked for that (a float promotes an int array)
    first = util.convert(value, dt, weak)
    again = util.convert(value, dt, weak)
    assert again is first
    util._SCALAR_CONSTS.clear()
    _same(first, util.convert(value, dt, weak))


def test_scalar_const_keeps_signed_zeros_apart():
    x = jnp.ones(3, jnp.float32)
    for _ in range(2):  # the second round is served from the cache
        assert np.all(np.signbit(np.asarray(x * -0.0)))
        assert not np.any(np.signbit(np.asarray(x * 0.0)))
        assert np.all(np.signbit(np.asarray(-0.0 * x)))
    assert util.convert(0.0, np.dtype(np.float32), False) is not util.convert(
        -0.0, np.dtype(np.float32), False)


def test_scalar_const_nan_not_cached():
    n = len(util._SCALAR_CONSTS)
    x = jnp.ones(3, jnp.float32)
    for _ in range(3):
        assert np.all(np.isnan(np.asarray(x * math.nan)))
    assert len(util._SCALAR_CONSTS) == n


def test_scalar_const_types_kept_apart():
    f32 = np.dtype(np.float32)
    one_int, one_float = util.convert(1, f32, True), util.convert(1.0, f32, True)
    assert one_int.dtype == one_float.dtype == f32
    assert util.convert(True, np.dtype(np.int32), False).dtype == np.int32
    assert util.convert(1, f32, False).weak_type is False
    assert util.convert(1, f32, True).weak_type is True


def test_scalar_const_int_wraps():
    out = util.convert(300, np.dtype(np.int8), True)
    assert out.dtype == np.int8 and int(out) == np.int8(300 - 256)
    assert util.convert(300, np.dtype(np.int8), True) is out


@pytest.mark.parametrize("weak_x", [False, True])
def test_scalar_ops_dtypes_x64_on_and_off(weak_x):
    for enabled in (False, True):
        prev = config.read("jax_enable_x64")
        config.update("jax_enable_x64", enabled)
        try:
            x = jnp.asarray(2.0) if weak_x else jnp.ones(3, jnp.float32)
            y = x * 0.5
            expected = (np.float64 if enabled else np.float32) if weak_x else np.float32
            assert y.dtype == expected
            assert y.weak_type == weak_x
            assert (jnp.ones(2, jnp.float64 if enabled else jnp.float32) + 1).dtype == (
                np.float64 if enabled else np.float32)
        finally:
            config.update("jax_enable_x64", prev)


def test_scalar_ops_strict_promotion():
    with config_mod.numpy_dtype_promotion("strict"):
        x = jnp.ones(3, jnp.float32)
        for _ in range(2):
            y = x * 0.25
            assert y.dtype == np.float32 and not y.weak_type
        with pytest.raises(Exception, match="promotion"):
            jnp.ones(3, jnp.int32) * jnp.ones(3, jnp.float32)


def test_scalar_ops_rank_promotion_raise():
    with config_mod.numpy_rank_promotion("raise") if hasattr(
            config_mod, "numpy_rank_promotion") else _nullcontext():
        x = jnp.ones((2, 3), jnp.float32)
        assert (x * 2.0).shape == (2, 3)
        assert jnp.sum(x, axis=1).shape == (2,)


def _nullcontext():
    import contextlib
    return contextlib.nullcontext()


# --- plain reductions ----------------------------------------------------------

def _general(fn, *args, **kw):
    """fn with the fast path switched off."""
    saved = reductions._fast_reduction
    reductions._fast_reduction = lambda *a: None
    try:
        return fn(*args, **kw)
    finally:
        reductions._fast_reduction = saved


_REDUCTIONS = [jnp.sum, jnp.prod, jnp.max, jnp.min, jnp.mean, jnp.any, jnp.all]


@pytest.mark.parametrize("fn", _REDUCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", ["float32", "complex64", "float16", "int32", "bool"])
@pytest.mark.parametrize("axis", [None, 0, -1, 1, (0, 1)])
@pytest.mark.parametrize("weak", [False, True])
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NaN cast to int in the inputs
def test_reduction_fast_path_matches_general(fn, dtype, axis, weak):
    if dtype == "complex64" and fn in (jnp.max, jnp.min):
        return
    if weak and dtype != "float32":
        return
    a = np.array([[1.5, -2.0, 0.0], [-0.0, 3.0, np.nan]], np.float32).astype(dtype)
    x = jnp.asarray(a)
    if weak:
        x = jax.lax.convert_element_type(x, np.float32, weak_type=True)
        assert x.weak_type
    _same(fn(x, axis=axis), _general(fn, x, axis=axis))
    # staged: the same equations (a weak operand is converted first)
    assert str(jax.make_jaxpr(lambda v: fn(v, axis=axis))(x)) == str(
        _general(jax.make_jaxpr(lambda v: fn(v, axis=axis)), x))


@pytest.mark.parametrize("fn", [jnp.sum, jnp.max, jnp.min], ids=lambda f: f.__name__)
def test_reduction_fast_path_rank0_and_empty(fn):
    s = jnp.asarray(2.0)  # weak rank-0
    _same(fn(s), _general(fn, s))
    e = jnp.zeros((0, 3), jnp.float32)
    if fn is jnp.sum:
        _same(fn(e), _general(fn, e))
        _same(fn(e, axis=1), _general(fn, e, axis=1))
    else:
        with pytest.raises(ValueError, match="zero-size"):
            fn(e)
        _same(fn(e, axis=1), _general(fn, e, axis=1))


def test_reduction_fast_path_errors():
    x = jnp.ones((2, 3), jnp.float32)
    with pytest.raises(ValueError, match="out of bounds"):
        jnp.sum(x, axis=2)
    with pytest.raises(ValueError, match="out of bounds"):
        x.max(axis=-3)


def test_reduction_x64_flipped_after_creation():
    prev = config.read("jax_enable_x64")
    config.update("jax_enable_x64", True)
    try:
        x = jnp.ones(4, jnp.float64)
    finally:
        config.update("jax_enable_x64", prev)
    if not prev:  # a float64 Array under x64=False takes the general path's canonicalization
        _same(jnp.sum(x), _general(jnp.sum, x))


def test_reduction_fast_path_grad_and_vmap():
    x = jnp.arange(6.0, dtype=jnp.float32).reshape(2, 3)
    np.testing.assert_array_equal(jax.grad(lambda v: jnp.sum(v * v))(x), 2 * np.asarray(x))
    np.testing.assert_array_equal(jax.vmap(lambda v: v.max())(x), [2.0, 5.0])
    np.testing.assert_array_equal(jax.vmap(lambda v: jnp.sum(v, axis=0))(x), [3.0, 12.0])
