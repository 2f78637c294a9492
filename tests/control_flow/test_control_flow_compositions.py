"""Control flow composed with jit, vmap, custom derivatives and itself; the jit
lowering runs native Python loops (not the interpreter) and both backends agree."""
import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax import lax
from purejax._src.backends import numpy_codegen
from purejax._src.control_flow import cond_p, linear_solve_p, scan_p, while_p
from purejax.test_util import check_grads


def mixed(x, xs):
    """scan whose body has a cond, a while_loop (on an integer carry only), a jitted
    call and a custom_jvp function."""
    @jax.custom_jvp
    def softplus(z):
        return jnp.log1p(jnp.exp(z))

    @softplus.defjvp
    def softplus_jvp(primals, tangents):
        (z,), (t,) = primals, tangents
        return softplus(z), t / (1 + jnp.exp(-z))

    inner = jax.jit(lambda a, b: a * jnp.sin(b))

    def body(c, xi):
        k = lax.while_loop(lambda k: k * k < 10, lambda k: k + 1, 0)  # 4, no derivative
        c = lax.cond(xi > 0.3, lambda c: inner(c, xi) + softplus(c), lambda c: c * xi, c)
        return c * 0.5 + k * 0.01, c * c
    c, ys = lax.scan(body, x, xs)
    return c + jnp.sum(ys)


def mixed_py(x, xs):
    c, total = x, 0.0
    for xi in np.asarray(xs):
        c = c * jnp.sin(xi) + jnp.log1p(jnp.exp(c)) if xi > 0.3 else c * xi
        total = total + c * c
        c = c * 0.5 + 0.04
    return c + total


XS = np.array([0.1, 0.5, 0.2, 0.9])


def test_mixed_values_and_grads(x64, jit_backend):
    for x in (0.4, -1.2):
        np.testing.assert_allclose(mixed(x, XS), mixed_py(x, XS), rtol=1e-12)
        np.testing.assert_allclose(jax.jit(mixed)(x, XS), mixed_py(x, XS), rtol=1e-12)
        np.testing.assert_allclose(jax.grad(mixed)(x, XS), jax.grad(mixed_py)(x, XS),
                                   rtol=1e-10)
        np.testing.assert_allclose(jax.jit(jax.grad(mixed))(x, XS),
                                   jax.grad(mixed_py)(x, XS), rtol=1e-10)
    check_grads(lambda x: mixed(x, XS), (0.4,), order=2)


def test_vmap_of_mixed_with_batched_predicates(x64):
    xss = np.stack([XS, XS[::-1], XS * 0.5])
    got = jax.vmap(mixed, in_axes=(None, 0))(0.4, xss)
    np.testing.assert_allclose(got, [mixed_py(0.4, xs) for xs in xss], rtol=1e-12)
    g = jax.vmap(jax.grad(mixed), in_axes=(None, 0))(0.4, xss)
    np.testing.assert_allclose(g, [jax.grad(mixed_py)(0.4, xs) for xs in xss], rtol=1e-10)


def test_custom_vjp_inside_scan_under_grad(x64):
    @jax.custom_vjp
    def clip_grad(x):
        return x

    clip_grad.defvjp(lambda x: (x, None), lambda _, g: (jnp.clip(g, -0.1, 0.1),))

    def f(x):
        return lax.scan(lambda c, xi: (clip_grad(c * xi), None), x, jnp.array([2.0, 3.0]))[0]
    # d/dx of c*2*3 is 6 but each step clips the incoming cotangent to 0.1
    np.testing.assert_allclose(jax.grad(f)(1.0), 0.1 * 2.0)


def test_jit_lowering_runs_native_loops_not_impls(monkeypatch):
    for p in (cond_p, while_p, scan_p, linear_solve_p):
        assert p in numpy_codegen._lowerings

    def forbidden(*args, **params):
        raise AssertionError("jit must run the generated loop, not the primitive's impl")

    f = jax.jit(lambda x: lax.scan(
        lambda c, xi: (lax.cond(xi > 1, lambda c: c + xi, lambda c: c * 2, c)
                       + lax.fori_loop(0, 3, lambda i, a: a + 1.0, 0.0), None),
        x, jnp.arange(4.0))[0])
    expected = float(f(1.0))
    for p in (cond_p, while_p, scan_p):
        monkeypatch.setattr(p, "impl", forbidden)
    f2 = jax.jit(lambda x: lax.scan(
        lambda c, xi: (lax.cond(xi > 1, lambda c: c + xi, lambda c: c * 2, c)
                       + lax.while_loop(lambda a: a < 3.0, lambda a: a + 1.0, 0.0), None),
        x, jnp.arange(4.0))[0])
    assert float(f2(1.0)) == expected == 24.0  # 1 -> 5 -> 13 -> 18 -> 24


def test_generated_source_runs_loops_natively():
    text = jax.jit(lambda x: lax.while_loop(lambda c: c < 10.0, lambda c: c * 2.0, x)).lower(
        1.0).as_text()
    assert "while True:" in text and "_while_" not in text


@pytest.mark.parametrize("fn", ["cond", "while", "scan"])
def test_backends_agree(fn, x64):
    fns = {
        "cond": lambda x: lax.cond(x.sum() > 0, lambda x: jnp.sin(x), lambda x: x ** 2, x),
        "while": lambda x: lax.while_loop(lambda c: c[0] < 7, lambda c: (c[0] + 1, c[1] * 1.1),
                                          (0, x))[1],
        "scan": lambda x: lax.scan(lambda c, xi: (c * xi + 1.0, jnp.cos(c)), x[0], x)[1],
    }
    f = fns[fn]
    x = jnp.array([0.3, -0.7, 1.1])
    outs = {}
    for backend in ("numpy_codegen", "interpret"):
        jax.config.update("purejax_jit_backend", backend)
        try:
            outs[backend] = (jax.jit(f)(x), jax.jit(jax.vmap(f))(jnp.stack([x, -x])),
                             jax.jit(lambda x: jax.jvp(f, (x,), (jnp.ones_like(x),))[1])(x))
        finally:
            jax.config.update("purejax_jit_backend", "numpy_codegen")
    for a, b in zip(outs["numpy_codegen"], outs["interpret"]):
        np.testing.assert_allclose(a, b, rtol=1e-13)
    np.testing.assert_allclose(outs["numpy_codegen"][0], f(x), rtol=1e-13)
