"""Control-flow behaviour that must match JAX exactly: dtypes, weak types, accepted
arguments and error types. Every expected value below was obtained from JAX 0.10.2
(CPU, float32) and is hard-coded, so this file does not need JAX installed."""
import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax import lax


def check(x, value, dtype, weak):
    assert x.dtype == np.dtype(dtype), x.dtype
    assert x.weak_type is weak, x
    np.testing.assert_array_equal(np.asarray(x), value)


# --- A1: fori_loop's index and bounds ------------------------------------------

def test_fori_index_is_weak_int32_with_concrete_bounds(jit_backend):
    # JAX 0.10.2: Array(4, int8); Array(1.5, float16); Array(3, int32, weak_type=True)
    check(lax.fori_loop(0, 3, lambda i, c: c + i, jnp.int8(1)), 4, "int8", False)
    check(lax.fori_loop(0, 3, lambda i, c: c + i / 2, jnp.float16(0)), 1.5, "float16", False)
    check(lax.fori_loop(0, 3, lambda i, c: c + i, 0), 3, "int32", True)
    # Concrete array bounds also give a weak int32 index (JAX scans over int(lower)).
    check(lax.fori_loop(jnp.uint8(0), jnp.uint8(3), lambda i, c: i, 0), 2, "int32", True)
    check(lax.fori_loop(jnp.int16(0), jnp.int16(3), lambda i, c: i, 0), 2, "int32", True)
    check(lax.fori_loop(0, jnp.int16(3), lambda i, c: i, 0), 2, "int32", True)
    check(lax.fori_loop(False, True, lambda i, c: c + i, 0), 0, "int32", True)


def test_fori_concrete_float_bounds_go_through_int():
    # JAX 0.10.2: Array(3, int32, weak_type=True); 2.7 truncates to 2: Array(1, ...)
    check(lax.fori_loop(0., 3., lambda i, c: c + i, 0), 3, "int32", True)
    check(lax.fori_loop(0., 2.7, lambda i, c: c + i, 0), 1, "int32", True)


def test_fori_traced_bounds_index_has_the_bounds_dtype(jit_backend):
    # JAX 0.10.2: a Python int lower bound keeps the index weak; a bound of another
    # signed dtype converts it (strong).
    f = jax.jit(lambda n: lax.fori_loop(0, n, lambda i, c: c + i, jnp.int8(1)))
    check(f(3), 4, "int8", False)
    check(jax.jit(lambda n: lax.fori_loop(0, n, lambda i, c: i, 0))(3), 2, "int32", True)
    check(jax.jit(lambda n: lax.fori_loop(0, n, lambda i, c: i, 0))(jnp.int16(3)),
          2, "int16", False)
    check(jax.jit(lambda a, n: lax.fori_loop(a, n, lambda i, c: i, 0))(
        jnp.uint8(0), jnp.uint8(3)), 2, "uint8", False)
    check(jax.jit(lambda n: lax.fori_loop(0., n, lambda i, c: c + i, 0.))(3.),
          3., "float32", True)
    check(jax.vmap(lambda n: lax.fori_loop(0, n, lambda i, c: i, 0))(jnp.arange(4)),
          [0, 0, 1, 2], "int32", True)


def test_fori_bounds_of_different_dtypes_raise():
    msg = "lower and upper arguments to fori_loop must have equal types"
    # JAX 0.10.2: TypeError "... got int16 and int32" (also for concrete bounds)
    with pytest.raises(TypeError, match=msg + ", got int16 and int32"):
        lax.fori_loop(jnp.int16(0), jnp.int32(3), lambda i, c: c + 1, 0)
    with pytest.raises(TypeError, match=msg + ", got float32 and int32"):
        lax.fori_loop(0., 3, lambda i, c: c + i, 0)
    with pytest.raises(TypeError, match=msg + ", got uint8 and int32"):
        lax.fori_loop(jnp.uint8(0), 3, lambda i, c: c + i, 0)
    with pytest.raises(TypeError, match=msg + ", got int32 and int16"):
        jax.jit(lambda n: lax.fori_loop(jnp.int32(0), n, lambda i, c: i, 0))(jnp.int16(3))
    with pytest.raises(TypeError, match="lower must be a real scalar"):
        lax.fori_loop(0j, 3j, lambda i, c: c, 0)


def test_fori_unroll_with_traced_bounds():
    # JAX 0.10.2 accepts unroll=1 and unroll=False with traced bounds (3, weak int32).
    for unroll in (1, False):
        check(jax.jit(lambda n: lax.fori_loop(0, n, lambda i, c: c + 1, 0, unroll=unroll))(3),
              3, "int32", True)
    with pytest.raises(ValueError, match="statically known"):
        jax.jit(lambda n: lax.fori_loop(0, n, lambda i, c: c + 1, 0, unroll=2))(3)


def test_fori_empty_range_under_disable_jit():
    with jax.disable_jit():
        assert lax.fori_loop(3, 3, lambda i, c: c + 1, 5) == 5


# --- A4: number predicates in cond ---------------------------------------------

def test_cond_float_predicate_means_nonzero(jit_backend):
    # JAX 0.10.2: 1.0, 0.0, 1.0 (nan != 0), 0.0 (-0.), all float32 weak
    for pred, want in ((jnp.float32(0.5), 1.), (0., 0.), (float("nan"), 1.), (-0., 0.),
                       (jnp.float16(0.), 0.)):
        check(lax.cond(pred, lambda: 1., lambda: 0.), want, "float32", True)
    check(jax.jit(lambda p: lax.cond(p, lambda: 1., lambda: 0.))(0.25), 1., "float32", True)
    check(jax.vmap(lambda p: lax.cond(p, lambda: 1., lambda: 0.))(jnp.array([0., 2.])),
          [0., 1.], "float32", True)
    # JAX 0.10.2: grad 2.0 at p=1 (true branch), 3.0 at p=0
    g = jax.grad(lambda p: lax.cond(p, lambda: p * 2, lambda: p * 3))
    check(g(1.), 2., "float32", True)
    check(g(0.), 3., "float32", True)
    with jax.disable_jit():
        assert float(lax.cond(0.5, lambda: 1., lambda: 0.)) == 1.
    with pytest.raises(TypeError, match="Pred type must be either boolean or number, got "
                                        "complex64"):
        lax.cond(jnp.complex64(1j), lambda: 1., lambda: 0.)


# --- A6: unroll ------------------------------------------------------------------

def test_unroll_zero_and_bools_accepted():
    f = lambda u: lax.scan(lambda c, v: (c + v, c), 0., jnp.arange(3.), unroll=u)[0]
    # JAX 0.10.2: 3.0 (float32, strong) for unroll 0, True and False
    for u in (0, True, False):
        check(f(u), 3., "float32", False)
    assert "unroll=0" in str(jax.make_jaxpr(lambda: f(0))())
    check(lax.scan(lambda c, v: (c + v, c), 0., jnp.arange(0.), unroll=0)[0], 0., "float32",
          False)
    for u in (0, True, False):
        check(lax.fori_loop(0, 3, lambda i, c: c + 1., 0., unroll=u), 3., "float32", True)


def test_negative_unroll_raises_with_jax_wording():
    # JAX 0.10.2: ValueError "`unroll` must be a `bool` or a non-negative `int`."
    with pytest.raises(ValueError, match="non-negative `int`"):
        lax.scan(lambda c, v: (c + v, c), 0., jnp.arange(3.), unroll=-1)
    with pytest.raises(ValueError, match="non-negative `int`"):
        lax.fori_loop(0, 3, lambda i, c: c + 1., 0., unroll=-1)
    # JAX 0.10.2 raises TypeError for a non-integer unroll too.
    with pytest.raises(TypeError):
        lax.scan(lambda c, v: (c + v, c), 0., jnp.arange(3.), unroll=2.5)


# --- A9: lax.map batch_size=0 ----------------------------------------------------

def test_map_batch_size_zero_vmaps_everything_at_once():
    shapes = []

    def f(x):
        shapes.append(x.shape)
        return x * 2
    # JAX 0.10.2: [0, 2, 4, 6, 8] float32, f traced once with a per-element shape ()
    check(lax.map(f, jnp.arange(5.), batch_size=0), [0., 2., 4., 6., 8.], "float32", False)
    assert shapes == [()]
    shapes.clear()
    out = lax.map(f, jnp.arange(0.), batch_size=0)
    assert out.shape == (0,) and shapes == [()]
    check(jax.jit(lambda x: lax.map(f, x, batch_size=0))(jnp.arange(4.)),
          [0., 2., 4., 6.], "float32", False)
    check(lax.map(lambda t: t[0] + t[1], (jnp.arange(3.), jnp.ones(3)), batch_size=0),
          [1., 2., 3.], "float32", False)
    # An empty input with a positive batch size: one vmapped call over nothing, as JAX.
    assert lax.map(f, jnp.arange(0.), batch_size=2).shape == (0,)
    with pytest.raises(ValueError, match="non-negative"):
        lax.map(f, jnp.arange(5.), batch_size=-1)
    with pytest.raises(TypeError):  # JAX 0.10.2: TypeError too
        lax.map(f, jnp.arange(5.), batch_size=2.0)


# --- B11 / B16: weak types of cond and switch outputs --------------------------

X = jnp.float32(2.)


def test_cond_switch_result_weak_type_follows_branch_zero(jit_backend):
    # JAX 0.10.2: typed by false_fun for cond, branches[0] for switch.
    check(lax.cond(True, lambda: X, lambda: 1.), 2., "float32", True)
    check(lax.cond(False, lambda: X, lambda: 1.), 1., "float32", True)
    check(lax.cond(True, lambda: 1., lambda: X), 1., "float32", False)
    assert (lax.cond(True, lambda: X, lambda: 1.) * jnp.ones(1, jnp.float16)).dtype == \
        np.float16
    check(lax.switch(1, [lambda: 1., lambda: X]), 2., "float32", True)
    check(lax.switch(2, [lambda: 1., lambda: X, lambda: 2.]), 2., "float32", True)
    check(lax.switch(2, [lambda: X, lambda: 1., lambda: 2.]), 2., "float32", False)
    check(jax.jit(lambda p: lax.cond(p, lambda: X, lambda: 1.))(True), 2., "float32", True)
    check(lax.cond(True, lambda a: a * X, lambda a: a, 1.), 2., "float32", True)
    _, t = jax.jvp(lambda a: lax.cond(True, lambda a: a * X, lambda a: a * 2., a), (1.,), (1.,))
    check(t, 2., "float32", True)


def test_cond_batched_predicate_selects_branch_types():
    # JAX 0.10.2: a batched predicate selects between both results: strong here.
    preds = jnp.array([True, False])
    check(jax.vmap(lambda p: lax.cond(p, lambda: X, lambda: 1.))(preds), [2., 1.],
          "float32", False)
    check(jax.vmap(lambda p: lax.cond(p, lambda: 1., lambda: X))(preds), [1., 2.],
          "float32", False)
    # ...while an unbatched one keeps branches[0]'s weak type.
    check(jax.vmap(lambda a: lax.cond(True, lambda a: X, lambda a: 2., a))(jnp.ones(2)),
          [2., 2.], "float32", True)


def test_vmap_grad_switch_with_batched_index():
    brs = [jnp.sin, jnp.cos, jnp.tanh]
    a = jnp.full(3, 0.7)  # weakly typed
    g = jax.vmap(jax.grad(lambda i, a: lax.switch(i, brs, a), argnums=1))
    # JAX 0.10.2: [0.7648422, -0.64421767, 0.6347396] float32, strong (the residual slots
    # of branches not taken are strong zeros)
    out = g(jnp.array([0, 1, 2]), a)
    assert out.dtype == np.float32 and out.weak_type is False
    np.testing.assert_allclose(out, [0.7648422, -0.64421767, 0.6347396], rtol=1e-6)
    # JAX 0.10.2: two branches: weak; unbatched index: weak
    g2 = jax.vmap(jax.grad(lambda i, a: lax.switch(i, brs[:2], a), argnums=1))
    assert g2(jnp.array([0, 1, 1]), a).weak_type is True
    for i, want in enumerate([0.7648422, -0.64421767, 0.6347396]):
        out = jax.grad(lambda a: lax.switch(i, brs, a))(0.7)
        assert out.weak_type is True
        np.testing.assert_allclose(out, want, rtol=1e-6)


# --- B13: associative_scan on weak inputs --------------------------------------

def test_associative_scan_weak_input():
    # JAX 0.10.2: weak for lengths 0 and 1 (nothing combined), strong from 2 on.
    for n, weak in ((0, True), (1, True), (2, False), (3, False), (4, False)):
        out = lax.associative_scan(jnp.add, jnp.full(n, 0.5))
        check(out, 0.5 * np.arange(1, n + 1), "float32", weak)
    check(lax.associative_scan(jnp.add, jnp.full(3, 0.5), reverse=True), [1.5, 1., 0.5],
          "float32", False)
    check(lax.associative_scan(jnp.add, jnp.full(3, 1) * 1), [1, 2, 3], "int32", False)
    check(lax.associative_scan(jnp.add, jnp.full((3, 1), 0.5), axis=1), [[0.5]] * 3,
          "float32", True)


# --- B12: carries that start weak and become strong ----------------------------

def test_weak_carry_made_strong_keeps_weak_ys(jit_backend):
    f = lambda c0: lax.scan(lambda c, v: (c + v, c), c0, jnp.arange(2.))
    # JAX 0.10.2: carry 1.0 strong, ys [0, 0] weak (the body reads the weak input carry)
    carry, ys = f(0.)
    check(carry, 1., "float32", False)
    check(ys, [0., 0.], "float32", True)
    carry, ys = jax.jit(f)(0.)
    check(carry, 1., "float32", False)
    check(ys, [0., 0.], "float32", True)
    # JAX 0.10.2: zero-length: the carry is typed by the body's output (strong)
    carry, ys = lax.scan(lambda c, v: (c + v, c), 0., jnp.arange(0.))
    check(carry, 0., "float32", False)
    check(ys, np.zeros(0), "float32", True)
    # JAX 0.10.2: jvp: ys and their tangents weak
    (_, ys), (_, ys_dot) = jax.jvp(
        lambda c: lax.scan(lambda c, v: (c * jnp.float32(2.), c), c, None, length=2),
        (2.,), (1.,))
    check(ys, [2., 4.], "float32", True)
    check(ys_dot, [1., 2.], "float32", True)


def test_strong_carry_made_weak_and_dtype_promotion():
    # JAX 0.10.2: the final carry takes the body's output type (weak here)
    carry, ys = lax.scan(lambda c, v: (1., c), jnp.float32(0.), jnp.arange(2.))
    check(carry, 1., "float32", True)
    check(ys, [0., 1.], "float32", False)
    check(lax.while_loop(lambda c: c < 1, lambda c: 1., jnp.float32(0.)), 1., "float32", True)
    check(lax.while_loop(lambda c: c < 5, lambda c: c * jnp.float32(2.), 2.), 8., "float32",
          False)
    # JAX 0.10.2: a weak int carry the body makes float is converted to strong float32
    check(lax.fori_loop(0, 3, lambda i, c: c + 0.5, 0), 1.5, "float32", False)
