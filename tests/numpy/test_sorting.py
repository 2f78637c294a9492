"""jnp sorting, searching and order statistics (numpy/sorting.py): values, dtypes and
weak types JAX 0.10.2 printed (marked "JAX 0.10.2"), tie and NaN orders, jit/vmap,
gradients at ordinary points, ties and NaNs, and the errors."""
import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax.test_util import check_grads

nan = np.nan


def check(out, values, dtype, weak=False):
    out_np = np.asarray(out)
    assert str(out.dtype) == dtype, (out.dtype, dtype)
    assert bool(out.weak_type) == weak
    np.testing.assert_array_equal(out_np, np.asarray(values))


# --- sort, argsort, lexsort, sort_complex -------------------------------------------

F = jnp.array([nan, -nan, np.inf, -np.inf, 0., -0., 1., -1.])


def test_sort_descending_reverses_the_sorted_values():
    # JAX 0.10.2: [nan nan inf 1. -0. 0. -1. -inf] with signbits T F F F T F T T
    out = np.asarray(jnp.sort(F, descending=True))
    np.testing.assert_array_equal(np.signbit(out), [1, 0, 0, 0, 1, 0, 1, 1])
    np.testing.assert_array_equal(out[2:], [np.inf, 1, 0, 0, -1, -np.inf])


def test_argsort_orders_and_ties():
    # JAX 0.10.2
    check(jnp.argsort(F), [3, 7, 4, 5, 6, 2, 0, 1], "int32")
    check(jnp.argsort(F, descending=True), [0, 1, 2, 6, 4, 5, 7, 3], "int32")
    y = jnp.array([3, 1, 2, 1, 3, 1])
    check(jnp.argsort(y), [1, 3, 5, 2, 0, 4], "int32")
    check(jnp.argsort(y, descending=True), [0, 4, 2, 1, 3, 5], "int32")
    check(jnp.argsort(jnp.array([3, 1, 3, 1]), descending=True, stable=False), [2, 0, 3, 1],
          "int32")
    check(jnp.argsort(jnp.array([3, 1, 3, 1]), dtype=jnp.int16), [1, 3, 0, 2], "int16")
    check(jnp.argsort(jnp.array([True, False, True])), [1, 0, 2], "int32")
    check(jnp.argsort(jnp.array([[3, 1], [2, 0]]), axis=None), [3, 1, 2, 0], "int32")
    check(jnp.sort(jnp.array([[3, 1], [2, 0]]), axis=None), [0, 1, 2, 3], "int32")


@pytest.mark.usefixtures("x64")
def test_argsort_is_int64_with_x64():
    assert jnp.argsort(jnp.array([2., 1.])).dtype == np.int64
    assert jnp.searchsorted(jnp.array([1., 2.]), 1.5).dtype == np.int32  # JAX 0.10.2


def test_sort_errors():
    with pytest.raises(TypeError, match="'kind' argument"):
        jnp.argsort(jnp.array([3, 1]), kind="stable")
    with pytest.raises(TypeError, match="'order' argument"):
        jnp.sort(jnp.array([3, 1]), order="x")
    with pytest.raises(ValueError, match="out of bounds"):
        jnp.sort(2.0)
    with pytest.raises(TypeError):
        jnp.sort([3, 1])


def test_lexsort_and_sort_complex():
    # JAX 0.10.2
    check(jnp.lexsort((jnp.array([1, 2, 1, 2]), jnp.array([0, 0, 1, 1]))), [0, 1, 2, 3],
          "int32")
    check(jnp.lexsort((jnp.array([1, 2, 1, 0]), jnp.array([1, 0, 1, 0]))), [3, 1, 0, 2],
          "int32")
    check(jnp.lexsort((jnp.array(1),)), 0, "int32")
    with pytest.raises(TypeError, match="len > 0"):
        jnp.lexsort(())
    check(jnp.sort_complex(jnp.array([3, 1, 2])), [1, 2, 3], "complex64")
    check(jnp.sort_complex(jnp.array([3., 1 + 1j, 1.])), [1, 1 + 1j, 3], "complex64")


def test_methods():
    x = jnp.array([3., 1., 2.])
    check(x.sort(), [1., 2., 3.], "float32")
    check(x.argsort(descending=True), [0, 2, 1], "int32")
    check(jnp.sort(x).searchsorted(2.5), 2, "int32")
    check(x.argpartition(1), [1, 2, 0], "int32")


# --- partition ---------------------------------------------------------------------------

def test_partition_and_argpartition_follow_jax():
    # JAX 0.10.2: the bottom part sorted ascending, the top part in top_k's order
    p = jnp.array([3., nan, 1., -0., 0., 2., -nan, 5.])
    out = np.asarray(jnp.partition(p, 3))
    np.testing.assert_array_equal(out[[1, 2, 3, 5, 6, 7]], [-0., 0., 1., 5., 3., 2.])
    np.testing.assert_array_equal(np.signbit(out[1:3]), [True, False])
    assert np.isnan(out[0]) and np.isnan(out[4])
    check(jnp.argpartition(p, 3), [6, 3, 4, 2, 0, 1, 5, 7], "int32")
    check(jnp.partition(jnp.array([5, 1, 4, 1, 3]), 2), [1, 1, 3, 5, 4], "int32")
    check(jnp.partition(jnp.array([5, 1, 4, 1, 3], jnp.uint8), 2), [1, 1, 3, 5, 4], "uint8")
    check(jnp.argpartition(jnp.array([[5, 1, 4, 1, 3], [0, 9, 8, 7, 6]]), -2, axis=1),
          [[1, 3, 4, 2, 0], [0, 4, 3, 2, 1]], "int32")
    with pytest.raises(NotImplementedError):
        jnp.partition(jnp.array([1j]), 0)


# --- searchsorted ------------------------------------------------------------------------

def test_searchsorted_nans_and_sides():
    # JAX 0.10.2
    a = jnp.array([1., 2., 2., 3., nan])
    check(jnp.searchsorted(a, jnp.array([2., nan, -0., 10., -nan])), [1, 4, 0, 4, 4], "int32")
    check(jnp.searchsorted(a, jnp.array([2., nan, -0., 10.]), side="right"), [3, 5, 0, 4],
          "int32")
    check(jnp.searchsorted(jnp.array([1, 2, 3]), 2), 1, "int32")
    check(jnp.searchsorted(jnp.array([1, 2, 3]), 2.5), 2, "int32")
    check(jnp.searchsorted(jnp.zeros(0), jnp.array([2.5, 1.])), [0, 0], "int32")
    c = jnp.array([1 + 1j, 1 + 2j, 2 + 0j, complex(nan, 0)])
    check(jnp.searchsorted(c, jnp.array([1 + 1.5j, 1 + 1j, 3 + 0j, complex(nan, 1)])),
          [1, 0, 3, 4], "int32")


def test_searchsorted_methods_on_unsorted_input():
    # JAX 0.10.2: the algorithms agree on sorted input only; each is reproduced
    u = jnp.array([3., 1., 2., 5., 0.])
    v = jnp.array([0., 1., 2., 3, 4, 5, 6])
    for m in ("scan", "scan_unrolled"):
        check(jnp.searchsorted(u, v, method=m), [0, 0, 2, 3, 3, 3, 5], "int32")
        check(jnp.searchsorted(u, v, side="right", method=m), [0, 2, 3, 3, 3, 5, 5], "int32")
    for m in ("compare_all", "sort"):
        check(jnp.searchsorted(u, v, method=m), [0, 1, 2, 3, 4, 4, 5], "int32")
        check(jnp.searchsorted(u, v, side="right", method=m), [1, 2, 3, 4, 4, 5, 5], "int32")
    check(jnp.searchsorted(u, jnp.array([2.5]), sorter=jnp.argsort(u)), [3], "int32")


def test_searchsorted_matches_numpy_on_sorted_input():
    rng = np.random.default_rng(0)
    a = np.sort(rng.integers(0, 20, 57)).astype(np.float32)
    v = rng.integers(-2, 23, (4, 6)).astype(np.float32)
    for side in ("left", "right"):
        for m in ("scan", "compare_all", "sort"):
            got = jnp.searchsorted(a, v, side=side, method=m)
            np.testing.assert_array_equal(got, np.searchsorted(a, v, side=side))
            np.testing.assert_array_equal(
                jax.jit(lambda a, v: jnp.searchsorted(a, v, side=side, method=m))(a, v),
                np.searchsorted(a, v, side=side))


def test_searchsorted_vmap_and_errors():
    a = jnp.sort(jnp.array([[3., 1., 2.], [1., 5., 2.]]), axis=1)
    got = jax.vmap(lambda a, v: jnp.searchsorted(a, v))(a, jnp.array([1.5, 2.]))
    check(got, [1, 1], "int32")
    with pytest.raises(ValueError, match="side='middle'"):
        jnp.searchsorted(a[0], 1., side="middle")
    with pytest.raises(ValueError, match="method='foo'"):
        jnp.searchsorted(a[0], 1., method="foo")
    with pytest.raises(ValueError, match="1-dimensional"):
        jnp.searchsorted(a, 1.)


# --- quantiles ---------------------------------------------------------------------------

Q2 = jnp.array([[1., 5., 2., 8.], [0., -1., 7., 7.]])
QS = jnp.array([0.1, .5, .75, 0.625])
# JAX 0.10.2: quantile(Q2, QS, axis=1, keepdims=True, method=m)[:, :, 0]
QUANTILES = {
    "linear": [[1.3, -0.7], [3.5, 3.5], [5.75, 7.], [4.625, 6.125]],
    "lower": [[1., -1.], [2., 0.], [5., 7.], [2., 0.]],
    "higher": [[2., 0.], [5., 7.], [8., 7.], [5., 7.]],
    "midpoint": [[1.5, -0.5], [3.5, 3.5], [6.5, 7.], [3.5, 3.5]],
    "nearest": [[1., -1.], [2., 0.], [5., 7.], [5., 7.]],
}
# JAX 0.10.2: nanquantile([[1, nan, 2, 8], [nan, -1, 7, nan]], 0.4, axis=(1,), method=m)
NANQUANTILES = {"linear": [1.8, 2.2], "lower": [1., -1.], "higher": [2., 7.],
                "midpoint": [1.5, 3.], "nearest": [2., -1.]}


@pytest.mark.parametrize("method", sorted(QUANTILES))
def test_quantile_methods(method):
    out = jnp.quantile(Q2, QS, axis=1, method=method, keepdims=True)
    assert out.shape == (4, 2, 1) and out.dtype == np.float32 and not out.weak_type
    np.testing.assert_allclose(np.asarray(out)[:, :, 0], QUANTILES[method], rtol=1e-6)
    x = jnp.array([[1., nan, 2., 8.], [nan, -1., 7., nan]])
    out = jnp.nanquantile(x, 0.4, axis=(1,), method=method)
    np.testing.assert_allclose(out, NANQUANTILES[method], rtol=1e-6)


def test_quantile_shapes_nans_and_dtypes():
    # JAX 0.10.2
    check(jnp.quantile(jnp.arange(10.), jnp.array([0., .33, .5, 1.]), method="nearest"),
          [0., 3., 4., 9.], "float32")
    check(jnp.median(jnp.array([1, 2, 3, 4])), 2.5, "float32")
    check(jnp.median(jnp.array([1., nan, 3.])), nan, "float32")
    check(jnp.nanmedian(jnp.array([[1., nan, 3.], [nan, nan, nan]]), axis=1), [2., nan],
          "float32")
    out = jnp.quantile(jnp.arange(24.).reshape(2, 3, 4), 0.3, axis=(0, 2), keepdims=True)
    assert out.shape == (1, 3, 1)
    np.testing.assert_allclose(np.asarray(out).ravel(), [2.1, 6.1, 10.1], rtol=1e-6)
    check(jnp.quantile(jnp.arange(4., dtype=jnp.float16), 0.5), 1.5, "float16")
    assert jnp.quantile(jnp.arange(4.), jnp.float16(0.3)).dtype == np.float32
    check(jnp.quantile(jnp.arange(4.), jnp.array([-0.5, 1.5, nan])), [0., 3., nan], "float32")
    np.testing.assert_allclose(jnp.percentile(jnp.arange(5), 40), 1.6, rtol=1e-6)
    check(jnp.nanpercentile(jnp.array([1., nan, 3.]), jnp.array([50, 100])), [2., 3.],
          "float32")
    check(jnp.nanquantile(jnp.array([[nan, nan], [1., nan]]), jnp.array([0.2, 0.8]), axis=1),
          [[nan, 1.], [nan, 1.]], "float32")
    assert jnp.median(jnp.ones((2, 3)), keepdims=True).shape == (1, 1)
    assert jnp.median(jnp.ones((1, 2, 3)), axis=(0, 2)).shape == (2,)


def test_quantile_errors():
    with pytest.raises(ValueError, match="method can only be"):
        jnp.quantile(jnp.arange(4.), 0.5, method="foo")
    with pytest.raises(ValueError, match="complex"):
        jnp.quantile(jnp.arange(4.) + 0j, 0.5)
    with pytest.raises(ValueError, match="rank <= 1"):
        jnp.quantile(jnp.arange(4.), jnp.ones((2, 2)) * 0.5)
    with pytest.raises(TypeError):
        jnp.quantile(jnp.arange(4.), 1)  # integer q: lax.floor refuses it, as in JAX
    with pytest.raises(ValueError, match="overwrite_input"):
        jnp.quantile(jnp.arange(4.), 0.5, overwrite_input=True)


def test_median_gradient_at_ties():
    # JAX 0.10.2 (median is the 'midpoint' quantile: the two middle order statistics
    # share the gradient; ties go to the stable sort's choice)
    g = jax.grad(jnp.median)(jnp.array([1., 3., 3., 2.]))
    check(g, [0., .5, 0., .5], "float32")
    g = jax.grad(jnp.median)(jnp.array([1., 2., 2., 2., 3.]))
    check(g, [0., 0., 1., 0., 0.], "float32")


def test_quantile_gradients_jax_values():
    # JAX 0.10.2
    x = jnp.array([3., 1., 2., 1., 5., 2.])
    expect = {"linear": [0, 0, .5, .5, 0, 0], "lower": [0, 0, 0, 1, 0, 0],
              "higher": [0, 0, 1, 0, 0, 0], "midpoint": [0, 0, .5, .5, 0, 0],
              "nearest": [0, 0, 0, 1, 0, 0]}
    for method, want in expect.items():
        g = jax.grad(lambda x: jnp.quantile(x, 0.3, method=method))(x)
        np.testing.assert_allclose(g, want, atol=1e-6, err_msg=method)
    xn = x.at[2].set(nan)
    np.testing.assert_array_equal(jax.grad(jnp.nanmedian)(xn), [0, 0, 0, 0, 0, 1])
    np.testing.assert_array_equal(jax.grad(jnp.median)(xn), [0, 0, 0, 0, 0, 0])


@pytest.mark.usefixtures("x64")
def test_quantile_check_grads():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 7))
    q = np.array([0.1, 0.5, 0.8])
    check_grads(lambda x: jnp.quantile(x, q, axis=1), (x,), order=2)
    check_grads(lambda x: jnp.median(x, axis=0), (x,), order=2)
    check_grads(lambda x: jnp.percentile(x, 30., axis=(0, 1), method="midpoint"), (x,), order=1)
    xn = x.copy()
    xn[0, 2] = xn[1, 5] = nan
    check_grads(lambda x: jnp.nanquantile(x, q, axis=1), (xn,), order=1)
    check_grads(lambda x: jnp.sort(x, axis=0, descending=True) ** 2, (x,), order=2)


def test_quantile_under_jit_and_vmap():
    x = jnp.array([3., 1., 2., 1., 5., 2.])
    np.testing.assert_array_equal(jax.jit(jnp.median)(x), 2.)
    np.testing.assert_array_equal(jax.vmap(jnp.median)(x.reshape(2, 3)), [2., 2.])
    np.testing.assert_array_equal(jax.vmap(jnp.nanmedian)(x.at[2].set(nan).reshape(3, 2)),
                                  [2., 1., 3.5])
    np.testing.assert_allclose(
        jax.jit(lambda x: jnp.quantile(x, 0.25, axis=1, keepdims=True))(x.reshape(2, 3)),
        [[1.5], [1.5]])


# --- unique ------------------------------------------------------------------------------

def test_unique_eager_all_outputs():
    # JAX 0.10.2
    vals, idx, inv, counts = jnp.unique(jnp.array([3., nan, 1., nan, 3., -0., 0.]),
                                        return_index=True, return_inverse=True,
                                        return_counts=True)
    out = np.asarray(vals)
    np.testing.assert_array_equal(out[:3], [0., 1., 3.])
    assert np.signbit(out[0]) and np.isnan(out[3]) and out.shape == (4,)
    check(idx, [5, 2, 0, 1], "int32")
    check(inv, [2, 3, 1, 3, 2, 0, 0], "int32")
    check(counts, [2, 1, 2, 2], "int32")
    out = np.asarray(jnp.unique(jnp.array([3., nan, 1., nan]), equal_nan=False))
    np.testing.assert_array_equal(out, [1., 3., nan, nan])
    check(jnp.unique(jnp.array([True, False, True])), [False, True], "bool")
    check(jnp.unique(3.0), [3.0], "float32", weak=True)
    c = np.asarray(jnp.unique(jnp.array([1 + 1j, complex(nan, 1), complex(1, nan), 1 + 1j])))
    assert c.shape == (2,) and c[0] == 1 + 1j and np.isnan(c[1].real) and c[1].imag == 0


def test_unique_size_and_fill_value():
    # JAX 0.10.2
    x = jnp.array([3, 1, 3, 2])
    vals, idx, inv, counts = jnp.unique(x, size=6, return_index=True, return_inverse=True,
                                        return_counts=True)
    check(vals, [1, 2, 3, 1, 1, 1], "int32")
    check(idx, [1, 3, 0, 1, 1, 1], "int32")
    check(inv, [2, 0, 2, 1], "int32")
    check(counts, [1, 1, 2, 0, 0, 0], "int32")
    vals, counts = jnp.unique(x, size=6, fill_value=-1, return_counts=True)
    check(vals, [1, 2, 3, -1, -1, -1], "int32")
    vals, counts = jnp.unique(x, size=2, return_counts=True)
    check(vals, [1, 2], "int32")
    check(counts, [1, 1], "int32")
    f = jax.jit(lambda x: jnp.unique(x, size=6, fill_value=-1, return_counts=True))
    vals, counts = f(x)
    check(vals, [1, 2, 3, -1, -1, -1], "int32")
    check(counts, [1, 1, 2, 0, 0, 0], "int32")
    v, c = jax.vmap(lambda r: jnp.unique(r, size=3, return_counts=True))(
        jnp.array([[3, 1, 3], [2, 2, 2]]))
    check(v, [[1, 3, 1], [2, 2, 2]], "int32")
    check(c, [[1, 2, 0], [3, 0, 0]], "int32")


def test_unique_axis_shapes_and_errors():
    # JAX 0.10.2
    vals, inv = jnp.unique(jnp.array([[3, 1], [3, 2]]), return_inverse=True)
    check(vals, [1, 2, 3], "int32")
    check(inv, [[2, 0], [2, 1]], "int32")
    vals, idx, inv, counts = jnp.unique(jnp.array([[3, 1], [0, 2], [3, 1]]), axis=0,
                                        return_index=True, return_inverse=True,
                                        return_counts=True)
    check(vals, [[0, 2], [3, 1]], "int32")
    check(idx, [1, 0], "int32")
    check(inv, [1, 0, 1], "int32")
    check(counts, [1, 2], "int32")
    outs = jnp.unique(jnp.zeros(0), return_index=True, return_inverse=True, return_counts=True)
    assert [o.shape for o in outs] == [(0,)] * 4
    with pytest.raises(jax.errors.ConcretizationTypeError, match="size argument"):
        jax.jit(jnp.unique)(jnp.array([1, 2]))
    r = jnp.unique_all(jnp.array([2, 1, 2]))
    check(r.values, [1, 2], "int32")
    check(r.indices, [1, 0], "int32")
    check(r.inverse_indices, [1, 0, 1], "int32")
    check(r.counts, [1, 2], "int32")
    r = jnp.unique_counts(jnp.array([1., nan, nan]))
    check(r.counts, [1, 1, 1], "int32")
    check(jnp.unique_inverse(jnp.array([2, 1, 2])).inverse_indices, [1, 0, 1], "int32")
    check(jnp.unique_values(jnp.array([2, 1, 2])), [1, 2], "int32")
