"""lax.optimization_barrier (an identity that stays one equation in staged programs,
with JAX's JVP, transpose and batching rules) and the name-based checkpoint policies
(checkpoint_name with save_only_these_names, save_any_names_but_these,
save_from_both_policies), which must change what is saved and what is recomputed."""
import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax import checkpoint, grad, jit, lax, vjp, vmap
from purejax.ad_checkpoint import checkpoint_name
from purejax.test_util import check_grads

cp = jax.checkpoint_policies


# --- optimization_barrier ----------------------------------------------------------

def _f(x):
    y = lax.optimization_barrier((jnp.sin(x), x * 2))
    return y[0] * y[1]


def test_barrier_is_identity_on_pytrees():
    out = lax.optimization_barrier([1, 2.0, {"a": np.float32(3)}])
    assert isinstance(out, list) and isinstance(out[2], dict)
    assert out[0].dtype == np.int32 and out[0].weak_type  # JAX 0.10.2: weak int32
    assert out[1].dtype == np.float32 and out[1].weak_type
    assert out[2]["a"].dtype == np.float32 and not out[2]["a"].weak_type
    assert float(lax.optimization_barrier(1.0)) == 1.0
    x = jnp.arange(3.0)
    np.testing.assert_array_equal(jit(lax.optimization_barrier)(x), x)
    assert lax.optimization_barrier(()) == ()


def test_barrier_staged_as_its_own_equation():
    # JAX 0.10.2 prints `d:f32[] e:f32[] = optimization_barrier b c`
    text = str(jax.make_jaxpr(_f)(1.0))
    assert "d:f32[] e:f32[] = optimization_barrier b c" in text
    # JVP: primals and tangents pass through separate barriers (as JAX)
    text = str(jax.make_jaxpr(lambda x: jax.jvp(_f, (x,), (x,)))(1.0))
    assert text.count("optimization_barrier") == 2
    # transpose: the cotangents pass through a barrier
    text = str(jax.make_jaxpr(jax.linear_transpose(lax.optimization_barrier, 1.0))(1.0))
    assert "b:f32[] = optimization_barrier a" in text
    # jit compiles it (and keeps the value)
    g = jit(lambda x: lax.optimization_barrier(jnp.sin(x)) + jnp.sin(x))
    assert float(g(0.5)) == pytest.approx(2 * np.sin(0.5), rel=1e-6)


def test_barrier_derivatives_and_batching():
    x = np.array([0.5, 2.0], np.float32)
    ref = lambda x: np.sin(x) * 2 * x  # noqa: E731
    np.testing.assert_allclose(vmap(_f)(x), ref(x), rtol=1e-6)
    np.testing.assert_allclose(vmap(grad(_f))(x), 2 * np.sin(x) + 2 * x * np.cos(x), rtol=1e-6)
    np.testing.assert_allclose(jit(vmap(grad(grad(_f))))(x),
                               4 * np.cos(x) - 2 * x * np.sin(x), rtol=1e-5)
    check_grads(_f, (np.float32(0.7),), order=2, rtol=2e-2)
    check_grads(lambda a, b: lax.optimization_barrier({"u": a * b, "v": a})["u"],
                (x, x + 1), order=2, rtol=2e-2)
    # a batch dimension other than 0 stays where it is
    y = jnp.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(vmap(lax.optimization_barrier, 1, 1)(y), y)
    # integer operands: no tangent, no error
    g = grad(lambda x, n: lax.optimization_barrier((x, n))[0] * 3.0)(2.0, 3)
    assert float(g) == 3.0


# --- checkpoint_name and name-based policies ----------------------------------------

from test_checkpoint import calls, counted_sin  # noqa: E402  (a primitive counting its runs)


def chain(x):
    a = checkpoint_name(counted_sin(x), "a")
    b = checkpoint_name(counted_sin(a), "b")
    return jnp.sum(counted_sin(b))


X = jnp.array([0.1, 0.5, 1.5])


def _evaluations_in_grad(policy):
    calls.clear()
    grad(checkpoint(chain, policy=policy))(X)
    return len(calls)


def test_checkpoint_name_is_an_identity_equation():
    np.testing.assert_array_equal(checkpoint_name(X, "x"), X)
    out = checkpoint_name({"p": 1.0, "q": X}, "t")
    assert out["p"].weak_type and float(out["p"]) == 1.0
    text = str(jax.make_jaxpr(lambda x: checkpoint_name(jnp.sin(x), "zz"))(1.0))
    assert "c:f32[] = name[name=zz] b" in text  # JAX 0.10.2's printing
    # the tangent is not named (JAX: only the primal keeps the name)
    text = str(jax.make_jaxpr(lambda x: jax.jvp(lambda y: checkpoint_name(y, "n"), (x,),
                                                 (x,)))(1.0))
    assert text.count("name[name=n]") == 1
    assert str(vmap(lambda x: checkpoint_name(x * 2, "v"))(X)) == str(X * 2)
    check_grads(lambda x: checkpoint_name(jnp.sin(x), "s") * x, (X,), order=2, rtol=2e-2)
    assert jax.ad_checkpoint.checkpoint_policies is cp


def test_name_policies_change_what_is_recomputed():
    # forward pass: 3 evaluations; the backward pass recomputes the named values
    # (a, b) the policy does not save, each costing one more evaluation
    assert _evaluations_in_grad(cp.everything_saveable) == 3
    assert _evaluations_in_grad(cp.nothing_saveable) == 5
    assert _evaluations_in_grad(cp.save_only_these_names("a")) == 4
    assert _evaluations_in_grad(cp.save_only_these_names("a", "b")) == 3
    assert _evaluations_in_grad(cp.save_only_these_names("zzz")) == 5
    assert _evaluations_in_grad(cp.save_any_names_but_these("b")) == 4
    assert _evaluations_in_grad(cp.save_any_names_but_these()) == 3
    both = cp.save_from_both_policies(cp.save_only_these_names("a"),
                                      cp.save_only_these_names("b"))
    assert _evaluations_in_grad(both) == 3
    # JAX 0.10.2: save_anything_except_these_names ignores the names (saves everything)
    assert _evaluations_in_grad(cp.save_anything_except_these_names("a")) == 3
    offload = cp.save_and_offload_only_these_names(
        names_which_can_be_saved=["a"], names_which_can_be_offloaded=["b"],
        offload_src="device", offload_dst="pinned_host")
    assert _evaluations_in_grad(offload) == 3


def test_name_policies_change_the_saved_residuals():
    def residuals(policy):
        _, pb = vjp(checkpoint(chain, policy=policy), X)
        return len(pb.lin.consts)

    n_none = residuals(cp.nothing_saveable)
    n_a = residuals(cp.save_only_these_names("a"))
    n_ab = residuals(cp.save_only_these_names("a", "b"))
    assert n_none < n_a < n_ab


def test_name_policies_keep_values_and_compose():
    ref = grad(chain)(X)
    for policy in (cp.save_only_these_names("a"), cp.save_any_names_but_these("a"),
                   cp.save_from_both_policies(cp.dots_saveable, cp.save_only_these_names("b")),
                   cp.checkpoint_dots_with_no_batch_dims):
        f = checkpoint(chain, policy=policy)
        np.testing.assert_allclose(grad(f)(X), ref, rtol=1e-6)
        np.testing.assert_allclose(jit(grad(f))(X), ref, rtol=1e-6)
        np.testing.assert_allclose(vmap(grad(f))(jnp.stack([X, X])), jnp.stack([ref, ref]),
                                   rtol=1e-6)
    g = checkpoint(lambda x: jnp.sum(jnp.cos(checkpoint_name(jnp.sin(x), "a")) * x),
                   policy=cp.save_only_these_names("a"))
    check_grads(g, (X,), order=2, rtol=2e-2)
    assert cp.checkpoint_dots_with_no_batch_dims is cp.dots_with_no_batch_dims_saveable
    bad = cp.save_from_both_policies(cp.nothing_saveable, lambda *a, **k: "yes")
    with pytest.raises(ValueError, match="should be a boolean"):
        grad(checkpoint(chain, policy=bad))(X)
    with pytest.raises(ValueError, match="should be exclusive"):
        cp.save_and_offload_only_these_names(
            names_which_can_be_saved=["a"], names_which_can_be_offloaded=["a"],
            offload_src="device", offload_dst="pinned_host")
