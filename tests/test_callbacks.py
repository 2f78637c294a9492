"""pure_callback and custom_vmap."""
import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax import custom_jvp, grad, jit, vmap
from purejax.custom_batching import custom_vmap


def _np_sin(calls):
    def cb(x):
        calls.append(np.shape(x))
        assert isinstance(x, np.ndarray)
        return np.sin(x)
    return cb


def test_eager_and_jit_call_at_run_time():
    calls = []
    f = lambda x: jax.pure_callback(_np_sin(calls), jax.ShapeDtypeStruct(x.shape, x.dtype), x)
    x = jnp.arange(3.)
    np.testing.assert_allclose(f(x), np.sin(np.arange(3.)), rtol=1e-6)
    assert calls == [(3,)]
    jf = jit(f)
    jf(x)
    jf(x)
    assert calls == [(3,), (3,), (3,)]  # once per call, none at trace time


@pytest.mark.parametrize("method,expected_shapes", [
    ("sequential", [(3,), (3,)]),
    ("expand_dims", [(2, 3)]),
    ("broadcast_all", [(2, 3)]),
    ("legacy_vectorized", [(2, 3)]),
])
def test_vmap_methods(method, expected_shapes):
    calls = []

    def f(x):
        return jax.pure_callback(_np_sin(calls), jax.ShapeDtypeStruct(x.shape, x.dtype), x,
                                 vmap_method=method)
    xs = jnp.arange(6.).reshape(2, 3)
    np.testing.assert_allclose(vmap(f)(xs), np.sin(np.arange(6.).reshape(2, 3)), rtol=1e-6)
    assert calls == expected_shapes


def test_vmap_methods_with_unbatched_argument():
    seen = []

    def cb(x, y):
        seen.append((x.shape, y.shape))
        return x * y

    def f(x, y):
        return jax.pure_callback(cb, jax.ShapeDtypeStruct(x.shape, x.dtype), x, y,
                                 vmap_method="expand_dims")
    out = vmap(f, in_axes=(0, None))(jnp.ones((2, 3)), jnp.arange(3.))
    np.testing.assert_allclose(out, np.tile(np.arange(3.), (2, 1)))
    assert seen == [((2, 3), (1, 3))]
    seen.clear()

    def g(x, y):
        return jax.pure_callback(cb, jax.ShapeDtypeStruct(x.shape, x.dtype), x, y,
                                 vmap_method="broadcast_all")
    vmap(g, in_axes=(0, None))(jnp.ones((2, 3)), jnp.arange(3.))
    assert seen == [((2, 3), (2, 3))]


def test_vmap_without_method_raises():
    f = lambda x: jax.pure_callback(np.sin, jax.ShapeDtypeStruct(x.shape, x.dtype), x)
    with pytest.raises(NotImplementedError, match="vmap_method"):
        vmap(f)(jnp.ones((2, 3)))


def test_differentiation_needs_custom_rule():
    f = lambda x: jax.pure_callback(np.sin, jax.ShapeDtypeStruct(x.shape, x.dtype), x)
    with pytest.raises(TypeError, match="custom_jvp"):
        grad(lambda x: jnp.sum(f(x)))(jnp.ones(2))

    @custom_jvp
    def sin_cb(x):
        return jax.pure_callback(np.sin, jax.ShapeDtypeStruct(x.shape, x.dtype), x,
                                 vmap_method="sequential")

    @sin_cb.defjvp
    def _(primals, tangents):
        (x,), (t,) = primals, tangents
        cos = jax.pure_callback(np.cos, jax.ShapeDtypeStruct(x.shape, x.dtype), x,
                                vmap_method="sequential")
        return sin_cb(x), cos * t

    np.testing.assert_allclose(grad(sin_cb)(0.5), np.cos(0.5), rtol=1e-6)
    np.testing.assert_allclose(jit(grad(sin_cb))(0.5), np.cos(0.5), rtol=1e-6)
    np.testing.assert_allclose(vmap(grad(sin_cb))(jnp.arange(3.)), np.cos(np.arange(3.)),
                               rtol=1e-6)
    with pytest.raises(TypeError, match="custom_jvp"):  # the rule's own callback has no rule
        grad(grad(sin_cb))(0.5)


def test_result_mismatch_is_reported():
    f = lambda x: jax.pure_callback(lambda x: np.ones(4, np.float32),
                                    jax.ShapeDtypeStruct((3,), jnp.float32), x)
    with pytest.raises(RuntimeError, match=r"shape \(4,\)"):
        f(jnp.ones(3))


def test_custom_vmap_rule_used_and_composes():
    calls = []

    @custom_vmap
    def f(x):
        return jnp.sin(x)

    @f.def_vmap
    def rule(axis_size, in_batched, x):
        calls.append((axis_size, in_batched))
        return jnp.cos(x), in_batched[0]  # deliberately different: proves the rule ran

    x = jnp.arange(3.)
    np.testing.assert_allclose(f(1.), np.sin(1.), rtol=1e-6)
    np.testing.assert_allclose(vmap(f)(x), np.cos(np.arange(3.)), rtol=1e-6)
    np.testing.assert_allclose(jit(vmap(f))(x), np.cos(np.arange(3.)), rtol=1e-6)
    np.testing.assert_allclose(vmap(jit(f))(x), np.cos(np.arange(3.)), rtol=1e-6)
    assert calls and calls[0] == (3, [True])
    np.testing.assert_allclose(grad(f)(1.), np.cos(1.), rtol=1e-6)  # through the primal
    np.testing.assert_allclose(vmap(vmap(f))(jnp.ones((2, 3))), np.cos(np.ones((2, 3))),
                               rtol=1e-6)


def test_custom_vmap_rule_errors():
    @custom_vmap
    def f(x):
        return x * 2

    @f.def_vmap
    def rule(axis_size, in_batched, x):
        return x[0], True  # wrong shape for a batched output

    with pytest.raises(TypeError, match="expected"):
        vmap(f)(jnp.ones((3, 2)))
