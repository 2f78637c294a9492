"""checkpoint / remat: same derivatives, fewer saved residuals, recomputation in the
backward pass, policies, and composition with jit, vmap and custom rules."""
import numpy as np

import purejax as jax
import purejax.numpy as jnp
from purejax import checkpoint, custom_jvp, custom_vjp, grad, jit, vjp, vmap
from purejax._src.core import Primitive
from purejax._src.interpreters import ad, batching

calls = []

counted_sin_p = Primitive("counted_sin")


def _impl(x):
    calls.append(1)
    return np.sin(x)


counted_sin_p.impl = _impl
counted_sin_p.abstract_eval = lambda x: x
ad.defjvp(counted_sin_p, lambda g, x: g * jnp.cos(x))
batching.defvectorized(counted_sin_p)


def counted_sin(x):
    return counted_sin_p.bind(x)


def f(x):
    return jnp.sum(counted_sin(counted_sin(x)) * 2)


X = jnp.array([0.1, 0.5, 1.5])


def test_same_gradient_and_higher_order():
    np.testing.assert_allclose(grad(checkpoint(f))(X), grad(f)(X), rtol=1e-6)
    g = lambda x: checkpoint(lambda y: jnp.sin(y) * y)(x)
    np.testing.assert_allclose(grad(grad(g))(1.), grad(grad(lambda y: jnp.sin(y) * y))(1.),
                               rtol=1e-6)


def test_recomputes_in_backward_pass_instead_of_saving():
    calls.clear()
    grad(f)(X)
    plain = len(calls)
    calls.clear()
    grad(checkpoint(f))(X)
    remat = len(calls)
    assert plain == 2 and remat == 3  # the inner sin runs again in the backward pass
    _, pb_plain = vjp(f, X)
    _, pb_remat = vjp(checkpoint(f), X)
    assert len(pb_remat.lin.consts) < len(pb_plain.lin.consts)


def test_policies():
    W = jnp.ones((3, 3)) * 0.5

    def mlp(x):
        h = jnp.tanh(W @ x)
        return jnp.sum(jnp.tanh(W @ h))

    ref = grad(mlp)(X)
    for policy in (jax.checkpoint_policies.everything_saveable,
                   jax.checkpoint_policies.nothing_saveable,
                   jax.checkpoint_policies.dots_saveable,
                   jax.checkpoint_policies.checkpoint_dots):
        np.testing.assert_allclose(grad(checkpoint(mlp, policy=policy))(X), ref, rtol=1e-6)
    n = {}
    for name in ("everything_saveable", "nothing_saveable", "dots_saveable"):
        _, pb = vjp(checkpoint(mlp, policy=getattr(jax.checkpoint_policies, name)), X)
        n[name] = len(pb.lin.consts)
    assert n["nothing_saveable"] < n["dots_saveable"] <= n["everything_saveable"]


def test_composes_with_jit_vmap_and_static_argnums():
    ref = grad(f)(X)
    np.testing.assert_allclose(jit(grad(checkpoint(f)))(X), ref, rtol=1e-6)
    np.testing.assert_allclose(grad(jit(checkpoint(f)))(X), ref, rtol=1e-6)
    np.testing.assert_allclose(vmap(grad(checkpoint(f)))(jnp.stack([X, X])), jnp.stack([ref, ref]),
                               rtol=1e-6)
    h = checkpoint(lambda x, n: x ** n, static_argnums=(1,))
    assert float(grad(h)(2., 3)) == 12.0
    assert jax.remat is jax.checkpoint


def test_jit_keeps_recomputation_separate():
    g = jit(jax.value_and_grad(checkpoint(f)))
    g(X)
    calls.clear()
    g(X)
    assert len(calls) == 3  # forward (2) + recomputation (1): CSE did not merge it away
    g = jit(grad(checkpoint(f)))
    g(X)
    calls.clear()
    g(X)
    assert len(calls) == 1  # the unused forward pass is dead code; only the recomputation runs


def test_composes_with_custom_rules():
    @custom_jvp
    def sj(x):
        return jnp.sin(x)

    sj.defjvps(lambda t, ans, x: jnp.cos(x) * t)

    @custom_vjp
    def sv(x):
        return jnp.sin(x)

    sv.defvjp(lambda x: (jnp.sin(x), x), lambda x, g: (jnp.cos(x) * g,))
    for fn in (sj, sv):
        got = grad(checkpoint(lambda x: jnp.sum(fn(x) ** 2)))(X)
        np.testing.assert_allclose(got, 2 * np.sin(X) * np.cos(X), rtol=1e-5)
