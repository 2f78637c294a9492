"""lax.sort / sort_key_val / top_k (prims/sort.py): JAX's orders (signed zeros,
NaNs, complex, several keys, ties), every dtype against a NumPy reference, the
rules (jit, vmap, jvp/grad to second order against finite differences), errors.
Expected values marked "JAX 0.10.2" were printed by JAX 0.10.2 on CPU."""
import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax import lax
from purejax._src.prims import sort as sort_mod
from purejax.test_util import check_grads

nan, inf = np.nan, np.inf


def bits_equal(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, b.dtype, a.shape, b.shape)
    if a.dtype.kind in "fc":
        assert np.array_equal(a.view(np.uint8), b.view(np.uint8)), (a, b)
    else:
        assert np.array_equal(a, b), (a, b)


# --- JAX's order -------------------------------------------------------------------

SPECIALS = np.array([nan, -nan, inf, -inf, 0., -0., 1., -1.], np.float32)


def test_float_order_signed_zeros_equal_nans_last_stable():
    # JAX 0.10.2: [-inf -1. 0. -0. 1. inf nan nan], signbits T T F T F F F T
    out = lax.sort(SPECIALS)
    expect = np.array([-inf, -1., 0., -0., 1., inf, nan, -nan], np.float32)
    bits_equal(out, expect)
    keys, idx = lax.sort_key_val(SPECIALS, np.arange(8, dtype=np.int32))
    np.testing.assert_array_equal(idx, [3, 7, 4, 5, 6, 2, 0, 1])  # JAX 0.10.2
    bits_equal(keys, expect)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.usefixtures("x64")
def test_values_only_sort_restores_input_order_of_zeros_and_nans(dtype):
    rng = np.random.default_rng(0)
    x = rng.choice(SPECIALS.astype(dtype), size=(7, 50))
    for axis in (0, 1):
        out = np.asarray(lax.sort(x, dimension=axis))
        perm = np.argsort(x, axis=axis, kind="stable")  # NumPy's stable order is JAX's
        bits_equal(out, np.take_along_axis(x, perm, axis=axis))


def test_complex_lexicographic_by_real_then_imag():
    # JAX 0.10.2 (NumPy's own complex sort puts 2+0j before 1+nanj: not ours)
    x = np.array([2 + 0j, complex(1, nan), complex(1, -0.), 1 + 0j, complex(-0., 1)],
                 np.complex64)
    out = np.asarray(lax.sort(x))
    expect = np.array([complex(-0., 1), complex(1, -0.), 1 + 0j, complex(1, nan), 2 + 0j],
                      np.complex64)
    bits_equal(out, expect)
    x = np.array([1 + 2j, 1 + 1j, complex(nan, 0), complex(nan, nan), -1 + 5j], np.complex64)
    out = np.asarray(lax.sort(x))
    np.testing.assert_array_equal(out.real[:3], [-1, 1, 1])
    np.testing.assert_array_equal(out.imag[:3], [5, 1, 2])
    assert np.isnan(out.real[3:]).all() and out.imag[3] == 0 and np.isnan(out.imag[4])


def test_several_keys():
    # JAX 0.10.2: lax.sort((k1, k2, iota), num_keys=2)
    k1 = np.array([1, 0, 1, 0, 1], np.int32)
    k2 = np.array([2., 1., nan, 1., -0.], np.float32)
    a, b, c = lax.sort((k1, k2, np.arange(5, dtype=np.int32)), num_keys=2)
    np.testing.assert_array_equal(a, [0, 0, 1, 1, 1])
    bits_equal(b, np.array([1., 1., -0., 2., nan], np.float32))
    np.testing.assert_array_equal(c, [1, 3, 4, 0, 2])


@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8,
                                   np.uint16, np.uint32, np.uint64, np.float32, np.float64])
@pytest.mark.usefixtures("x64")
def test_against_numpy_stable_sort(dtype):
    rng = np.random.default_rng(1)
    x = rng.integers(0, 5, (4, 6, 5)).astype(dtype)
    if np.dtype(dtype).kind == "u":
        x = x * (np.iinfo(dtype).max // 4)  # near the top of the range
    values = rng.standard_normal((4, 6, 5))
    for axis in range(3):
        perm = np.argsort(x, axis=axis, kind="stable")
        bits_equal(lax.sort(x, dimension=axis), np.take_along_axis(x, perm, axis))
        k, v = lax.sort_key_val(x, values, dimension=axis)
        bits_equal(v, np.take_along_axis(values, perm, axis))


def test_sort_keeps_weak_type_and_dtype():
    out = lax.sort(jnp.asarray([2.0, 1.0]) + 1.0)
    assert out.dtype == np.float32 and not out.weak_type
    w = lax.sort(lax.full((3,), 2.0, np.float32) * 1.0)
    assert w.dtype == np.float32
    x = jax.jit(lambda x: x * 2.0)(np.float32(1))
    assert x.dtype == np.float32


def test_is_stable_false_gives_the_same_values():
    x = SPECIALS[::-1].copy()
    bits_equal(lax.sort(x, is_stable=False), lax.sort(x))


def test_permutation_paths_agree():
    """The packed (key, index) path and NumPy's stable argsort give one permutation."""
    rng = np.random.default_rng(2)
    x = rng.choice(SPECIALS, size=(3, 1000))
    packed = sort_mod._sort_permutation([x], 1)
    np.testing.assert_array_equal(packed, np.argsort(x, axis=1, kind="stable"))


# --- top_k ---------------------------------------------------------------------------

def test_top_k_total_order_and_ties():
    # JAX 0.10.2: +NaN first, -NaN last, 0.0 before -0.0, equal elements lowest index first
    x = np.array([-nan, nan, 1., nan, -nan, -0., 0., -0.], np.float32)
    vals, idx = lax.top_k(x, 8)
    np.testing.assert_array_equal(idx, [1, 3, 2, 6, 5, 7, 0, 4])
    assert idx.dtype == np.int32
    bits_equal(vals, x[[1, 3, 2, 6, 5, 7, 0, 4]])
    vals, idx = lax.top_k(np.array([1., 3., 3., nan, 2., 3.], np.float32), 3)
    np.testing.assert_array_equal(idx, [3, 1, 2])
    bits_equal(vals, np.array([nan, 3., 3.], np.float32))


def test_top_k_int_bool_uint_and_axis():
    # JAX 0.10.2
    v, i = lax.top_k(np.array([[3, 1, 2, 3], [0, 0, 5, 5]], np.int32), 2)
    np.testing.assert_array_equal(v, [[3, 3], [5, 5]])
    np.testing.assert_array_equal(i, [[0, 3], [2, 3]])
    v, i = lax.top_k(np.array([True, False, True]), 2)
    np.testing.assert_array_equal(v, [True, True])
    np.testing.assert_array_equal(i, [0, 2])
    v, i = lax.top_k(np.array([3, 1, 2], np.uint8), 3)
    assert v.dtype == np.uint8
    np.testing.assert_array_equal(i, [0, 2, 1])
    x = np.array([[3, 1], [0, 2], [5, 2]], np.int32)
    v, i = lax.top_k(x, 2, axis=0)
    np.testing.assert_array_equal(v, [[5, 2], [3, 2]])
    np.testing.assert_array_equal(i, [[2, 1], [0, 2]])


@pytest.mark.usefixtures("x64")
@pytest.mark.parametrize("dtype", [np.int64, np.uint64, np.float64, np.int32, np.float32])
def test_top_k_against_reference(dtype):
    rng = np.random.default_rng(3)
    low = 0 if np.dtype(dtype).kind == "u" else -3
    x = rng.integers(low, low + 7, (5, 40)).astype(dtype)
    for k in (0, 1, 3, 40):
        v, i = lax.top_k(x, k)
        # reference: stable sort of the negated values (no NaNs, no signed zeros here)
        order = np.argsort(-x.astype(np.float64), axis=1, kind="stable")[:, :k]
        np.testing.assert_array_equal(i, order)
        np.testing.assert_array_equal(v, np.take_along_axis(x, order, 1))


def test_top_k_errors():
    with pytest.raises(ValueError, match="complex"):
        lax.top_k(np.array([1 + 2j], np.complex64), 1)
    with pytest.raises(ValueError, match="no larger than"):
        lax.top_k(np.array([1., 2.], np.float32), 3)
    with pytest.raises(ValueError, match="nonnegative"):
        lax.top_k(np.array([1., 2.], np.float32), -1)
    with pytest.raises(ValueError, match="out of bounds"):
        lax.top_k(np.float32(1), 1)


def test_sort_errors():
    with pytest.raises(TypeError, match="equal shapes"):
        lax.sort((np.zeros(3), np.zeros(4)))
    with pytest.raises(ValueError, match="num_keys"):
        lax.sort((np.zeros(3), np.zeros(3)), num_keys=3)
    with pytest.raises(ValueError, match="num_keys"):
        lax.sort(np.zeros(3), num_keys=2)
    with pytest.raises(TypeError, match="at least one"):
        lax.sort(())
    with pytest.raises(ValueError, match="out of bounds"):
        lax.sort(np.zeros((2, 3)), dimension=2)


# --- transformations ---------------------------------------------------------------------

X = np.array([[3., 1., 2., 1., 5.], [0., -1., 4., 4., 2.]], np.float32)


def test_jit_and_jaxpr():
    f = jax.jit(lambda x: lax.sort_key_val(x, -x, dimension=0))
    for got, want in zip(f(X), lax.sort_key_val(X, -X, dimension=0)):
        bits_equal(got, want)
    text = str(jax.make_jaxpr(lambda x: lax.sort(x))(X))
    assert "sort[dimension=1 is_stable=True num_keys=1]" in text
    text = str(jax.make_jaxpr(lambda x: lax.top_k(x, 2))(X))
    assert "top_k[axis=1 k=2]" in text
    v, i = jax.jit(lambda x: lax.top_k(x, 3))(X)
    np.testing.assert_array_equal(i, [[4, 0, 2], [2, 3, 4]])


def test_vmap():
    # JAX 0.10.2: vmap of sort_key_val with unbatched values
    k, v = jax.vmap(lambda a, b: lax.sort_key_val(a, b), in_axes=(0, None))(
        np.array([[2., 1., 3.], [0., 5., -1.]], np.float32), np.array([10., 20., 30.], np.float32))
    np.testing.assert_array_equal(k, [[1., 2., 3.], [-1., 0., 5.]])
    np.testing.assert_array_equal(v, [[20., 10., 30.], [30., 10., 20.]])
    for in_axes in (0, 1):
        out = jax.vmap(lambda r: lax.sort(r), in_axes=in_axes)(X)
        want = np.sort(X if in_axes == 0 else X.T, axis=-1)
        np.testing.assert_array_equal(out, want)
        v, i = jax.vmap(lambda r: lax.top_k(r, 2), in_axes=in_axes)(X)
        ref = X if in_axes == 0 else X.T
        np.testing.assert_array_equal(v, -np.sort(-ref, axis=-1)[:, :2])
    out = jax.vmap(lambda m: lax.sort(m, dimension=0), in_axes=2)(np.stack([X, -X], 2))
    np.testing.assert_array_equal(out[1], np.sort(-X, axis=0))


def test_grad_values_at_ties_and_nans():
    # JAX 0.10.2
    g = jax.grad(lambda x: lax.top_k(x, 2)[0].sum())(np.array([1., 3., 3., 2.], np.float32))
    np.testing.assert_array_equal(g, [0., 1., 1., 0.])
    g = jax.grad(lambda x: lax.sort(x)[-1])(np.array([1., 3., 3., 2.], np.float32))
    np.testing.assert_array_equal(g, [0., 0., 1., 0.])
    g = jax.grad(lambda x: lax.sort(x)[-2])(np.array([1., 3., 3., 2.], np.float32))
    np.testing.assert_array_equal(g, [0., 1., 0., 0.])
    g = jax.grad(lambda x: jnp.dot(lax.sort(x), jnp.arange(5.)))(
        np.array([3., nan, 1., -0., 0.], np.float32))
    np.testing.assert_array_equal(g, [3., 4., 2., 0., 1.])
    g = jax.grad(lambda x: jnp.dot(lax.top_k(x, 3)[0], jnp.arange(1., 4.)))(
        np.array([3., nan, 1., 3., 0.], np.float32))
    np.testing.assert_array_equal(g, [2., 1., 0., 3., 0.])
    g = jax.grad(lambda v: jnp.dot(lax.sort_key_val(jnp.array([2., 1., 2., 0.]), v)[1],
                                   jnp.arange(4.)))(np.ones(4, np.float32))
    np.testing.assert_array_equal(g, [2., 1., 3., 0.])


@pytest.mark.usefixtures("x64")
def test_check_grads_second_order():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 5))
    y = rng.standard_normal((3, 5))
    check_grads(lambda x: lax.sort(x) ** 2, (x,), order=2)
    check_grads(lambda x: lax.sort(x, dimension=0) * np.arange(5.), (x,), order=2)
    check_grads(lambda x, y: lax.sort_key_val(x, y)[1] * lax.sort(x), (x, y), order=2)
    check_grads(lambda x, y: lax.sort((x, y, x * y), num_keys=2)[2], (x, y), order=2)
    check_grads(lambda x: lax.top_k(x, 3)[0] ** 3, (x,), order=2)
    check_grads(lambda x: lax.top_k(x, 2, axis=0)[0], (x,), order=2)
    check_grads(jax.vmap(lambda r: lax.sort(r) * r), (x,), order=2)
    check_grads(lambda x: jax.jit(lax.sort)(x) ** 2, (x,), order=1)


def test_jvp_of_integer_operands_is_float0():
    keys = np.array([2, 0, 1], np.int32)

    def f(v):
        return lax.sort_key_val(keys, v)[1]

    out, t = jax.jvp(f, (np.array([1., 2., 3.], np.float32),),
                     (np.array([10., 20., 30.], np.float32),))
    np.testing.assert_array_equal(out, [2., 3., 1.])
    np.testing.assert_array_equal(t, [20., 30., 10.])


def test_subnormals_sort_as_zero_in_float32_and_float64_not_float16():
    # JAX 0.10.2 (XLA's CPU compares float32/float64 subnormals as zero; top_k keeps
    # the total order of the bits)
    x = np.array([0., -1e-40, 1e-40, -0., -1e-45], np.float32)
    np.testing.assert_array_equal(lax.sort_key_val(x, np.arange(5, dtype=np.int32))[1],
                                  [0, 1, 2, 3, 4])
    bits_equal(lax.sort(x), x)
    bits_equal(lax.sort(np.stack([x, 2 * x]), dimension=1), np.stack([x, 2 * x]))
    np.testing.assert_array_equal(lax.top_k(x, 5)[1], [2, 0, 3, 4, 1])
    h = np.array([0., -1e-6, 1e-6, -0., -6e-8], np.float16)
    np.testing.assert_array_equal(lax.sort_key_val(h, np.arange(5, dtype=np.int32))[1],
                                  [1, 4, 0, 3, 2])


@pytest.mark.usefixtures("x64")
def test_float64_subnormals_and_complex_parts_sort_as_zero():
    x = np.array([0., -1e-310, 1e-310, -0., -5e-324], np.float64)
    np.testing.assert_array_equal(lax.sort_key_val(x, np.arange(5))[1], [0, 1, 2, 3, 4])
    bits_equal(lax.sort(x), x)
    c = np.array([complex(1e-40, 0), complex(0, 1e-40), complex(-1e-40, -1e-40), 0j],
                 np.complex64)
    np.testing.assert_array_equal(lax.sort_key_val(c, np.arange(4))[1], [0, 1, 2, 3])
