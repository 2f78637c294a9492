"""custom_jvp on the eager tape (interpreters/tape_custom.py): the fast path for array
and scalar positional arguments must give what the general path and jit give, run the
rule on every call with concrete primals (as JAX does eagerly), and raise the same
errors."""
import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax._src.custom_derivatives import CustomRuleError
from purejax._src.interpreters import tape_custom
from purejax.experimental import enable_x64


@pytest.fixture
def fast_calls(monkeypatch):
    """How many custom_jvp calls the fast path recorded (NotImplemented ones excluded)."""
    calls = []
    orig = tape_custom.custom_jvp_call

    def spy(trace, cj, args):
        out = orig(trace, cj, args)
        if out is not NotImplemented:
            calls.append(cj)
        return out
    monkeypatch.setattr(tape_custom, "custom_jvp_call", spy)
    return calls


def _log1pexp():
    @jax.custom_jvp
    def log1pexp(x):
        return jnp.log(1. + jnp.exp(x))

    @log1pexp.defjvp
    def log1pexp_jvp(primals, tangents):
        x, = primals
        x_dot, = tangents
        return log1pexp(x), (1 - 1 / (1 + jnp.exp(x))) * x_dot
    return log1pexp


@pytest.mark.parametrize("x", [3.0, -2.0, 0.0, 100.0, -100.0, np.inf, -np.inf, np.nan])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_seed_log1pexp_matches_jit_to_second_order(x, dtype, fast_calls):
    """The eager (taped) gradients equal jit's (staged linearize + transpose) bit for bit,
    edge points included (the seed's formula gives 0 at -100 and NaN curvature at
    +-inf or 100, both ways); the closed form where the formula is accurate."""
    with enable_x64(dtype == np.float64):
        f = _log1pexp()
        xa = jnp.asarray(x, dtype)
        g = jax.grad(f)(xa)
        assert g.dtype == dtype
        np.testing.assert_array_equal(g, jax.jit(jax.grad(f))(xa))
        gg = jax.grad(jax.grad(f))(xa)   # the outer tape sees the inner one
        np.testing.assert_array_equal(gg, jax.jit(jax.grad(jax.grad(f)))(xa))
        if abs(x) <= 3:
            want = 1 / (1 + np.exp(-x))
            np.testing.assert_allclose(np.float64(g), want, rtol=1e-6)
            np.testing.assert_allclose(np.float64(gg), want * (1 - want), rtol=1e-5)
        assert fast_calls


def test_rule_runs_every_call_with_concrete_primals(fast_calls):
    """As JAX eagerly: Python control flow on primal values, and state read when the
    rule runs, not when it first ran."""
    state = {"scale": 1.0, "runs": 0}

    @jax.custom_jvp
    def f(x):
        return jnp.sin(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        state["runs"] += 1
        slope = jnp.cos(x) if x > 0 else -jnp.cos(x)   # branches on the value
        return f(x), state["scale"] * slope * t

    np.testing.assert_allclose(jax.grad(f)(1.0), np.cos(1.0), rtol=1e-6)
    np.testing.assert_allclose(jax.grad(f)(-1.0), -np.cos(-1.0), rtol=1e-6)
    state["scale"] = 3.0
    np.testing.assert_allclose(jax.grad(f)(1.0), 3 * np.cos(1.0), rtol=1e-6)
    assert state["runs"] == 3 and len(fast_calls) == 3


def test_several_arguments_concrete_and_integer_ones(fast_calls):
    @jax.custom_jvp
    def f(x, y, n):
        return x * y ** n

    @f.defjvp
    def f_jvp(primals, tangents):
        (x, y, n), (tx, ty, tn) = primals, tangents
        assert tn.dtype == jax.dtypes.float0   # an integer argument's tangent
        return f(x, y, n), tx * y ** n + x * n * y ** (n - 1) * ty

    # differentiating x only: y (a Python float) and n (an int) are concrete
    np.testing.assert_allclose(jax.grad(f)(2.0, 3.0, 2), 9.0)
    np.testing.assert_allclose(jax.grad(f, argnums=1)(2.0, 3.0, 2), 12.0)
    gx, gy = jax.grad(f, argnums=(0, 1))(2.0, 3.0, 2)
    np.testing.assert_allclose([gx, gy], [9.0, 12.0])
    assert fast_calls


def test_used_twice_and_mixed_with_other_operations(fast_calls):
    f = _log1pexp()

    def g(x):
        return f(x) * f(2 * x) + jnp.sin(x)

    x = 0.7
    s = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    want = (s(x) * np.log1p(np.exp(2 * x)) + np.log1p(np.exp(x)) * 2 * s(2 * x)
            + np.cos(x))
    np.testing.assert_allclose(jax.grad(g)(x), want, rtol=1e-6)
    np.testing.assert_allclose(jax.grad(g)(x), jax.jit(jax.grad(g))(x), rtol=1e-6)
    assert len(fast_calls) == 4   # two eager grads, two calls each


def test_pytree_output_and_zero_tangent_output(fast_calls):
    @jax.custom_jvp
    def f(x):
        return {"a": 2 * x, "b": jnp.floor(x)}

    @f.defjvp
    def f_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return f(x), {"a": 2 * t, "b": jnp.zeros_like(x)}   # a known (constant) tangent

    np.testing.assert_allclose(jax.grad(lambda x: f(x)["a"] + f(x)["b"])(1.5), 2.0)
    np.testing.assert_allclose(jax.grad(lambda x: f(x)["b"])(1.5), 0.0)
    assert fast_calls


def test_under_vmap_and_jvp_the_general_path_agrees():
    f = _log1pexp()
    xs = jnp.asarray([-3.0, 0.0, 2.0, 50.0])
    want = 1 / (1 + np.exp(-np.asarray(xs, np.float64)))
    np.testing.assert_allclose(jax.vmap(jax.grad(f))(xs), want, rtol=1e-6)
    _, t = jax.jvp(jax.grad(f), (2.0,), (1.0,))
    np.testing.assert_allclose(t, want[2] * (1 - want[2]), rtol=1e-5)


def test_errors_match_the_general_path():
    @jax.custom_jvp
    def leaky(x):
        return jnp.sin(x)

    @leaky.defjvp
    def leaky_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return jnp.sin(x) + t, t                # primal output uses the tangent

    with pytest.raises(CustomRuleError, match="primal output depends on the input tangents"):
        jax.grad(leaky)(1.0)

    @jax.custom_jvp
    def nonlinear(x):
        return jnp.sin(x)

    @nonlinear.defjvp
    def nonlinear_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return nonlinear(x), t * t

    with pytest.raises(TypeError, match="cannot transpose mul"):
        jax.grad(nonlinear)(1.0)

    @jax.custom_jvp
    def bad_shape(x):
        return x

    @bad_shape.defjvp
    def bad_shape_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return x, jnp.stack([t, t])

    with pytest.raises(CustomRuleError, match="shape"):
        jax.grad(bad_shape)(1.0)

    no_rule = jax.custom_jvp(lambda x: x * 2)
    with pytest.raises(AttributeError, match="No JVP defined"):
        jax.grad(no_rule)(1.0)


@pytest.mark.parametrize("name", ["relu", "relu6", "log1mexp", "i0", "composed"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_library_custom_jvp_functions_eager_equal_jit(name, dtype, fast_calls):
    """The library's own custom_jvp functions, at ordinary and edge points (0, ties at
    the kinks, negative, inf, nan): eager gradients (the fast path) equal jit's to
    second order."""
    fns = {"relu": jax.nn.relu, "relu6": jax.nn.relu6, "log1mexp": jax.nn.log1mexp,
           "i0": jnp.i0,
           "composed": lambda x: jax.nn.relu(jnp.sin(x)) * jnp.i0(x) + jax.nn.relu6(x * 3)}
    f = fns[name]
    points = [0.0, 2.0, 6.0, -1.5, 0.3, 40.0, np.inf, -np.inf, np.nan]
    if name == "log1mexp":
        points = [1e-3, 0.5, np.log(2.0), 3.0, 40.0, np.inf, np.nan]
    with enable_x64(dtype == np.float64):
        g, gg = jax.grad(f), jax.grad(jax.grad(f))
        jg, jgg = jax.jit(g), jax.jit(gg)
        for x in points:
            xa = jnp.asarray(x, dtype)
            np.testing.assert_array_equal(g(xa), jg(xa), err_msg=f"{name} at {x}")
            np.testing.assert_array_equal(gg(xa), jgg(xa), err_msg=f"{name}'' at {x}")
    assert fast_calls


def test_general_path_records_the_same_way(fast_calls):
    """nondiff_argnums takes custom_jvp's general path (TapeTrace.process_custom_jvp_call),
    which records the rule through the same TapeTrace.record_rule: same values as jit,
    same error for a primal output that uses the tangent."""
    from functools import partial

    @partial(jax.custom_jvp, nondiff_argnums=(0,))
    def scaled(k, x):
        return k * jnp.sin(x)

    @scaled.defjvp
    def scaled_jvp(k, primals, tangents):
        (x,), (t,) = primals, tangents
        return scaled(k, x), k * jnp.cos(x) * t

    for x in (0.0, 1.3, -2.0, np.inf):
        np.testing.assert_array_equal(jax.grad(scaled, argnums=1)(3.0, x),
                                      jax.jit(jax.grad(scaled, argnums=1), static_argnums=0)(3.0, x))
    np.testing.assert_allclose(jax.grad(scaled, argnums=1)(3.0, 1.3), 3 * np.cos(1.3), rtol=1e-6)
    assert not fast_calls

    @partial(jax.custom_jvp, nondiff_argnums=(0,))
    def leaky(k, x):
        return k * x

    @leaky.defjvp
    def leaky_jvp(k, primals, tangents):
        (x,), (t,) = primals, tangents
        return k * x + t, k * t

    with pytest.raises(CustomRuleError, match="primal output depends on the input tangents"):
        jax.grad(leaky, argnums=1)(2.0, 1.0)
