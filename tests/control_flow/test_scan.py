"""lax.scan and lax.map: eager, jit (both backends), vmap (batched carries, xs,
consts), jvp/grad against finite differences and Python loops up to second order,
partial-evaluation residuals, errors."""
import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax import lax
from purejax.test_util import check_grads, check_vmap

W = np.array([[0.5, -0.3], [0.2, 0.8]])
XS = (np.arange(8.0).reshape(4, 2) - 3.0) / 4.0
H0 = np.array([0.1, -0.2])


def rnn(w, h0, xs, reverse=False):
    """A tanh RNN with pytree carry and ys; w enters as a closed-over const."""
    def step(carry, x):
        h, t = carry
        h = jnp.tanh(w @ h + x["in"])
        return (h, t + 1), {"sq": jnp.sum(h * h), "h": h * x["scale"]}
    return lax.scan(step, (h0, 0), {"in": xs, "scale": jnp.arange(1.0, 5.0)}, reverse=reverse)


def rnn_py(w, h0, xs, reverse=False):
    h, t = h0, 0
    sq, hs = [None] * 4, [None] * 4
    for i in (range(3, -1, -1) if reverse else range(4)):
        h = jnp.tanh(w @ h + xs[i])
        t = t + 1
        sq[i], hs[i] = jnp.sum(h * h), h * (i + 1.0)
    return (h, t), {"sq": jnp.stack(sq), "h": jnp.stack(hs)}


def loss(w, h0, xs, reverse=False):
    (h, _), ys = rnn(w, h0, xs, reverse)
    return jnp.sum(h) + jnp.sum(ys["sq"]) + jnp.sum(jnp.sin(ys["h"]))


def loss_py(w, h0, xs, reverse=False):
    (h, _), ys = rnn_py(w, h0, xs, reverse)
    return jnp.sum(h) + jnp.sum(ys["sq"]) + jnp.sum(jnp.sin(ys["h"]))


def assert_tree_close(a, b, **kw):
    la, lb = jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)
    assert len(la) == len(lb)
    for x, y in zip(la, lb):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), **kw)


@pytest.mark.parametrize("reverse", [False, True])
def test_eager_and_jit_match_python(reverse, jit_backend):
    want = rnn_py(W, H0, XS, reverse)
    assert_tree_close(rnn(W, H0, XS, reverse), want, rtol=1e-5)
    assert_tree_close(jax.jit(rnn, static_argnums=3)(W, H0, XS, reverse), want, rtol=1e-5)


def test_xs_none_length_and_ys_none():
    carry, ys = lax.scan(lambda c, _: (c * 2, None), 1.0, None, length=5)
    assert float(carry) == 32.0 and ys is None
    carry, ys = lax.scan(lambda c, x: (c + x, c), 0, jnp.arange(4))
    assert int(carry) == 6 and ys.tolist() == [0, 0, 1, 3] and ys.dtype == jnp.int32
    carry, ys = lax.scan(lambda c, x: (c, x), 0.0, jnp.zeros((0, 3)))
    assert ys.shape == (0, 3)


def test_make_jaxpr_prints_scan_params():
    text = str(jax.make_jaxpr(lambda h: rnn(W, h, XS))(H0))
    for piece in ("scan[", "jaxpr={", "length=4", "linear=(", "num_carry=2", "num_consts=1",
                  "reverse=False", "unroll=1"):
        assert piece in text, text


def test_grads_against_finite_differences(x64):
    check_grads(loss, (W, H0, XS), order=2)
    check_grads(lambda w, h, x: loss(w, h, x, True), (W, H0, XS), order=2)


@pytest.mark.parametrize("reverse", [False, True])
def test_grads_match_python_loop(reverse, x64, jit_backend):
    g = jax.grad(loss, argnums=(0, 1, 2))(W, H0, XS, reverse)
    g_py = jax.grad(loss_py, argnums=(0, 1, 2))(W, H0, XS, reverse)
    assert_tree_close(g, g_py, rtol=1e-10)
    gj = jax.jit(jax.grad(loss, argnums=(0, 1, 2)), static_argnums=3)(W, H0, XS, reverse)
    assert_tree_close(gj, g_py, rtol=1e-10)


def test_second_order_matches_python_loop(x64):
    f = lambda x: lax.scan(lambda c, xi: (jnp.sin(c * xi) + c, c * c), x, jnp.linspace(0.1, 1, 5))
    def scalar(x):
        c, ys = f(x)
        return c + jnp.sum(ys)

    def scalar_py(x):
        c, total = x, 0.0
        for xi in np.linspace(0.1, 1, 5):
            total = total + c * c
            c = jnp.sin(c * xi) + c
        return c + total
    for x in (0.3, 1.2):
        np.testing.assert_allclose(jax.grad(jax.grad(scalar))(x),
                                   jax.grad(jax.grad(scalar_py))(x), rtol=1e-10)
        np.testing.assert_allclose(jax.jacfwd(jax.grad(scalar))(x),
                                   jax.grad(jax.grad(scalar_py))(x), rtol=1e-10)
    check_grads(scalar, (0.7,), order=2)


def test_loop_invariant_residuals_are_hoisted(x64):
    # sin(w) (the residual for w's cotangent) depends only on the const w: the known scan must not stack it per step
    def f(w, xs):
        return lax.scan(lambda c, x: (c + jnp.sin(w) * x, None), 0.0, xs)[0]
    jaxpr = jax.make_jaxpr(jax.grad(f))(0.3, jnp.arange(5.0))
    scans = [e for e in jaxpr.jaxpr.eqns if e.primitive.name == "scan"]
    stacked = [v for e in scans for v in e.outvars if v.aval.shape == (5,)]
    assert not stacked, jaxpr  # no per-iteration residual for a loop-invariant cos(w)
    np.testing.assert_allclose(jax.grad(f)(0.3, jnp.arange(5.0)), np.cos(0.3) * 10.0)


def test_int_carry_and_closed_over_consts(x64):
    def f(x, y):
        def body(c, xi):
            i, acc = c
            return (i + 1, acc * y + xi * i), acc
        (_, acc), ys = lax.scan(body, (0, x), jnp.arange(1.0, 5.0))
        return acc + jnp.sum(ys)
    check_grads(f, (0.5, 0.9), order=2)


def test_nested_scan_and_cond_inside(x64):
    def f(x):
        def outer(c, xi):
            inner_c, _ = lax.scan(lambda d, z: (lax.cond(z > 1.5, lambda d: d * xi, jnp.sin, d),
                                                None), c, jnp.arange(3.0))
            return inner_c + xi, inner_c
        c, ys = lax.scan(outer, x, jnp.linspace(0.5, 1.0, 3))
        return c * jnp.sum(ys)
    check_grads(f, (0.4,), order=2)


def test_vmap_batched_xs_init_and_consts(x64):
    ws = np.stack([W, W * 0.5, -W])
    h0s = np.stack([H0, H0 * 2, H0 * 3])
    xss = np.stack([XS, XS + 1, XS * 2])
    check_vmap(lambda w, h, x: rnn(w, h, x), (ws, h0s, xss), (0, 0, 0))
    check_vmap(lambda w, h, x: rnn(w, h, x), (ws, H0, XS), (0, None, None))   # consts only
    check_vmap(lambda w, h, x: rnn(w, h, x), (W, h0s, XS), (None, 0, None))   # carry only
    check_vmap(lambda w, h, x: rnn(w, h, x), (W, H0, np.moveaxis(xss, 0, 2)), (None, None, 2))


def test_vmap_carry_becomes_batched_via_body(jit_backend):
    # the init is unbatched but the body mixes in batched xs: carry fixed point
    f = lambda xs: lax.scan(lambda c, x: (c + x, c), 0.0, xs)
    xs = jnp.arange(12.0).reshape(3, 4)
    c, ys = jax.vmap(f)(xs)
    np.testing.assert_allclose(c, xs.sum(1))
    np.testing.assert_allclose(ys, np.cumsum(np.asarray(xs), 1) - np.asarray(xs))
    c2, ys2 = jax.jit(jax.vmap(f))(xs)
    np.testing.assert_allclose(c2, c)
    np.testing.assert_allclose(ys2, ys)


def test_vmap_of_grad_and_grad_of_vmap(x64):
    ws = np.stack([W, W * 0.5])
    g = jax.vmap(jax.grad(loss), in_axes=(0, None, None))(ws, H0, XS)
    for k in range(2):
        np.testing.assert_allclose(g[k], jax.grad(loss_py)(ws[k], H0, XS), rtol=1e-10)
    gv = jax.grad(lambda ws: jnp.sum(jax.vmap(loss, in_axes=(0, None, None))(ws, H0, XS)))(ws)
    np.testing.assert_allclose(gv, g, rtol=1e-10)


def test_map_and_batch_size():
    xs = jnp.arange(10.0)
    np.testing.assert_allclose(lax.map(lambda x: x * x + 1, xs), np.arange(10.0) ** 2 + 1)
    out = lax.map(lambda x: {"a": x, "b": x * 2}, xs, batch_size=3)
    np.testing.assert_allclose(out["b"], np.arange(10.0) * 2)
    np.testing.assert_allclose(lax.map(jnp.sin, xs, batch_size=5), np.sin(np.arange(10.0)),
                               rtol=1e-6)


def test_unroll_is_kept_and_results_agree():
    f = lambda u: lax.scan(lambda c, x: (c * x, c), 1.0, jnp.arange(1.0, 6.0), unroll=u)
    assert_tree_close(f(1), f(2))
    assert_tree_close(f(1), f(True))
    assert "unroll=5" in str(jax.make_jaxpr(lambda: f(True))())
    # unroll=0 is accepted and kept, as in JAX; a negative one is an error.
    assert_tree_close(f(1), f(0))
    assert "unroll=0" in str(jax.make_jaxpr(lambda: f(0))())
    with pytest.raises(ValueError, match="non-negative"):
        f(-1)


# --- errors -----------------------------------------------------------------

def test_length_errors():
    with pytest.raises(ValueError, match="no values to scan over"):
        lax.scan(lambda c, x: (c, x), 0.0, None)
    with pytest.raises(ValueError, match="different leading axis sizes"):
        lax.scan(lambda c, x: (c, x), 0.0, (jnp.ones(3), jnp.ones(4)))
    with pytest.raises(ValueError, match="disagrees"):
        lax.scan(lambda c, x: (c, x), 0.0, jnp.ones(3), length=4)


def test_carry_mismatch_and_bad_output_errors():
    with pytest.raises(TypeError, match="carry input and carry output must have equal types"):
        lax.scan(lambda c, x: (c.astype(jnp.int32), x), jnp.float32(0), jnp.ones(3))
    with pytest.raises(TypeError, match="carry\\[1\\]"):
        lax.scan(lambda c, x: ((c[0], jnp.ones(2)), x), (0.0, jnp.ones(3)), jnp.ones(3))
    with pytest.raises(TypeError, match="pair"):
        lax.scan(lambda c, x: c, 0.0, jnp.ones(3))


# --- associative_scan ---------------------------------------------------------

@pytest.mark.parametrize("n", [0, 1, 2, 5, 8, 11])
def test_associative_scan_cumsum_and_reverse(n):
    x = np.arange(1.0, n + 1.0, dtype=np.float32)
    np.testing.assert_allclose(lax.associative_scan(lax.add, x), np.cumsum(x))
    np.testing.assert_allclose(lax.associative_scan(lax.add, x, reverse=True),
                               np.cumsum(x[::-1])[::-1])


def test_associative_scan_axis_bool_and_pytree(x64):
    x = np.random.RandomState(0).randn(3, 7)
    np.testing.assert_allclose(lax.associative_scan(lax.max, x, axis=1),
                               np.maximum.accumulate(x, 1))
    np.testing.assert_array_equal(
        lax.associative_scan(jnp.logical_or, jnp.array([False, True, False, False])),
        [False, True, True, True])

    def linear_recurrence(p, q):   # h_t = a_t h_{t-1} + b_t as an associative pair op
        (a1, b1), (a2, b2) = p, q
        return a2 * a1, a2 * b1 + b2

    def h_scan(a, b):
        return lax.associative_scan(linear_recurrence, (a, b))[1]

    def h_py(a, b):
        h, out = 0.0, []
        for ai, bi in zip(a, b):
            h = ai * h + bi
            out.append(h)
        return jnp.stack(out)
    a = np.array([0.5, 0.9, 1.1, 0.7, 0.3])
    b = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    np.testing.assert_allclose(h_scan(a, b), h_py(a, b), rtol=1e-12)
    np.testing.assert_allclose(jax.grad(lambda a: jnp.sum(h_scan(a, b)))(a),
                               jax.grad(lambda a: jnp.sum(h_py(a, b)))(a), rtol=1e-12)
    check_grads(h_scan, (a, b), order=2)
    np.testing.assert_allclose(jax.vmap(h_scan)(np.stack([a, a]), np.stack([b, -b])),
                               np.stack([h_py(a, b), h_py(a, -b)]), rtol=1e-12)


def test_disable_jit_runs_python_loop():
    seen = []

    def step(c, x):
        seen.append(float(x))
        return c + x, c * 2

    with jax.disable_jit():
        c, ys = lax.scan(step, 0.0, jnp.arange(3.0), reverse=True)
        total = lax.fori_loop(0, 3, lambda i, a: a + i, 0)
    assert seen == [2.0, 1.0, 0.0] and float(c) == 3.0
    np.testing.assert_allclose(ys, [6.0, 4.0, 0.0])
    assert int(total) == 3
    with jax.disable_jit(), pytest.raises(ValueError, match="zero-length"):
        lax.scan(step, 0.0, jnp.zeros(0))
