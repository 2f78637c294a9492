"""Eager jvp and vmap of higher-order primitives (interpreters/eager_templates.py)
compile their JVP or batching rule once per operand signature and structure of their
sub-Jaxprs, which eager control flow traces anew on every call. Every call must give
what the rule itself gives on that call's values (the general path), and custom rules
inside must count (tests/test_eager_tape.py checks those for jvp and grad)."""
import os
import sys

import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax import lax
from purejax._src.interpreters import eager_templates

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
        m.setattr(eager_templates, "eager_jvp", lambda *a: None)
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
    orig = eager_templates._Compiled

    def spy(name, make, avals):
        built.append((name, len(avals)))
        return orig(name, make, avals)
    monkeypatch.setattr(eager_templates, "_Compiled", spy)

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
    # one compile per tangent pattern (x's, then y's: 3 primals and 1 tangent each), on
    # its second sighting
    assert built == [("cond_jvp", 4), ("cond_jvp", 4)]
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


def _general_vmap(monkeypatch, fn):
    with monkeypatch.context() as m:
        m.setattr(eager_templates, "eager_batch", lambda *a: None)
        return fn()


BATCHABLE = [e for e in HIGHER_ORDER if e.vmap]


@pytest.mark.parametrize("entry", BATCHABLE, ids=[e.name for e in BATCHABLE])
def test_compiled_batching_matches_the_rule_on_every_calls_values(entry, monkeypatch):
    f = entry.make(jax, jnp, lax)
    for seed in range(4):
        rng = np.random.default_rng(seed)
        batch = [make_args(entry.args, rng, np.float32) for _ in range(3)]
        args = jax.tree_util.tree_map(lambda *xs: np.stack([np.asarray(x) for x in xs]),
                                      *batch)
        # batch every argument, then every argument but the first (kept unbatched)
        for in_axes in (0, (None,) + (0,) * (len(args) - 1)):
            call_args = args if in_axes == 0 else (batch[0][0],) + tuple(args[1:])
            run = lambda: jax.vmap(f, in_axes=in_axes)(*call_args)
            try:
                want = _general_vmap(monkeypatch, run)
            except Exception as e:
                with pytest.raises(type(e)):
                    run()
                continue
            got = run()
            w, g = _leaves(want), _leaves(got)
            assert len(w) == len(g)
            for a, b in zip(g, w):
                assert a.dtype == b.dtype and a.shape == b.shape, entry.name
                np.testing.assert_allclose(a, b, rtol=2e-6, atol=1e-6,
                                           err_msg=f"{entry.name} {seed} {in_axes}")


def test_batching_compiled_once_per_structure_and_batch_dims(monkeypatch):
    built = []
    orig = eager_templates._Compiled

    def spy(name, make, avals):
        built.append(name)
        return orig(name, make, avals)
    monkeypatch.setattr(eager_templates, "_Compiled", spy)

    def f(x, y):
        return lax.cond(jnp.sum(x) > 0, lambda x, y: jnp.sin(x) * y,
                        lambda x, y: x * y, x, y)
    xs = jnp.linspace(-1.0, 1.0, 12).reshape(3, 4)
    y = jnp.full(4, 2.0)
    for k in range(4):
        got = jax.vmap(f, in_axes=(0, None))(xs * (k + 1), y)
        x = np.asarray(xs) * (k + 1)
        want = np.where(x.sum(1, keepdims=True) > 0, np.sin(x) * 2.0, x * 2.0)
        np.testing.assert_allclose(got, want, rtol=1e-6)
        got = jax.vmap(f, in_axes=(None, 0))(xs[2] * (k + 1), xs)
        np.testing.assert_allclose(got, np.sin(np.asarray(xs[2]) * (k + 1)) * np.asarray(xs),
                                   rtol=1e-6)
    assert built == ["cond_vmap", "cond_vmap"]  # one per batching pattern

