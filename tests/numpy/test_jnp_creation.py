"""Array creation: array/asarray, zeros/ones/full/empty(_like), arange, linspace,
eye/identity/tri/tril/triu, diag/diagonal/trace."""
import warnings

import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax._src.errors import ConcretizationTypeError



def _check(got, expected, dtype=None):
    got_np = np.asarray(got)
    np.testing.assert_allclose(got_np, expected, rtol=1e-6, atol=1e-6)
    assert got_np.shape == np.shape(expected)
    if dtype is not None:
        assert got.dtype == np.dtype(dtype), (got.dtype, dtype)


def test_array_dtypes():
    assert jnp.array([1., 2.]).dtype == np.float32
    assert jnp.array([1, 2]).dtype == np.int32
    assert jnp.array([1, 2.]).dtype == np.float32
    assert jnp.array([True, 1]).dtype == np.int32
    assert jnp.array([1 + 1j]).dtype == np.complex64
    assert jnp.array(np.arange(3)).dtype == np.int32
    assert jnp.asarray(np.ones(3, np.float64)).dtype == np.float32
    assert jnp.array([np.float16(1), 2.]).dtype == np.float16
    assert jnp.array([], ).dtype == np.float32
    assert jnp.array([[1, 2], [3, 4]], dtype=jnp.float32).dtype == np.float32
    assert jnp.array(1, dtype=jnp.int8).dtype == np.int8
    assert jnp.array([1., 2.], ndmin=3).shape == (1, 1, 2)
    assert jnp.array(jnp.array([1, 2]), dtype=jnp.float32).dtype == np.float32
    assert jnp.array([jnp.array(1.), jnp.array(2.)]).shape == (2,)


def test_array_of_tracers_stacks():
    def f(x, y):
        return jnp.array([[x, y], [y, 1.0]])
    out = f(2.0, 3.0)
    _check(out, [[2., 3.], [3., 1.]], np.float32)
    _check(jax.vmap(f)(jnp.arange(2.), jnp.ones(2))[1], [[1., 1.], [1., 1.]])
    g = jax.grad(lambda x: jnp.sum(jnp.array([x, 2 * x]) ** 2))(1.5)
    assert np.isclose(float(g), 2 * 1.5 + 8 * 1.5)
    jaxpr = jax.make_jaxpr(lambda x: jnp.array([x, x]))(np.float32(1))
    assert "concatenate" in str(jaxpr)


def test_asarray_returns_same_object():
    x = jnp.ones(3)
    assert jnp.asarray(x) is x
    assert jnp.asarray(x, dtype=jnp.float32) is x
    assert jnp.asarray(x, dtype=jnp.int32).dtype == np.int32


def test_x64_requested_dtype_warns():
    with pytest.warns(UserWarning, match="Explicitly requested dtype float64"):
        out = jnp.zeros(2, dtype=np.float64)
    assert out.dtype == np.float32


def test_x64_dtypes(x64):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert jnp.zeros(2, dtype=np.float64).dtype == np.float64
    assert jnp.array([1.]).dtype == np.float64
    assert jnp.arange(3).dtype == np.int64
    assert jnp.arange(3.).dtype == np.float64
    assert jnp.ones(2).dtype == np.float64


def test_zeros_ones_full_empty():
    _check(jnp.zeros((2, 3)), np.zeros((2, 3)), np.float32)
    _check(jnp.ones(4, dtype=jnp.int32), np.ones(4), np.int32)
    _check(jnp.empty((2,)), np.zeros(2), np.float32)
    _check(jnp.full((2, 2), 7), np.full((2, 2), 7), np.int32)
    assert jnp.full((2, 2), 7).weak_type
    _check(jnp.full((2, 3), jnp.array([1., 2., 3.])), np.tile([1., 2., 3.], (2, 1)))
    _check(jnp.full(3, 1.5, dtype=jnp.float16), np.full(3, 1.5), np.float16)
    assert jnp.zeros(()).shape == ()
    assert jnp.zeros(np.int64(3)).shape == (3,)
    with pytest.raises(ValueError, match="negative"):
        jnp.zeros((-1, 2))
    with pytest.raises(TypeError):
        jnp.zeros((2.5,))


def test_like_functions():
    x = jnp.array([[1, 2, 3]], dtype=jnp.int8)
    _check(jnp.zeros_like(x), np.zeros((1, 3)), np.int8)
    _check(jnp.ones_like(x, dtype=jnp.float32), np.ones((1, 3)), np.float32)
    _check(jnp.full_like(x, 5), np.full((1, 3), 5), np.int8)
    _check(jnp.full_like(x, 2.7), np.full((1, 3), 2), np.int8)
    _check(jnp.empty_like(x, shape=(2,)), np.zeros(2), np.int8)
    _check(jnp.full_like(x, jnp.array([1, 2, 3])), [[1, 2, 3]], np.int8)
    _check(jnp.zeros_like(3.0), 0.0, np.float32)
    assert jnp.zeros_like(3.0).weak_type
    with pytest.raises(TypeError):
        jnp.zeros_like([1, 2])


@pytest.mark.parametrize("args, kwargs", [
    ((5,), {}), ((2, 7), {}), ((1, 10, 3), {}), ((10, 1, -2), {}), ((3.,), {}),
    ((0.5, 2.5, 0.5), {}), ((0, 1, 0.1), {}), ((4,), {"dtype": jnp.float32}),
    ((-3,), {}), ((2.5,), {}),
])
def test_arange(args, kwargs):
    got = jnp.arange(*args, **kwargs)
    exp = np.arange(*args, **kwargs)
    assert got.shape == exp.shape
    np.testing.assert_allclose(np.asarray(got), exp, rtol=1e-6, atol=1e-6)
    if "dtype" not in kwargs:
        assert got.dtype == (np.float32 if any(isinstance(a, float) for a in args)
                             else np.int32)
    assert not got.weak_type


def test_arange_must_be_concrete_and_uses_iota():
    with pytest.raises(ConcretizationTypeError):
        jax.make_jaxpr(lambda n: jnp.arange(n))(3)
    jaxpr = jax.make_jaxpr(lambda: jnp.arange(4))()
    assert "iota" in str(jaxpr)


@pytest.mark.parametrize("kwargs", [
    {"num": 5}, {"num": 5, "endpoint": False}, {"num": 1}, {"num": 0}, {"num": 7},
    {"num": 4, "dtype": jnp.int32}, {"num": 2, "endpoint": False},
])
def test_linspace(kwargs):
    got = jnp.linspace(-1.0, 3.0, **kwargs)
    exp = np.linspace(-1.0, 3.0, **kwargs)
    assert got.shape == exp.shape
    np.testing.assert_allclose(np.asarray(got), exp, rtol=1e-6, atol=1e-6)
    assert got.dtype == np.dtype(kwargs.get("dtype", np.float32))


def test_linspace_retstep_axis_and_arrays():
    got, step = jnp.linspace(0., 1., 5, retstep=True)
    exp, estep = np.linspace(0., 1., 5, retstep=True)
    _check(got, exp)
    assert np.isclose(float(step), estep)
    got = jnp.linspace(jnp.array([0., 1.]), jnp.array([1., 3.]), 3, axis=-1)
    _check(got, np.linspace([0., 1.], [1., 3.], 3, axis=-1))
    got = jnp.linspace(jnp.array([0., 1.]), 2., 4)
    _check(got, np.linspace([0., 1.], 2., 4))
    g = jax.grad(lambda a: jnp.sum(jnp.linspace(a, 2.0, 3)))(0.5)
    assert np.isclose(float(g), 1.5)
    _check(jnp.linspace(0, 10, 6), np.linspace(0, 10, 6), np.float32)


def test_eye_identity_tri():
    for n, m, k in [(3, None, 0), (3, 4, 1), (4, 2, -1), (2, 2, 5), (0, None, 0)]:
        _check(jnp.eye(n, m, k), np.eye(n, m, k), np.float32)
        _check(jnp.tri(n, m, k), np.tri(n, m, k), np.float32)
    _check(jnp.eye(3, dtype=jnp.int32), np.eye(3), np.int32)
    _check(jnp.identity(2, dtype=bool), np.identity(2, dtype=bool), np.bool_)
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    for k in (-1, 0, 2):
        _check(jnp.tril(x, k), np.tril(x, k))
        _check(jnp.triu(x, k), np.triu(x, k))
    with pytest.raises(ValueError):
        jnp.tril(jnp.ones(3))


def test_diag_diagonal_trace():
    v = np.array([1., 2., 3.], np.float32)
    for k in (-2, 0, 1):
        _check(jnp.diag(v, k), np.diag(v, k))
    m = np.arange(12, dtype=np.float32).reshape(3, 4)
    for k in (-2, -1, 0, 1, 3, 5):
        _check(jnp.diag(m, k), np.diag(m, k))
        _check(jnp.diagonal(m, k), np.diagonal(m, k))
        _check(jnp.trace(m, k), np.trace(m, k))
    t = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    _check(jnp.diagonal(t, 1, 1, 2), np.diagonal(t, 1, 1, 2))
    _check(jnp.diagonal(t, 0, 2, 0), np.diagonal(t, 0, 2, 0))
    _check(jnp.trace(t, axis1=1, axis2=2), np.trace(t, axis1=1, axis2=2))
    assert jnp.trace(jnp.eye(3, dtype=jnp.int8)).dtype == np.int32
    _check(jnp.diagflat(np.array([[1., 2.]])), np.diagflat([[1., 2.]]))
    g = jax.grad(lambda a: jnp.trace(a @ a))(jnp.array(m[:, :3]))
    _check(g, 2 * m[:, :3].T)


def test_eye_with_traced_k():
    out = jax.vmap(lambda k: jnp.eye(3, k=k))(jnp.array([0, 1]))
    _check(out, np.stack([np.eye(3), np.eye(3, k=1)]))
