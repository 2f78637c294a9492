"""The inlined lowerings (native while/if/for, inlined calls, rank-0 operators)
give bit-identical results to the reference interpreter."""
from functools import partial

import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax import lax


def _both(f, *args):
    outs = {}
    for backend in ("interpret", "numpy_codegen"):
        prev = jax.config.purejax_jit_backend
        jax.config.update("purejax_jit_backend", backend)
        try:
            outs[backend] = jax.jit(f)(*args)
        finally:
            jax.config.update("purejax_jit_backend", prev)
    return outs["interpret"], outs["numpy_codegen"]


def _assert_identical(a, b):
    la, lb = jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)
    assert len(la) == len(lb)
    for x, y in zip(la, lb):
        assert x.dtype == y.dtype and x.shape == y.shape and x.weak_type == y.weak_type
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
        assert np.asarray(x).tobytes() == np.asarray(y).tobytes()


def _newton_sqrt():
    @partial(jax.custom_vjp, nondiff_argnums=(0,))
    def fixed_point(f, a, x_guess):
        def cond_fun(carry):
            x_prev, x = carry
            return jnp.abs(x_prev - x) > 1e-6

        def body_fun(carry):
            _, x = carry
            return x, f(a, x)
        return lax.while_loop(cond_fun, body_fun, (x_guess, f(a, x_guess)))[1]

    def fwd(f, a, x_init):
        x_star = fixed_point(f, a, x_init)
        return x_star, (a, x_star)

    def rev(f, res, x_star_bar):
        a, x_star = res
        _, vjp_a = jax.vjp(lambda a: f(a, x_star), a)

        def rev_iter(packed, u):
            a, x_star, x_star_bar = packed
            _, vjp_x = jax.vjp(lambda x: f(a, x), x_star)
            return x_star_bar + vjp_x(u)[0]
        a_bar, = vjp_a(fixed_point(rev_iter, (a, x_star, x_star_bar), x_star_bar))
        return a_bar, jnp.zeros_like(x_star)

    fixed_point.defvjp(fwd, rev)
    return lambda a: fixed_point(lambda a, x: 0.5 * (x + a / x), a, a)


CASES = {
    "newton_sqrt": (_newton_sqrt(), (2.0,)),
    "grad_newton_sqrt": (jax.grad(_newton_sqrt()), (2.0,)),
    "grad_newton_sqrt_f32_array": (jax.grad(_newton_sqrt()), (np.float32(3.0),)),
    "pytree_carry": (lambda x: lax.while_loop(
        lambda c: c["i"] < 5, lambda c: {"i": c["i"] + 1, "x": (c["x"][0] * 1.5, c["x"][1] - 1.0)},
        {"i": 0, "x": (x, x)}), (0.7,)),
    "zero_iterations": (lambda x: lax.while_loop(lambda c: c > 100.0, lambda c: c * 2.0, x), (1.0,)),
    "int_float_carries": (lambda x: lax.fori_loop(0, jnp.int32(7), lambda i, c: c * x + i, x),
                          (1.1,)),
    "cond_in_while": (lambda x: lax.while_loop(
        lambda c: c[0] < 10, lambda c: (c[0] + 1, lax.cond(c[0] % 2 == 0, lambda v: v * 3.0,
                                                            lambda v: v - 1.0, c[1])),
        (0, x)), (0.3,)),
    "nested_loops": (lambda x: lax.while_loop(
        lambda c: c[0] < 4,
        lambda c: (c[0] + 1, lax.while_loop(lambda d: d < c[0] * 10.0 + 1.0,
                                            lambda d: d * 1.7 + x, c[1])),
        (0, x)), (0.25,)),
    "switch_clamped": (lambda x: [lax.switch(i, [lambda v: v + 1.0, lambda v: v * 2.0,
                                                 lambda v: -v], x) for i in (-3, 0, 1, 2, 9)],
                       (1.5,)),
    "scan_in_while": (lambda x: lax.while_loop(
        lambda c: c[0] < 3,
        lambda c: (c[0] + 1, lax.scan(lambda k, y: (k * y + 1.0, k - y), c[1],
                                      jnp.arange(3.0))[0]), (0, x)), (0.5,)),
    "scan_reverse_stacked": (lambda x: lax.scan(lambda k, y: (k / (y + 2.0), (k, y > 1.0)), x,
                                                jnp.arange(4.0), reverse=True), (3.0,)),
    "nan_inf_div": (lambda x: lax.while_loop(lambda c: c[0] < 3,
                                             lambda c: (c[0] + 1, c[1] / (c[1] - c[1])),
                                             (0, x)), (2.0,)),
    "int_arith_wraps": (lambda x: lax.while_loop(
        lambda c: c[0] < 25, lambda c: (c[0] + 1, c[1] * 3 + 1), (0, x)), (np.int32(7),)),
    "abs_neg_pow": (lambda x: lax.while_loop(lambda c: abs(c) < 50.0,
                                             lambda c: -(c ** 3) + c ** -2 - abs(c), x), (1.3,)),
}


@pytest.fixture(params=[False, True], ids=["f32", "f64"])
def precision(request):
    prev = jax.config.read("jax_enable_x64")
    jax.config.update("jax_enable_x64", request.param)
    yield
    jax.config.update("jax_enable_x64", prev)


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_interpreter(name, precision):
    f, args = CASES[name]
    a, b = _both(f, *args)
    _assert_identical(a, b)


def test_inlined_while_is_one_native_loop():
    text = jax.jit(jax.grad(_newton_sqrt())).lower(2.0).as_text()
    assert text.count("while True:") == 2
    assert "_while" not in text and "custom_vjp_call" not in text


def test_operators_only_for_rank0_floats():
    text = jax.jit(lambda x, i: (x - x * 2.0, i + i)).lower(1.0, 3).as_text()
    assert " - " in text and " * " in text
    assert " + " not in text  # int32 arithmetic stays a ufunc (which wraps on overflow)
    text = jax.jit(lambda x: x - x * 2.0).lower(jnp.ones(3)).as_text()
    assert " - " not in text and " * " not in text


def test_eager_while_uses_the_same_loop():
    out = lax.while_loop(lambda c: c < 10.0, lambda c: c * 2.0, jnp.float32(1.0))
    assert out.dtype == np.float32 and float(out) == 16.0
