"""purejax.nn: activation values against closed forms, stability at large inputs,
custom derivatives at kinks, softmax/log_softmax/logsumexp semantics and gradients."""
import math

import numpy as np
import pytest

import purejax as jax
import purejax.nn as nn
import purejax.numpy as jnp
from purejax.test_util import check_grads

X = np.array([-3.0, -1.0, -0.25, 0.0, 0.5, 2.0, 7.0], np.float32)



def _close(got, expected, rtol=1e-5, atol=1e-6):
    got = np.asarray(got)
    assert got.shape == np.shape(expected), (got.shape, np.shape(expected))
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


_erf = np.vectorize(math.erf)

CLOSED_FORMS = [
    ("sigmoid", _sigmoid),
    ("relu", lambda x: np.maximum(x, 0)),
    ("relu6", lambda x: np.minimum(np.maximum(x, 0), 6)),
    ("softplus", lambda x: np.log1p(np.exp(x))),
    ("soft_sign", lambda x: x / (np.abs(x) + 1)),
    ("silu", lambda x: x * _sigmoid(x)),
    ("swish", lambda x: x * _sigmoid(x)),
    ("log_sigmoid", lambda x: np.log(_sigmoid(x))),
    ("elu", lambda x: np.where(x > 0, x, np.expm1(x))),
    ("leaky_relu", lambda x: np.where(x >= 0, x, 0.01 * x)),
    ("celu", lambda x: np.maximum(x, 0) + np.expm1(np.minimum(x, 0))),
    ("selu", lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 *
                                                     np.expm1(x))),
    ("hard_tanh", lambda x: np.clip(x, -1, 1)),
    ("hard_sigmoid", lambda x: np.clip(x + 3, 0, 6) / 6),
    ("hard_silu", lambda x: x * np.clip(x + 3, 0, 6) / 6),
    ("gelu", lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))),
]


@pytest.mark.parametrize("name, ref", CLOSED_FORMS, ids=[c[0] for c in CLOSED_FORMS])
def test_activation_values(name, ref):
    got = getattr(nn, name)(jnp.array(X))
    assert got.dtype == np.float32
    _close(got, ref(X.astype(np.float64)))


def test_gelu_exact():
    _close(nn.gelu(X, approximate=False), 0.5 * X * (1 + _erf(X / np.sqrt(2))))


def test_large_inputs_are_stable():
    big = jnp.array([-1e4, -100., 100., 1e4], jnp.float32)
    _close(nn.softplus(big), [0., 0., 100., 1e4])
    _close(nn.log_sigmoid(big), [-1e4, -100., 0., 0.])
    _close(nn.sigmoid(big), [0., 0., 1., 1.])
    _close(nn.silu(big), [0., 0., 100., 1e4])
    _close(nn.elu(big), [-1., -1., 100., 1e4])
    assert np.all(np.isfinite(np.asarray(jax.vmap(jax.grad(nn.softplus))(big))))
    assert np.all(np.isfinite(np.asarray(jax.vmap(jax.grad(nn.elu))(big))))


def test_relu_family_derivatives_at_kinks():
    assert float(jax.grad(nn.relu)(0.0)) == 0.0
    assert float(jax.grad(nn.relu)(2.0)) == 1.0
    assert float(jax.grad(nn.relu)(-2.0)) == 0.0
    assert float(jax.grad(nn.relu6)(0.0)) == 0.0
    assert float(jax.grad(nn.relu6)(6.0)) == 0.0
    assert float(jax.grad(nn.relu6)(3.0)) == 1.0
    out, t = jax.jvp(nn.relu, (jnp.array([-1., 0., 1.]),), (jnp.ones(3),))
    _close(out, [0., 0., 1.])
    _close(t, [0., 0., 1.])
    _close(jax.vmap(jax.grad(nn.relu))(jnp.array([-1., 0., 1.])), [0., 0., 1.])
    assert float(jax.grad(nn.leaky_relu)(0.0)) == 1.0
    assert float(jax.grad(nn.hard_tanh)(0.5)) == 1.0
    assert float(jax.grad(nn.hard_tanh)(2.0)) == 0.0
    assert "custom_jvp" in str(jax.make_jaxpr(nn.relu)(1.0))


def test_relu_family_masks_inf_and_nan_tangents_as_jax_does():
    """JAX's rules select the tangent (lax.select(x > 0, g, 0)): an inf or NaN tangent or
    cotangent at an inactive unit gives 0, not the NaN that g * (x > 0) would give; an
    active unit passes it through. Values from JAX 0.10.2."""
    inf, nan = np.inf, np.nan
    x = jnp.array([-1., -1., 0., 2., 2.], jnp.float32)
    g = jnp.array([inf, nan, inf, nan, inf], jnp.float32)
    want = np.array([0., 0., 0., nan, inf], np.float32)
    for name, got in [
            ("vjp", jax.vjp(nn.relu, x)[1](g)[0]),
            ("jvp", jax.jvp(nn.relu, (x,), (g,))[1]),
            ("jit vjp", jax.jit(lambda x, g: jax.vjp(nn.relu, x)[1](g)[0])(x, g)),
            ("vmap vjp", jax.vmap(lambda x, g: jax.vjp(nn.relu, x)[1](g)[0])(x, g))]:
        np.testing.assert_array_equal(np.asarray(got), want, err_msg=name)
    x6 = jnp.array([-1., 7., 6., 3., 3.], jnp.float32)
    want6 = np.array([0., 0., 0., nan, inf], np.float32)
    np.testing.assert_array_equal(np.asarray(jax.vjp(nn.relu6, x6)[1](g)[0]), want6)
    np.testing.assert_array_equal(np.asarray(jax.jvp(nn.relu6, (x6,), (g,))[1]), want6)
    # an overflowing loss: the dead unit's weight keeps a finite gradient
    loss = lambda w: jnp.sum(nn.relu(w * jnp.array([1., -1.], jnp.float32)) * 1e38) * 1e38
    np.testing.assert_array_equal(np.asarray(jax.grad(loss)(jnp.float32(1.0))), np.float32(inf))
    dead = jax.grad(lambda w: jnp.sum(nn.relu(-w) * 1e38 * 1e38))(jnp.ones(2, jnp.float32))
    np.testing.assert_array_equal(np.asarray(dead), np.zeros(2, np.float32))
    assert np.signbit(np.asarray(dead)).all()  # -0., through the negation, as in JAX


def test_sparse_plus_is_a_positive_zero_below_minus_one():
    """JAX's where(x <= -1, 0., ...): +0 there, also at -inf (x * 0 gave -0 and NaN)."""
    x = jnp.array([-np.inf, -3.0, -1.0, 0.0, 1.0, 2.0], jnp.float32)
    got = np.asarray(nn.sparse_plus(x))
    np.testing.assert_array_equal(got, [0.0, 0.0, 0.0, 0.25, 1.0, 2.0])
    assert not np.signbit(got).any()
    g = np.asarray(jax.vmap(jax.grad(nn.sparse_plus))(x))
    # JAX 0.10.2's too: NaN at -inf, from the untaken branch's derivative times 0
    np.testing.assert_array_equal(g, [np.nan, 0.0, 0.0, 0.5, 1.0, 1.0])


def test_softplus_grad_is_sigmoid(x64):
    x = jnp.array([-30., -2., 0., 2., 30., 700.], dtype=jnp.float64)
    _close(jax.vmap(jax.grad(nn.softplus))(x), _sigmoid(np.asarray(x)), rtol=1e-12)


def test_softmax():
    x = np.array([[1., 2., 3.], [1000., 1001., 1002.], [-np.inf, 0., 0.]], np.float32)
    out = nn.softmax(x)
    _close(np.sum(np.asarray(out), axis=-1), np.ones(3))
    e = np.exp([1., 2., 3.] - np.max([1., 2., 3.]))
    _close(out[0], e / e.sum())
    _close(out[1], e / e.sum())
    _close(out[2], [0., 0.5, 0.5])
    _close(nn.softmax(x[:2], axis=0)[:, 0], [0., 1.])
    w = np.array([True, True, False])
    _close(nn.softmax(np.array([1., 2., 3.]), where=w),
           np.append(np.exp([1., 2.]) / np.exp([1., 2.]).sum(), 0.))
    assert nn.softmax(jnp.arange(3)).dtype == np.float32


def test_log_softmax():
    x = np.array([[1., 2., 3.], [1000., 1001., 1002.]], np.float32)
    ref = np.array([1., 2., 3.]) - np.log(np.exp([1., 2., 3.]).sum())
    _close(nn.log_softmax(x), np.stack([ref, ref]), rtol=1e-5, atol=1e-5)
    assert np.all(np.isfinite(np.asarray(nn.log_softmax(jnp.array([1e30, 0., -1e30])))))
    w = np.array([True, False, True])
    out = nn.log_softmax(np.array([1., 2., 3.]), where=w)
    assert np.isneginf(float(out[1]))
    _close(np.asarray(out)[[0, 2]], np.array([1., 3.]) - np.log(np.exp([1., 3.]).sum()))


def test_softmax_grads(x64):
    x = jnp.array([[0.5, -1.0, 2.0], [3.0, 0.1, -0.2]], dtype=jnp.float64)
    check_grads(nn.softmax, (x,), order=2)
    check_grads(lambda v: nn.softmax(v, axis=0), (x,), order=2)
    check_grads(nn.log_softmax, (x,), order=2)
    g = jax.grad(lambda v: jnp.sum(nn.softmax(v)))(x)
    _close(g, np.zeros((2, 3)), atol=1e-12)
    g = jax.grad(lambda v: nn.log_softmax(v)[0, 0])(x)
    sm = np.asarray(nn.softmax(x))[0]
    _close(g[0], np.array([1., 0., 0.]) - sm, rtol=1e-10)


def test_logsumexp_values():
    a = np.array([[1., 2., 3.], [-np.inf, 0., np.log(2.)], [-np.inf, -np.inf, -np.inf]],
                 np.float32)
    with np.errstate(all="ignore"):
        ref = np.log(np.sum(np.exp(a.astype(np.float64)), axis=1))
    _close(nn.logsumexp(a, axis=1), ref)
    _close(nn.logsumexp(a[:2]), np.log(np.sum(np.exp(a[:2].astype(np.float64)))))
    _close(nn.logsumexp(a, axis=1, keepdims=True), ref[:, None])
    _close(nn.logsumexp(jnp.array([1000., 1000.])), 1000. + np.log(2.))
    assert np.isinf(float(nn.logsumexp(jnp.array([np.inf, 1.]))))
    b = np.array([1., -1., 2.], np.float32)
    _close(nn.logsumexp(np.array([1., 2., 3.]), b=b),
           np.log(np.sum(b * np.exp([1., 2., 3.]))))
    out, sign = nn.logsumexp(np.array([2., 1.]), b=np.array([-1., 0.5]), return_sign=True)
    _close(out, np.log(np.abs(-np.exp(2.) + 0.5 * np.exp(1.))))
    _close(sign, -1.)
    assert np.isnan(float(nn.logsumexp(np.array([2., 1.]), b=np.array([-1., 0.5]))))
    _close(nn.logsumexp(np.array([1., 2., 3.]), where=np.array([True, False, True])),
           np.log(np.exp(1.) + np.exp(3.)))
    _close(nn.logsumexp(np.ones((2, 3, 4)), axis=(0, 2)), np.full(3, 1 + np.log(8.)))


def test_logsumexp_grads(x64):
    a = jnp.array([[0.3, -1.2, 2.0], [5.0, 5.0, -3.0]], dtype=jnp.float64)
    check_grads(lambda v: nn.logsumexp(v, axis=1), (a,), order=2)
    check_grads(nn.logsumexp, (a,), order=2)
    check_grads(lambda v, w: nn.logsumexp(v, b=w, axis=0), (a, jnp.abs(a) + 0.5), order=1)
    g = jax.grad(nn.logsumexp)(jnp.array([0.0, -np.inf, 1.0]))
    e = np.exp([0.0, 1.0]) / np.exp([0.0, 1.0]).sum()
    _close(g, [e[0], 0.0, e[1]], rtol=1e-12)
    g = jax.grad(nn.logsumexp)(jnp.array([-np.inf, -np.inf]))
    assert np.asarray(g).shape == (2,)


def test_one_hot():
    _close(nn.one_hot(jnp.array([0, 2, 1]), 3), np.eye(3)[[0, 2, 1]])
    out = nn.one_hot(jnp.array([[0, 5], [-1, 1]]), 3)
    _close(out, np.array([[[1, 0, 0], [0, 0, 0]], [[0, 0, 0], [0, 1, 0]]]))
    assert out.dtype == np.float32
    assert nn.one_hot(jnp.array([1]), 2, dtype=jnp.int32).dtype == np.int32
    _close(nn.one_hot(jnp.array([0, 1]), 3, axis=0), np.eye(3)[[0, 1]].T)
    _close(jax.vmap(lambda i: nn.one_hot(i, 4))(jnp.array([3, 0])), np.eye(4)[[3, 0]])


def test_standardize_and_glu():
    x = np.array([[1., 2., 3., 4.], [2., 2., 2., 6.]], np.float32)
    ref = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5)
    _close(nn.standardize(x), ref, rtol=1e-4, atol=1e-5)
    a, b = x[:, :2], x[:, 2:]
    _close(nn.glu(x), a * _sigmoid(b))


@pytest.mark.parametrize("name", ["sigmoid", "softplus", "silu", "gelu", "elu", "celu",
                                  "selu", "log_sigmoid", "soft_sign", "leaky_relu", "relu",
                                  "relu6", "sparse_plus"])
def test_activation_grads(x64, name):
    x = jnp.array([-2.3, -0.4, 0.7, 3.1, 6.4], dtype=jnp.float64)
    check_grads(getattr(nn, name), (x,), order=2)


def test_gelu_exact_grads(x64):
    check_grads(lambda v: nn.gelu(v, approximate=False), (jnp.array([-1.5, 0.2, 2.0]),),
                order=2)
