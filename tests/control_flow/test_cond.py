"""lax.cond and lax.switch: eager, jit (both backends), vmap with batched and
unbatched predicates, jvp/grad against finite differences and against Python `if`,
second order, errors."""
import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax import lax
from purejax.test_util import check_grads


def branchy(x, y):
    """cond with pytree operands and results and branch-specific residuals."""
    def true_fun(ops):
        a, b = ops["a"], ops["b"]
        return {"s": jnp.sin(a) * b, "t": (a * a, b)}

    def false_fun(ops):
        a, b = ops["a"], ops["b"]
        return {"s": jnp.exp(b) + a, "t": (jnp.cos(a), b * 3.0)}

    return lax.cond(x > y, true_fun, false_fun, {"a": x, "b": y})


def branchy_py(x, y):
    if x > y:
        return {"s": jnp.sin(x) * y, "t": (x * x, y)}
    return {"s": jnp.exp(y) + x, "t": (jnp.cos(x), y * 3.0)}


def scalar_out(x, y):
    out = branchy(x, y)
    return out["s"] + out["t"][0] * out["t"][1]


def scalar_out_py(x, y):
    out = branchy_py(x, y)
    return out["s"] + out["t"][0] * out["t"][1]


def assert_tree_close(a, b, **kw):
    la, lb = jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)
    assert len(la) == len(lb)
    for x, y in zip(la, lb):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), **kw)


@pytest.mark.parametrize("x,y", [(1.5, 0.5), (-0.3, 0.7)])
def test_eager_and_jit_match_python(x, y, jit_backend):
    expected = branchy_py(x, y)
    assert_tree_close(branchy(x, y), expected, rtol=1e-6)
    assert_tree_close(jax.jit(branchy)(x, y), expected, rtol=1e-6)


def test_outputs_keep_types_and_structure():
    out = branchy(1.0, 2.0)
    assert set(out) == {"s", "t"} and isinstance(out["t"], tuple)
    r = lax.cond(True, lambda x: x.astype(jnp.int32), lambda x: x.astype(jnp.int32),
                 jnp.arange(3.0))
    assert r.dtype == jnp.int32 and r.shape == (3,)
    # no operands at all; closed-over values become operands
    z = jnp.float32(4.0)
    assert float(lax.cond(False, lambda: z * 2, lambda: z + 1)) == 5.0


def test_int_predicate_and_switch_clamping():
    assert float(lax.cond(3, lambda x: x + 1, lambda x: x - 1, 1.0)) == 2.0
    assert float(lax.cond(0, lambda x: x + 1, lambda x: x - 1, 1.0)) == 0.0
    fns = [lambda x: x * 10, lambda x: x * 20, lambda x: x * 30]
    got = [float(lax.switch(i, fns, 1.0)) for i in (-5, 0, 1, 2, 9)]
    assert got == [10.0, 10.0, 20.0, 30.0, 30.0]
    jf = jax.jit(lambda i, x: lax.switch(i, fns, x))
    assert [float(jf(i, 1.0)) for i in (-5, 0, 1, 2, 9)] == got


def test_make_jaxpr_prints_cond_and_branch_order():
    text = str(jax.make_jaxpr(lambda x: lax.cond(x > 0, jnp.sin, jnp.cos, x))(1.0))
    assert "cond[branches=(" in text
    # false branch first, as in JAX
    assert text.index("cos") < text.index("sin")
    sw = str(jax.make_jaxpr(lambda i, x: lax.switch(i, [jnp.sin, jnp.cos, jnp.exp], x))(1, 1.0))
    assert "clamp" in sw and sw.count("{ lambda") == 4


def test_eager_evaluates_only_the_taken_branch():
    # the untaken branch would produce nan/inf; under EvalTrace only the chosen
    # branch's Jaxpr is evaluated, so no warnings and the right value.
    calls = []

    def bad(x):
        calls.append("traced")
        return jnp.log(x - 10.0)

    with np.errstate(all="raise"):
        assert float(lax.cond(True, lambda x: x * 2, bad, 1.0)) == 2.0
    assert calls == ["traced"]  # staged once, as JAX does


def test_disable_jit_runs_python_branch():
    traced = []

    def t(x):
        traced.append("t")
        return x + 1

    def f(x):
        traced.append("f")
        return x - 1

    with jax.disable_jit():
        assert float(lax.cond(True, t, f, 1.0)) == 2.0
    assert traced == ["t"]


@pytest.mark.parametrize("x,y", [(1.5, 0.5), (-0.3, 0.7)])
def test_grads_against_finite_differences_and_python(x, y, x64):
    check_grads(scalar_out, (x, y), order=2)
    g = jax.grad(scalar_out, argnums=(0, 1))(x, y)
    g_py = jax.grad(scalar_out_py, argnums=(0, 1))(x, y)
    assert_tree_close(g, g_py, rtol=1e-12)
    for i in (0, 1):
        for j in (0, 1):
            gg = jax.grad(jax.grad(scalar_out, argnums=i), argnums=j)(x, y)
            gg_py = jax.grad(jax.grad(scalar_out_py, argnums=i), argnums=j)(x, y)
            np.testing.assert_allclose(gg, gg_py, rtol=1e-10)


def test_jvp_union_of_nonzero_tangents(x64):
    # only one branch depends on y: the output tangent must still be nonzero when
    # the other branch is taken under vmap of the predicate
    def f(p, x, y):
        return lax.cond(p, lambda x, y: x * y, lambda x, y: x * 2.0, x, y)
    _, t = jax.jvp(lambda y: f(True, 2.0, y), (3.0,), (1.0,))
    assert float(t) == 2.0
    _, t = jax.jvp(lambda y: f(False, 2.0, y), (3.0,), (1.0,))
    assert float(t) == 0.0


def test_switch_grads(x64):
    fns = [lambda x: x ** 3, jnp.sin, lambda x: jnp.exp(x) * x]
    for i in (-1, 0, 1, 2, 7):
        check_grads(lambda x: lax.switch(i, fns, x), (0.7,), order=2)


def test_vmap_unbatched_predicate():
    xs = jnp.array([1.0, 2.0, 3.0])
    f = lambda p, x: lax.cond(p, lambda x: x * 2, lambda x: -x, x)
    out = jax.vmap(f, in_axes=(None, 0))(True, xs)
    np.testing.assert_allclose(out, [2.0, 4.0, 6.0])
    jaxpr = str(jax.make_jaxpr(jax.vmap(f, in_axes=(None, 0)))(True, xs))
    assert "cond[" in jaxpr and "select_n" not in jaxpr


def test_vmap_batched_predicate_becomes_select(jit_backend):
    xs = jnp.array([1.0, -2.0, 3.0, -4.0])
    f = lambda x: lax.cond(x > 0, lambda x: jnp.sqrt(x), lambda x: x * x, x)
    expected = [1.0, 4.0, np.sqrt(3.0), 16.0]
    np.testing.assert_allclose(jax.vmap(f)(xs), expected, rtol=1e-6)
    np.testing.assert_allclose(jax.jit(jax.vmap(f))(xs), expected, rtol=1e-6)
    jaxpr = str(jax.make_jaxpr(jax.vmap(f))(xs))
    assert "select_n" in jaxpr and "cond[" not in jaxpr
    # the branch not taken per lane produced nan for sqrt(-x): select discards it
    assert not np.any(np.isnan(np.asarray(jax.vmap(f)(xs))))


def test_vmap_switch_batched_index_and_operands(x64):
    fns = [lambda x, y: x + y, lambda x, y: x * y, lambda x, y: x - y]
    idx = jnp.array([0, 1, 2, 5, -1])
    xs = jnp.arange(5.0)
    f = lambda i, x: lax.switch(i, fns, x, 2.0)
    expected = [0 + 2, 1 * 2, 2 - 2, 3 - 2, 4 + 2]
    np.testing.assert_allclose(jax.vmap(f)(idx, xs), expected)
    np.testing.assert_allclose(jax.vmap(jax.grad(f, argnums=1))(idx, xs), [1, 2, 1, 1, 1])
    # batched index, unbatched operand
    np.testing.assert_allclose(jax.vmap(f, in_axes=(0, None))(idx, 3.0), [5, 6, 1, 1, 5])


def test_vmap_of_grad_and_grad_of_vmap(x64):
    xs = jnp.array([1.5, -0.3, 0.2])
    ys = jnp.array([0.5, 0.7, 0.1])
    got = jax.vmap(jax.grad(scalar_out, argnums=(0, 1)))(xs, ys)
    want = [jax.grad(scalar_out_py, argnums=(0, 1))(float(a), float(b))
            for a, b in zip(xs, ys)]
    np.testing.assert_allclose(got[0], [w[0] for w in want], rtol=1e-12)
    np.testing.assert_allclose(got[1], [w[1] for w in want], rtol=1e-12)
    g = jax.grad(lambda x: jnp.sum(jax.vmap(scalar_out)(x, ys)))(xs)
    np.testing.assert_allclose(g, [w[0] for w in want], rtol=1e-12)


def test_jit_of_grad_both_backends(jit_backend, x64):
    g = jax.jit(jax.grad(scalar_out, argnums=(0, 1)))
    for x, y in [(1.5, 0.5), (-0.3, 0.7)]:
        assert_tree_close(g(x, y), jax.grad(scalar_out_py, argnums=(0, 1))(x, y),
                          rtol=1e-12)


def test_perturbation_confusion():
    # the closed-over outer x must be an operand distinct from the inner y
    f = lambda x: jax.grad(lambda y: lax.cond(y > 0, lambda: x * y, lambda: y))(1.0)
    assert float(jax.grad(f)(1.0)) == 1.0


def test_cond_inside_linearize_and_vjp(x64):
    y, f_jvp = jax.linearize(scalar_out, 1.5, 0.5)
    _, t = jax.jvp(scalar_out, (1.5, 0.5), (1.0, 0.0))
    np.testing.assert_allclose(f_jvp(1.0, 0.0), t)
    _, pullback = jax.vjp(scalar_out, 1.5, 0.5)
    assert_tree_close(pullback(1.0), jax.grad(scalar_out, argnums=(0, 1))(1.5, 0.5))


# --- errors -----------------------------------------------------------------

def test_branch_output_type_mismatch_names_both_branches():
    def on_true(x):
        return x

    def on_false(x):
        return x.astype(jnp.int32)

    with pytest.raises(TypeError) as e:
        lax.cond(True, on_true, on_false, 1.0)
    msg = str(e.value)
    assert "on_true" in msg and "on_false" in msg
    assert "f32[]" in msg and "i32[]" in msg


def test_branch_structure_mismatch():
    def one(x):
        return x

    def two(x):
        return (x, x)

    with pytest.raises(TypeError) as e:
        lax.cond(True, one, two, 1.0)
    msg = str(e.value)
    assert "one" in msg and "two" in msg and "structure" in msg
    with pytest.raises(TypeError, match="branch 1"):
        lax.switch(0, [one, two], 1.0)


def test_predicate_errors():
    with pytest.raises(TypeError, match="Pred must be a scalar"):
        lax.cond(jnp.array([True, False]), lambda: 1.0, lambda: 2.0)
    # A float predicate means `pred != 0`, as in JAX; a complex one is an error.
    assert float(lax.cond(1.5, lambda: 1.0, lambda: 2.0)) == 1.0
    with pytest.raises(TypeError, match="boolean or number"):
        lax.cond(1.5j, lambda: 1.0, lambda: 2.0)
    with pytest.raises(TypeError, match="Index type must be an integer"):
        lax.switch(1.0, [lambda: 1.0, lambda: 2.0])
    with pytest.raises(ValueError, match="Empty branch sequence"):
        lax.switch(0, [])


def test_python_control_flow_inside_a_branch_names_the_branch():
    def abs_with_if(x):
        return x if x > 0 else -x

    with pytest.raises(jax.errors.ConcretizationTypeError if hasattr(jax, "errors")
                       else TypeError) as e:
        lax.cond(True, abs_with_if, lambda x: x, 1.0)
    assert "abs_with_if" in str(e.value) and "lax.cond" in str(e.value)
