"""lax.while_loop and lax.fori_loop: eager, jit (both backends), vmap with batched
and unbatched predicates and carries, forward-mode derivatives, the reverse-mode
error, fori_loop's scan lowering (reverse mode) for static bounds."""
import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax import lax
from purejax.test_util import check_grads

REV_ERROR = ("Reverse-mode differentiation does not work for lax.while_loop or lax.fori_loop "
             "with dynamic start/stop values. Try using lax.scan, or using fori_loop with "
             "static start/stop.")


def power_loop(x, n=5):
    """x ** (n + 1) * 1.5 with a pytree carry (counter, {value, acc})."""
    def cond(c):
        return c[0] < n

    def body(c):
        i, d = c
        return i + 1, {"v": d["v"] * x, "acc": d["acc"] + d["v"]}

    _, d = lax.while_loop(cond, body, (0, {"v": x * 1.5, "acc": x}))
    return d["v"] + d["acc"]


def power_loop_py(x, n=5):
    v, acc = x * 1.5, x
    for _ in range(n):
        v, acc = v * x, acc + v
    return v + acc


def test_eager_and_jit_match_python(jit_backend):
    for x in (0.5, 1.3):
        np.testing.assert_allclose(power_loop(x), power_loop_py(x), rtol=1e-6)
        np.testing.assert_allclose(jax.jit(power_loop)(x), power_loop_py(x), rtol=1e-6)


def test_zero_iterations_and_types():
    out = lax.while_loop(lambda c: c < 0, lambda c: c + 1, 5)
    assert int(out) == 5 and out.dtype == jnp.int32
    c = lax.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1, c[1] * 2), (0, jnp.ones(2)))
    assert int(c[0]) == 3 and c[1].dtype == jnp.float32
    np.testing.assert_allclose(c[1], [8.0, 8.0])


def test_weak_carry_promoted_to_body_type():
    # init 0 (weak int) with a float body: the carry becomes float, as in JAX
    out = lax.while_loop(lambda c: c < 2.5, lambda c: c + jnp.float32(1.0), 0.0)
    assert out.dtype == jnp.float32 and float(out) == 3.0
    out = lax.fori_loop(0, 3, lambda i, acc: acc + jnp.float32(0.5), 0)
    assert out.dtype == jnp.float32 and float(out) == 1.5


def test_make_jaxpr_prints_while():
    text = str(jax.make_jaxpr(power_loop)(1.0))
    for piece in ("while[", "body_jaxpr=", "body_nconsts=1", "cond_jaxpr=", "cond_nconsts=0"):
        assert piece in text, text


def test_jvp_against_finite_differences_and_python(x64):
    check_grads(power_loop, (1.1,), order=2, modes=("fwd",))
    for x in (0.7, 1.2):
        _, t = jax.jvp(power_loop, (x,), (1.0,))
        _, t_py = jax.jvp(power_loop_py, (x,), (1.0,))
        np.testing.assert_allclose(t, t_py, rtol=1e-12)
    d2 = jax.jacfwd(jax.jacfwd(power_loop))(0.9)
    d2_py = jax.jacfwd(jax.jacfwd(power_loop_py))(0.9)
    np.testing.assert_allclose(d2, d2_py, rtol=1e-10)


def test_jvp_tangent_enters_through_body_consts(x64):
    # the carry starts with a zero tangent; the closed-over x gives it one
    f = lambda x: lax.while_loop(lambda c: c[0] < 4, lambda c: (c[0] + 1, c[1] * x),
                                 (0, 1.0))[1]
    _, t = jax.jvp(f, (1.5,), (1.0,))
    np.testing.assert_allclose(t, 4 * 1.5 ** 3)


def test_reverse_mode_raises_jax_error():
    with pytest.raises(ValueError) as e:
        jax.grad(power_loop)(1.0)
    assert str(e.value) == REV_ERROR
    _, pullback = jax.vjp(power_loop, 1.0)
    with pytest.raises(ValueError, match="Reverse-mode differentiation does not work"):
        pullback(1.0)
    # traced bounds: fori_loop is a while_loop, forward mode only
    f = jax.jit(lambda x, n: lax.fori_loop(0, n, lambda i, c: c * x, 1.0))
    with pytest.raises(ValueError, match="Reverse-mode differentiation does not work"):
        jax.grad(f)(1.0, 3)


def test_linearize_works_like_jvp(x64):
    y, f_jvp = jax.linearize(power_loop, 1.1)
    _, t = jax.jvp(power_loop, (1.1,), (2.0,))
    np.testing.assert_allclose(y, power_loop_py(1.1))
    np.testing.assert_allclose(f_jvp(2.0), t)


def test_vmap_batched_carry_unbatched_predicate(jit_backend):
    xs = jnp.array([0.5, 1.0, 1.3])
    want = [power_loop_py(float(x)) for x in xs]
    np.testing.assert_allclose(jax.vmap(power_loop)(xs), want, rtol=1e-6)
    np.testing.assert_allclose(jax.jit(jax.vmap(power_loop))(xs), want, rtol=1e-6)
    text = str(jax.make_jaxpr(jax.vmap(power_loop))(xs))
    assert "reduce_or" not in text  # the predicate stays unbatched


def collatz_steps(n):
    def body(c):
        k, steps = c
        return jnp.where(k % 2 == 0, k // 2, 3 * k + 1), steps + 1
    return lax.while_loop(lambda c: c[0] != 1, body, (n, 0))[1]


def collatz_py(n):
    steps = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps


def test_vmap_batched_predicate_freezes_finished_lanes(jit_backend):
    ns = jnp.array([1, 2, 3, 6, 7, 27])
    want = [collatz_py(int(n)) for n in ns]
    np.testing.assert_array_equal(jax.vmap(collatz_steps)(ns), want)
    np.testing.assert_array_equal(jax.jit(jax.vmap(collatz_steps))(ns), want)
    assert "reduce_or" in str(jax.make_jaxpr(jax.vmap(collatz_steps))(ns))


def test_vmap_batched_bound_in_closure_and_jvp(x64):
    # the bound (a cond const) is batched: the predicate becomes batched
    def f(x, n):
        return lax.while_loop(lambda c: c[0] < n, lambda c: (c[0] + 1, c[1] * x), (0, 1.0))[1]
    xs = jnp.array([1.5, 2.0, 0.5])
    ns = jnp.array([1, 3, 4])
    np.testing.assert_allclose(jax.vmap(f)(xs, ns), [1.5, 8.0, 0.0625])
    t = jax.vmap(lambda x, n: jax.jvp(lambda x: f(x, n), (x,), (1.0,))[1])(xs, ns)
    np.testing.assert_allclose(t, [1.0, 3 * 4.0, 4 * 0.125])
    # unbatched x, batched n
    np.testing.assert_allclose(jax.vmap(f, in_axes=(None, 0))(2.0, ns), [2.0, 8.0, 16.0])


def test_disable_jit_runs_python_loop():
    seen = []

    def body(c):
        seen.append(int(c))
        return c + 1

    with jax.disable_jit():
        out = lax.while_loop(lambda c: c < 3, body, 0)
    assert int(out) == 3 and seen == [0, 1, 2]


def test_cond_fun_must_return_bool_scalar():
    with pytest.raises(TypeError, match="boolean scalar"):
        lax.while_loop(lambda c: c, lambda c: c + 1, 1.0)
    with pytest.raises(TypeError, match="boolean scalar"):
        lax.while_loop(lambda c: (c < 1, c < 2), lambda c: c + 1, 1.0)


def test_carry_type_mismatch_error():
    with pytest.raises(TypeError, match="carry input and carry output must have equal types"):
        lax.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1, jnp.ones(3)), (0, jnp.ones(2)))
    with pytest.raises(TypeError, match="pytree structure"):
        lax.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1,), (0, 1.0))


# --- fori_loop ----------------------------------------------------------------

def poly(x):
    return lax.fori_loop(0, 6, lambda i, c: c * x + i, 1.0)


def poly_py(x):
    c = 1.0
    for i in range(6):
        c = c * x + i
    return c


def test_fori_static_bounds_is_a_scan_with_reverse_mode(x64, jit_backend):
    assert "scan[" in str(jax.make_jaxpr(poly)(1.0))
    np.testing.assert_allclose(poly(0.8), poly_py(0.8))
    np.testing.assert_allclose(jax.jit(poly)(0.8), poly_py(0.8))
    check_grads(poly, (0.8,), order=2)
    np.testing.assert_allclose(jax.grad(poly)(0.8), jax.grad(poly_py)(0.8), rtol=1e-12)
    np.testing.assert_allclose(jax.jit(jax.grad(jax.grad(poly)))(0.8),
                               jax.grad(jax.grad(poly_py))(0.8), rtol=1e-12)


def test_fori_concrete_array_bounds_and_empty_range():
    assert "scan[" in str(jax.make_jaxpr(
        lambda x: lax.fori_loop(jnp.int32(1), jnp.int32(4), lambda i, c: c + i, x))(0))
    assert int(lax.fori_loop(5, 2, lambda i, c: c + i, 7)) == 7
    assert int(lax.fori_loop(1, 4, lambda i, c: c + i, 0)) == 6


def test_fori_traced_bounds_is_a_while(jit_backend):
    f = jax.jit(lambda lo, hi, x: lax.fori_loop(lo, hi, lambda i, c: c + i * x, 0.0))
    np.testing.assert_allclose(f(1, 5, 2.0), 20.0)
    assert "while[" in str(jax.make_jaxpr(lambda hi: lax.fori_loop(0, hi, lambda i, c: c + i, 0))(3))
    _, t = jax.jvp(lambda x: f(1, 5, x), (2.0,), (1.0,))
    np.testing.assert_allclose(t, 10.0)
    with pytest.raises(ValueError, match="unroll"):
        jax.jit(lambda hi: lax.fori_loop(0, hi, lambda i, c: c + i, 0, unroll=2))(3)


def test_fori_vmap(x64):
    xs = jnp.array([0.5, 0.8, 1.1])
    np.testing.assert_allclose(jax.vmap(poly)(xs), [poly_py(float(x)) for x in xs])
    np.testing.assert_allclose(jax.vmap(jax.grad(poly))(xs),
                               [jax.grad(poly_py)(float(x)) for x in xs], rtol=1e-12)
    # batched upper bound: a while_loop with a batched predicate
    f = lambda n: lax.fori_loop(0, n, lambda i, c: c + i, 0)
    np.testing.assert_array_equal(jax.vmap(f)(jnp.array([0, 1, 4, 6])), [0, 0, 6, 15])
