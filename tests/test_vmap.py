"""vmap: in_axes/out_axes specs, nesting, pytrees, axis_size, composition, errors."""
import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax import grad, jit, jvp, vmap


def loop(f, *args, in_axes=0):
    axes = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(args)
    n = next(np.shape(a)[ax] for a, ax in zip(args, axes) if ax is not None)
    return np.stack([np.asarray(f(*[a if ax is None else np.take(np.asarray(a), i, axis=ax)
                                    for a, ax in zip(args, axes)])) for i in range(n)])


def test_in_axes_variants():
    f = lambda x, y: jnp.dot(x, y) + jnp.sum(x)
    x = np.arange(12.).reshape(3, 4).astype(np.float32)
    y = np.arange(4.).astype(np.float32)
    np.testing.assert_allclose(vmap(f, in_axes=(0, None))(x, y), loop(f, x, y, in_axes=(0, None)))
    np.testing.assert_allclose(vmap(f, in_axes=(1, None))(x.T, y), loop(f, x, y, in_axes=(0, None)))
    np.testing.assert_allclose(vmap(f, in_axes=(-1, None))(x.T, y), loop(f, x, y, in_axes=(0, None)))
    np.testing.assert_allclose(vmap(f, in_axes=[0, None])(x, y), loop(f, x, y, in_axes=(0, None)))


def test_out_axes():
    f = lambda x: (x * 2, jnp.sum(x))
    x = jnp.arange(6.).reshape(2, 3)
    a, b = vmap(f, out_axes=(1, 0))(x)
    assert a.shape == (3, 2) and b.shape == (2,)
    a, = vmap(lambda x: (x,), out_axes=-1)(x)
    assert a.shape == (3, 2)
    c = vmap(lambda x, y: y, in_axes=(0, None), out_axes=None)(x, 5.)
    assert float(c) == 5.0
    with pytest.raises(ValueError, match="out_axes is None"):
        vmap(lambda x: x, out_axes=None)(x)


def test_nested_vmap_and_pytrees():
    x = jnp.arange(24.).reshape(2, 3, 4)
    out = vmap(vmap(lambda v: jnp.sum(v ** 2)))(x)
    np.testing.assert_allclose(out, np.sum(np.asarray(x) ** 2, axis=-1))
    tree = {"a": jnp.ones((3, 2)), "b": (jnp.arange(3.), 7.)}
    out = vmap(lambda t: t["a"] * t["b"][0] + t["b"][1], in_axes=({"a": 0, "b": (0, None)},))(tree)
    np.testing.assert_allclose(out, np.ones((3, 2)) * np.arange(3.)[:, None] + 7)


def test_axis_size_when_nothing_mapped():
    out = vmap(lambda x: x + 1, in_axes=None, axis_size=4)(2.)
    np.testing.assert_allclose(out, [3., 3., 3., 3.])
    with pytest.raises(ValueError, match="axis_size"):
        vmap(lambda x: x, in_axes=None)(2.)


def test_per_example_gradients_and_compositions():
    w = jnp.array([0.5, -1.0, 2.0])
    xs = jnp.arange(12.).reshape(4, 3) / 10
    ys = jnp.array([0., 1., 1., 0.])

    def loss(w, x, y):
        p = jax.nn.sigmoid(jnp.dot(x, w))
        return -(y * jnp.log(p) + (1 - y) * jnp.log(1 - p))

    per_ex = vmap(grad(loss), in_axes=(None, 0, 0))(w, xs, ys)
    ref = loop(lambda x, y: grad(loss)(w, x, y), xs, ys)
    np.testing.assert_allclose(per_ex, ref, rtol=1e-5)
    np.testing.assert_allclose(vmap(jit(grad(loss)), in_axes=(None, 0, 0))(w, xs, ys), ref, rtol=1e-5)
    total = grad(lambda w: jnp.sum(vmap(loss, in_axes=(None, 0, 0))(w, xs, ys)))(w)
    np.testing.assert_allclose(total, ref.sum(0), rtol=1e-5)
    _, t = jvp(lambda w: vmap(loss, in_axes=(None, 0, 0))(w, xs, ys), (w,), (jnp.ones(3),))
    np.testing.assert_allclose(t, ref.sum(1), rtol=1e-5)


def test_inconsistent_sizes_error_names_arguments():
    def f(x, y):
        return x + y
    with pytest.raises(ValueError) as e:
        vmap(f)(jnp.ones(3), jnp.ones(4))
    msg = str(e.value)
    assert "inconsistent sizes" in msg and "x" in msg and "y" in msg and "3" in msg and "4" in msg


def test_in_axes_errors():
    with pytest.raises(ValueError, match="in_axes"):
        vmap(lambda x, y: x, in_axes=(0, 0, 0))(jnp.ones(2), jnp.ones(2))
    with pytest.raises(ValueError, match="tree prefix|specification"):
        vmap(lambda d: d["a"], in_axes=({"b": 0},))({"a": jnp.ones(2)})
    with pytest.raises(ValueError, match="rank"):
        vmap(lambda x: x, in_axes=1)(jnp.ones(3))
    with pytest.raises(TypeError, match="in_axes"):
        vmap(lambda x: x, in_axes="0")(jnp.ones(3))
