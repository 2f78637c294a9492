"""Eager jvp of higher-order primitives (interpreters/jvp_templates.py) compiles their
JVP rule once per operand signature and structure of their sub-Jaxprs, which eager
control flow traces anew on every call. Every call must give what the rule itself
gives on that call's values (the general path), and custom rules inside must count."""
import os
import sys

import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax import lax
from purejax._src.interpreters import jvp_templates

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "oracle"))
from corpus import CORPUS, make_args  # noqa: E402

NAMES = {"newton_sqrt_while", "nested_jit_inside", "custom_vjp_inside_jit_vmap", "cond_simple",
         "cond_pytree_operands", "switch_three", "switch_clamped_index", "while_loop_count",
         "fori_loop_static", "fori_loop_dynamic", "scan_cumsum", "scan_rnn",
         "scan_reverse_length", "cond_inside_scan", "scan_inside_cond", "map_over_rows",
         "jaxpr_jit_inside", "jaxpr_cond", "jaxpr_scan"}
HIGHER_ORDER = [e for e in CORPUS if e.name in NAMES and e.diff]


def _jvp(f, args, diff, tangents):
    def g(*d):
        full = list(args)
        for i, a in zip(diff, d):
            full[i] = a
        return f(*full)
    return jax.jvp(g, tuple(args[i] for i in diff), tuple(tangents))


def _general(monkeypatch, fn):
    with monkeypatch.context() as m:
        m.setattr(jvp_templates, "eager_jvp", lambda *a: None)
        return fn()


def _leaves(tree):
    return [np.asarray(x) for x in jax.tree_util.tree_leaves(tree)]


@pytest.mark.parametrize("entry", HIGHER_ORDER, ids=[e.name for e in HIGHER_ORDER])
def test_compiled_jvp_matches_the_rule_on_every_calls_values(entry, monkeypatch):
    assert len(HIGHER_ORDER) == len(NAMES)
    f = entry.make(jax, jnp, lax)
    for seed in range(4):
        rng = np.random.default_rng(seed)
        args = make_args(entry.args, rng, np.float32)
        tangents = [np.asarray(rng.standard_normal(np.shape(args[i])), np.float32)
                    for i in entry.diff]
        try:
            want = _general(monkeypatch, lambda: _jvp(f, args, entry.diff, tangents))
        except Exception as e:  # jvp of a custom_vjp: the same error
            with pytest.raises(type(e)):
                _jvp(f, args, entry.diff, tangents)
            continue
        got = _jvp(f, args, entry.diff, tangents)
        w, g = _leaves(want), _leaves(got)
        assert len(w) == len(g)
        for a, b in zip(g, w):
            assert a.dtype == b.dtype and a.shape == b.shape, entry.name
            if a.dtype.kind in "fc":
                np.testing.assert_allclose(a, b, rtol=2e-6, atol=1e-6,
                                           err_msg=f"{entry.name} {seed}")
            elif a.dtype.kind != "V":  # float0 tangents have no values
                np.testing.assert_array_equal(a, b, err_msg=f"{entry.name} {seed}")


def test_compiled_once_per_structure_and_symbolic_zero_patterns(monkeypatch):
    built = []
    orig = jvp_templates._Compiled

    def spy(prim, params, sig):
        built.append((prim.name, tuple(s[3][0] for s in sig)))
        return orig(prim, params, sig)
    monkeypatch.setattr(jvp_templates, "_Compiled", spy)

    def f(x, y, c):
        return lax.cond(jnp.sum(x) > 0, lambda x, y: jnp.sin(x) * y * c,
                        lambda x, y: x * y, x, y)
    y = jnp.full(5, 2.0)
    for k in range(4):
        x = jnp.linspace(0.1, 1.0, 5) * (k + 1)
        p, t = jax.jvp(lambda x: f(x, y, 3.0), (x,), (jnp.ones(5),))
        np.testing.assert_allclose(t, np.cos(np.asarray(x)) * 6.0, rtol=1e-6)
        np.testing.assert_allclose(p, np.sin(np.asarray(x)) * 6.0, rtol=1e-6)
        p, t = jax.jvp(lambda y: f(x, y, 3.0), (y,), (jnp.ones(5),))
        np.testing.assert_allclose(t, np.sin(np.asarray(x)) * 3.0, rtol=1e-6)
    # one compile per tangent pattern (x's, then y's), on its second sighting
    assert built == [("cond", (False, True, False)), ("cond", (False, False, True))]
    # a closed-over scalar that changes from call to call is part of the structure
    for c in (1.0, -2.0, 0.5, 1.0):
        _, t = jax.jvp(lambda x: f(x, y, c), (x,), (jnp.ones(5),))
        np.testing.assert_allclose(t, np.cos(np.asarray(x)) * 2.0 * c, rtol=1e-6)


def test_debug_nans_takes_the_checked_path():
    f = lambda x: lax.cond(x > 0, lambda x: jnp.log(x - 2.0), lambda x: x, x)
    for _ in range(3):
        jax.jvp(f, (1.0,), (1.0,))
    jax.config.update("jax_debug_nans", True)
    try:
        with pytest.raises(FloatingPointError):
            jax.jvp(f, (1.0,), (1.0,))
    finally:
        jax.config.update("jax_debug_nans", False)
