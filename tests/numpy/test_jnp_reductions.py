"""Reductions against NumPy: axis forms, keepdims, dtype, ddof, where, initial,
JAX's result dtypes, edge cases and derivatives."""
import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax.test_util import check_grads

X = (np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 11.5) / 3



def _close(got, expected, rtol=2e-6, atol=1e-6):
    got = np.asarray(got)
    assert got.shape == np.shape(expected), (got.shape, np.shape(expected))
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)


AXES = [None, 0, 1, -1, (0, 2), (2, 0, 1), ()]


@pytest.mark.parametrize("name", ["sum", "prod", "max", "min", "mean", "var", "std", "all",
                                  "any", "amax", "amin", "ptp"])
@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduction_vs_numpy(name, axis, keepdims):
    x = X if name not in ("all", "any") else (X > 0)
    if axis == () and name in ("ptp",):
        return
    got = getattr(jnp, name)(jnp.array(x), axis=axis, keepdims=keepdims)
    exp = getattr(np, name)(x, axis=axis, keepdims=keepdims)
    _close(got, exp, rtol=1e-5, atol=1e-5)


def test_result_dtypes():
    i8 = jnp.array([1, 2, 3], jnp.int8)
    assert jnp.sum(i8).dtype == np.int32
    assert jnp.prod(i8).dtype == np.int32
    assert jnp.sum(i8, promote_integers=False).dtype == np.int8
    assert jnp.sum(jnp.array([1, 2], jnp.uint8)).dtype == np.uint32
    assert jnp.sum(jnp.array([True, True])).dtype == np.int32
    assert int(jnp.sum(jnp.array([True, True, False]))) == 2
    assert jnp.max(i8).dtype == np.int8
    assert jnp.mean(i8).dtype == np.float32
    assert jnp.var(i8).dtype == np.float32
    assert jnp.mean(jnp.array([1., 2.], jnp.float16)).dtype == np.float16
    assert jnp.sum(i8, dtype=jnp.float32).dtype == np.float32
    assert jnp.all(jnp.array([1, 2])).dtype == np.bool_
    assert jnp.sum(jnp.array([True]), dtype=bool).dtype == np.bool_
    assert jnp.var(jnp.array([1 + 1j, 2 - 1j])).dtype == np.float32
    _close(jnp.var(jnp.array([1 + 1j, 2 - 1j])), np.var(np.array([1 + 1j, 2 - 1j])))
    assert jnp.cumsum(jnp.array([True, True])).dtype == np.int32
    assert jnp.cumsum(i8).dtype == np.int8


def test_result_dtypes_x64(x64):
    assert jnp.sum(jnp.array([1, 2], jnp.int32)).dtype == np.int64
    assert jnp.mean(jnp.array([1, 2], jnp.int32)).dtype == np.float32  # as JAX 0.10
    assert jnp.mean(jnp.array([1, 2], jnp.int64)).dtype == np.float64


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_where_and_initial():
    m = X > -1
    _close(jnp.sum(X, axis=1, where=m), np.sum(X, axis=1, where=m), rtol=1e-5)
    _close(jnp.max(X, axis=0, where=m, initial=-10.), np.max(X, axis=0, where=m, initial=-10.))
    _close(jnp.min(X, initial=-5.), np.min(X, initial=-5.))
    _close(jnp.max(X, initial=100.), 100.)
    _close(jnp.sum(X, initial=10.), np.sum(X, initial=10.), rtol=1e-5)
    _close(jnp.prod(X[0, 0], initial=2.), np.prod(X[0, 0], initial=2.), rtol=1e-5)
    _close(jnp.mean(X, axis=2, where=m), np.mean(X, axis=2, where=m), rtol=1e-5)
    _close(jnp.var(X, axis=2, where=m), np.var(X, axis=2, where=m), rtol=1e-5)
    _close(jnp.all(X > -5, where=m), np.all(X > -5, where=m))
    _close(jnp.any(X > 3, axis=0, where=m), np.any(X > 3, axis=0, where=m))
    with pytest.raises(ValueError, match="identity"):
        jnp.max(X, where=m)
    with pytest.raises(ValueError, match="identity"):
        jnp.min(jnp.zeros((0, 3)), axis=0)
    _close(jnp.max(jnp.zeros((0, 3)), axis=0, initial=-1.), -np.ones(3))
    _close(jnp.sum(jnp.zeros((0, 3)), axis=0), np.zeros(3))


def test_var_std_ddof_and_correction():
    for ddof in (0, 1, 2):
        _close(jnp.var(X, axis=1, ddof=ddof), np.var(X, axis=1, ddof=ddof), rtol=1e-5)
        _close(jnp.std(X, ddof=ddof), np.std(X, ddof=ddof), rtol=1e-5)
    _close(jnp.var(X, correction=1), np.var(X, ddof=1), rtol=1e-5)
    assert np.isnan(float(jnp.var(jnp.ones(2), ddof=2)))
    with pytest.raises(ValueError):
        jnp.var(X, ddof=1, correction=1)


def test_nan_handling():
    x = np.array([[1., np.nan, 3.], [np.nan, np.nan, np.nan]], np.float32)
    _close(jnp.max(x, axis=1), np.max(x, axis=1))
    _close(jnp.sum(x, axis=1), np.sum(x, axis=1))
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        for name in ("nanmax", "nanmin", "nanmean"):
            _close(getattr(jnp, name)(x, axis=1), getattr(np, name)(x, axis=1))
    for name in ("nansum", "nanprod"):
        _close(getattr(jnp, name)(x, axis=1), getattr(np, name)(x, axis=1))
    _close(jnp.nancumsum(x), np.nancumsum(x))
    _close(jnp.nancumprod(x, axis=1), np.nancumprod(x, axis=1))


def test_argmax_argmin():
    for axis in (None, 0, 1, 2, -1):
        _close(jnp.argmax(X, axis=axis), np.argmax(X, axis=axis))
        _close(jnp.argmin(X, axis=axis), np.argmin(X, axis=axis))
        _close(jnp.argmax(X, axis=axis, keepdims=True), np.argmax(X, axis=axis, keepdims=True))
    assert jnp.argmax(X).dtype == np.int32
    ties = np.array([1, 3, 3, 0, 3])
    assert int(jnp.argmax(ties)) == 1 and int(jnp.argmin(ties)) == 3
    nan = np.array([1., np.nan, 5., np.nan])
    assert int(jnp.argmax(nan)) == np.argmax(nan) == 1
    assert int(jnp.argmin(nan)) == np.argmin(nan) == 1
    with pytest.raises(ValueError, match="empty"):
        jnp.argmax(jnp.zeros((0,)))


def test_cumulative():
    for axis in (None, 0, 1, -1):
        _close(jnp.cumsum(X, axis=axis), np.cumsum(X, axis=axis), rtol=1e-5)
        _close(jnp.cumprod(X, axis=axis), np.cumprod(X, axis=axis), rtol=1e-5)
    _close(jnp.cumsum(X, axis=1, dtype=jnp.int32), np.cumsum(X, axis=1, dtype=np.int32))
    _close(jnp.cumsum(3.0), np.cumsum(3.0))
    _close(jnp.cumulative_sum(np.arange(4)), np.cumsum(np.arange(4)))


def test_average_and_counts():
    w = np.array([1., 2., 3., 4.], np.float32)
    _close(jnp.average(X), np.average(X))
    _close(jnp.average(X, axis=2, weights=w), np.average(X, axis=2, weights=w), rtol=1e-5)
    avg, wsum = jnp.average(X, axis=2, weights=w, returned=True)
    eavg, ewsum = np.average(X, axis=2, weights=w, returned=True)
    _close(avg, eavg, rtol=1e-5)
    _close(wsum, ewsum)
    avg, wsum = jnp.average(X, axis=(0, 1), returned=True)
    _close(wsum, np.full(4, 6.))
    _close(jnp.count_nonzero(X > 0, axis=1), np.count_nonzero(X > 0, axis=1))
    assert jnp.count_nonzero(X).dtype == np.int32
    with pytest.raises(ValueError):
        jnp.average(X, weights=w)


def test_axis_errors_and_scalars():
    with pytest.raises(ValueError, match="out of bounds"):
        jnp.sum(X, axis=3)
    with pytest.raises(ValueError, match="duplicate"):
        jnp.sum(X, axis=(1, 1))
    _close(jnp.sum(2.5), 2.5)
    _close(jnp.mean(np.float32(3)), 3.0)
    with pytest.raises(NotImplementedError):
        jnp.sum(X, out=np.zeros(1))


def test_reduction_jaxprs_are_plain():
    jaxpr = jax.make_jaxpr(lambda v: jnp.sum(v, axis=1))(X)
    assert [e.primitive.name for e in jaxpr.eqns] == ["reduce_sum"]
    jaxpr = jax.make_jaxpr(lambda v: jnp.max(v))(X)
    assert [e.primitive.name for e in jaxpr.eqns] == ["reduce_max"]


@pytest.mark.parametrize("fn", [
    lambda v: jnp.sum(v ** 2, axis=1),
    lambda v: jnp.mean(v, axis=(0, 2), keepdims=True),
    lambda v: jnp.var(v, axis=2),
    lambda v: jnp.std(v, ddof=1),
    lambda v: jnp.prod(v[0], axis=0),
    lambda v: jnp.max(v, axis=1),
    lambda v: jnp.min(v),
    lambda v: jnp.cumsum(v, axis=2),
    lambda v: jnp.cumprod(v[0, 0]),
    lambda v: jnp.sum(v, where=v > 0, axis=0),
    lambda v: jnp.average(v, axis=1, weights=jnp.array([1., 2., 3.])),
])
def test_reduction_grads(x64, fn):
    check_grads(fn, (jnp.array(X, dtype=jnp.float64) + 0.01,), order=2)


def test_reductions_under_vmap():
    out = jax.vmap(lambda v: jnp.var(v, axis=0))(X)
    _close(out, np.var(X, axis=1), rtol=1e-5)
    out = jax.vmap(lambda v: jnp.argmax(v))(X)
    _close(out, np.array([np.argmax(X[0]), np.argmax(X[1])]))


def test_eager_reductions_of_inf_and_nan_are_silent():
    # as JAX: inf - inf inside a sum, 0 * inf inside a product, compute NaN silently
    import warnings
    inf = np.float32(np.inf)
    # (the filters stay as they are: purejax's own, which an "error" filter would override)
    with warnings.catch_warnings(record=True) as caught:
        assert np.isnan(jnp.sum(jnp.array([inf, -inf])))
        assert np.isnan(jnp.prod(jnp.array([0.0, inf])))
        np.testing.assert_array_equal(jnp.cumsum(jnp.array([inf, -inf])), [inf, np.nan])
        np.testing.assert_array_equal(jnp.cumprod(jnp.array([0.0, inf])), [0.0, np.nan])
        assert np.isnan(jnp.max(jnp.array([np.nan, 1.0])))
        assert np.isnan(jnp.min(jnp.array([-inf, np.nan])))
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)], caught


def test_cumsum_of_negative_zeros_is_positive_zero_as_in_jax():
    """XLA's scan adds from +0, so a run of -0s sums to +0 (NumPy's accumulate keeps -0);
    values from JAX 0.10.2, forward and reversed, float and complex, eager and jit."""
    z = np.array([-0., -0., 1., -1., -0.], np.float32)
    for got in (jnp.cumsum(z), jax.jit(jnp.cumsum)(z)):
        np.testing.assert_array_equal(np.asarray(got), [0., 0., 1., 0., 0.])
        assert not np.signbit(np.asarray(got)).any()
    rev = np.asarray(jnp.cumsum(z[::-1]))
    np.testing.assert_array_equal(rev, [0., -1., 0., 0., 0.])
    assert not np.signbit(rev[[0, 2, 3, 4]]).any()
    c = np.asarray(jnp.cumsum(np.array([-0. - 0.j, -0. + 1.j], np.complex64)))
    assert not np.signbit(c.real).any() and not np.signbit(c.imag).any()
    assert jnp.cumsum(np.array([1, 2], np.int32)).dtype == np.int32
