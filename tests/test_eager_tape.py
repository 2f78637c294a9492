"""Eager reverse mode records a tape (interpreters/tape.py) instead of linearizing the
whole function. Its gradients must equal the linearize + transpose path's (the same
operations; only the order of summing fan-out cotangents may differ, by a few ulps),
on the first call of a signature (per-operation linearize) and on later ones
(compiled per-signature pullbacks), across the oracle corpus and every elementwise
primitive; and it must behave like the staged path at the edges (aux, integer
inputs, nested transformations, escaped tracers, traced cotangents)."""
import os
import sys

import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax import lax
from purejax._src.config import config
from purejax._src.interpreters import tape

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "oracle"))
from corpus import CORPUS, make_args  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "prims"))
from test_elementwise import GRAD_CASES, F64, sample  # noqa: E402


def _vjp_all(f, args, diff):
    """Output and the cotangents of the `diff` arguments for an all-ones cotangent."""
    def g(*d):
        full = list(args)
        for i, a in zip(diff, d):
            full[i] = a
        return f(*full)
    out, pullback = jax.vjp(g, *[args[i] for i in diff])
    ct = jax.tree_util.tree_map(lambda o: jnp.ones_like(o) if jnp.issubdtype(
        jnp.result_type(o), jnp.inexact) else np.zeros(np.shape(o), jax.dtypes.float0), out)
    return out, pullback(ct)


def _leaves(tree):
    return [np.asarray(x) for x in jax.tree_util.tree_leaves(tree)]


def _assert_same(a, b, what):
    la, lb = _leaves(a), _leaves(b)
    assert len(la) == len(lb), what
    for x, y in zip(la, lb):
        assert x.dtype == y.dtype and x.shape == y.shape, what
        if not np.issubdtype(x.dtype, np.inexact):
            np.testing.assert_array_equal(x, y, err_msg=what)
            continue
        # Same operations; only the order in which fan-out cotangents are summed may
        # differ, so allow a few ulps of the largest magnitude.
        eps = np.finfo(x.dtype).eps
        scale = float(np.max(np.abs(y), initial=1.0)) if np.all(np.isfinite(y)) else 1.0
        np.testing.assert_allclose(x, y, rtol=8 * eps, atol=8 * eps * scale, err_msg=what)


def _with_tape(enabled, fn):
    prev = config.purejax_eager_tape
    config.update("purejax_eager_tape", enabled)
    try:
        return fn()
    finally:
        config.update("purejax_eager_tape", prev)


def _compare(f, args, diff, what):
    want = _with_tape(False, lambda: _vjp_all(f, args, diff))
    for call in range(3):  # first sighting, then compiled pullbacks
        got = _with_tape(True, lambda: _vjp_all(f, args, diff))
        _assert_same(got, want, f"{what} (call {call})")


TAPE_CORPUS = [e for e in CORPUS if e.diff]


@pytest.mark.parametrize("fdtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("entry", TAPE_CORPUS, ids=[e.name for e in TAPE_CORPUS])
def test_corpus_tape_matches_linearize(entry, fdtype, request):
    if fdtype == np.float64:
        request.getfixturevalue("x64")
    f = entry.make(jax, jnp, lax)
    args = make_args(entry.args, np.random.default_rng(0), fdtype)
    try:
        _with_tape(False, lambda: _vjp_all(f, args, entry.diff))
    except Exception as e:  # not reverse-differentiable (e.g. while_loop): same error
        with pytest.raises(type(e)):
            _with_tape(True, lambda: _vjp_all(f, args, entry.diff))
        return
    _compare(f, args, entry.diff, entry.name)


@pytest.mark.parametrize("spec,shapes", GRAD_CASES, ids=[f"{s.name}-{sh}" for s, sh in GRAD_CASES])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_each_primitive_tape_matches_linearize(spec, shapes, dtype, x64):
    args = [a.astype(dtype) for a in sample(spec, np.random.default_rng(3), shapes, F64)]
    _compare(spec.fn, args, tuple(range(len(args))), spec.name)


def test_tape_is_used_unless_a_jaxpr_is_staged():
    seen = []
    orig = tape.vjp_flat

    def spy(*a):
        seen.append(True)
        return orig(*a)
    tape.vjp_flat = spy
    try:
        jax.grad(jnp.sin)(1.0)
        jax.vmap(jax.grad(jnp.sin))(jnp.ones(3))
        jax.jvp(jax.grad(jnp.sin), (1.0,), (1.0,))
        assert len(seen) == 3
        jax.jit(jax.grad(jnp.sin))(1.0)
        jax.make_jaxpr(jax.grad(jnp.sin))(1.0)
        jax.vmap(jax.jit(jax.grad(jnp.sin)))(jnp.ones(3))
        assert len(seen) == 3
        _with_tape(False, lambda: jax.grad(jnp.sin)(1.0))
        assert len(seen) == 3
    finally:
        tape.vjp_flat = orig


TRANSFORMED = [e for e in TAPE_CORPUS if e.vmap]


@pytest.mark.parametrize("entry", TRANSFORMED, ids=[e.name for e in TRANSFORMED])
def test_tape_under_vmap_and_jvp_matches_linearize(entry, x64):
    """grad inside vmap and inside jvp (forward-over-reverse) records the tape over
    traced primals: the templates' equations are bound to the enclosing trace."""
    f = entry.make(jax, jnp, lax)
    rng = np.random.default_rng(1)
    batch = [make_args(entry.args, rng, np.float64) for _ in range(2)]
    args = jax.tree_util.tree_map(lambda *xs: np.stack([np.asarray(x) for x in xs]), *batch)
    base = make_args(entry.args, rng, np.float64)

    def scalar_f(*a):
        return sum(jnp.sum(jnp.real(o)) for o in jax.tree_util.tree_leaves(f(*a))
                   if jnp.issubdtype(jnp.result_type(o), jnp.inexact))

    g = jax.grad(scalar_f, argnums=entry.diff)
    runs = {
        "vmap(grad)": lambda: jax.vmap(g)(*args),
        "jvp(grad)": lambda: jax.jvp(lambda *d: g(*[d[entry.diff.index(i)] if i in entry.diff
                                                    else base[i] for i in range(len(base))]),
                                     tuple(base[i] for i in entry.diff),
                                     tuple(jax.tree_util.tree_map(jnp.ones_like, base[i])
                                           for i in entry.diff)),
    }
    for name, run in runs.items():
        try:
            want = _with_tape(False, run)
        except Exception as e:
            with pytest.raises(type(e)):
                _with_tape(True, run)
            continue
        for call in range(3):
            _assert_same(_with_tape(True, run), want, f"{entry.name} {name} (call {call})")


def test_value_and_grad_python_control_flow_and_aux():
    def f(x, n):
        y = x
        for _ in range(n):
            y = jnp.where(y > 0, jnp.sin(y), y * y)
        if y > 0.5:  # concrete under eager grad
            y = y * 3.0
        return y, {"n": n, "y": y}

    for _ in range(3):
        (v, aux), g = jax.value_and_grad(f, has_aux=True)(2.0, 3)
        s1 = np.sin(np.float32(2.0))
        s2 = np.sin(s1)
        s3 = np.sin(s2)
        np.testing.assert_allclose(v, 3 * s3, rtol=1e-6)
        np.testing.assert_allclose(g, 3 * np.cos(s2) * np.cos(s1) * np.cos(2.0), rtol=1e-5)
        assert type(aux["y"]).__name__ == "Array" and aux["n"] == 3


def test_integer_inputs_and_outputs():
    def f(x, i):
        k = (x * 2).astype(jnp.int32) + i
        return jnp.sum(x * k)

    x = jnp.array([1.2, 2.7])
    g = jax.grad(f, argnums=(0, 1), allow_int=True)(x, 3)
    np.testing.assert_array_equal(g[0], np.array([5., 8.], np.float32))
    assert g[1].dtype == jax.dtypes.float0
    out, pb = jax.vjp(lambda x: (x * 2).astype(jnp.int32), x)
    (ct,) = pb(np.zeros((2,), jax.dtypes.float0))
    np.testing.assert_array_equal(ct, np.zeros(2, np.float32))


def test_nested_and_mixed_transformations_inside_eager_grad():
    def h(x):
        inner = jax.grad(lambda y: jnp.sin(y) * y)(x)          # linearize under the tape
        b = jax.vmap(lambda r: jnp.exp(r) * x)(jnp.arange(3.0))  # vmap under the tape
        j = jax.jit(lambda z: jnp.tanh(z) ** 2)(x)               # jit under the tape
        _, t = jax.jvp(jnp.cos, (x,), (x,))                      # jvp under the tape
        return inner + jnp.sum(b) + j + t

    for _ in range(3):
        got = jax.grad(h)(0.7)
        want = _with_tape(False, lambda: jax.grad(h)(0.7))
        np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(jax.grad(jax.grad(lambda x: x ** 3))(2.0), 12.0)


def test_pullback_is_reusable_and_transformable():
    x = jnp.array([0.5, -1.0, 2.0])
    out, pb = jax.vjp(lambda x: jnp.sin(x) * x, x)
    for _ in range(2):
        (ct,) = pb(jnp.ones(3))
        np.testing.assert_allclose(ct, np.cos(x) * x + np.sin(x), rtol=1e-6)
    # cotangents traced by an enclosing vmap or jit: the pullback binds its ops
    cts = jnp.stack([jnp.ones(3), 2 * jnp.ones(3)])
    (batched,) = jax.vmap(pb)(cts)
    np.testing.assert_allclose(batched[1], 2 * (np.cos(x) * x + np.sin(x)), rtol=1e-6)
    (jitted,) = jax.jit(pb)(jnp.ones(3))
    np.testing.assert_allclose(jitted, np.cos(x) * x + np.sin(x), rtol=1e-6)


def test_escaped_tape_tracer_is_an_error():
    leaked = []

    def f(x):
        leaked.append(x * 2)
        return jnp.sin(x)

    jax.grad(f)(1.0)
    with pytest.raises(jax.errors.UnexpectedTracerError, match="grad/vjp"):
        jnp.cos(leaked[0])


def test_debug_nans_names_the_primitive_under_eager_grad():
    with jax.debug_nans(True):
        for _ in range(3):
            with pytest.raises(FloatingPointError, match="log"):
                jax.grad(lambda x: jnp.log(x - 2.0))(1.0)


def test_nested_jit_primal_stays_known_under_value_and_grad():
    # partial evaluation splits the body of a pjit inside a pjit, so the primal output
    # is a value, not a tracer of the finished linearization (both paths)
    f = jax.jit(jax.jit(lambda x: x ** 3 - 2 * x ** 2 + x))
    x = jnp.array([0.3, -0.7, 1.1])
    for enabled in (True, False):
        v, g = _with_tape(enabled, lambda: jax.value_and_grad(lambda x: jnp.sum(f(x)))(x))
        assert type(v).__name__ == "Array"
        np.testing.assert_allclose(v, np.sum(x ** 3 - 2 * x ** 2 + x), rtol=1e-6)
        np.testing.assert_allclose(g, 3 * x ** 2 - 4 * x + 1, rtol=1e-5)


# ---------------------------------------------------------------------------
# value_and_grad's one-leaf fast path (api._value_and_grad_one_leaf) against the
# general path (argnums as a tuple takes it), and custom_vjp run directly on the tape

def _both_paths(f, x, **kw):
    fast = jax.value_and_grad(f, **kw)(x)
    general = jax.value_and_grad(f, argnums=(0,), **kw)(x)
    return fast, general


@pytest.mark.parametrize("x", [3.0, -0.5, 0.0, np.float32(2.0)], ids=["py3", "py-.5", "py0", "np32"])
def test_grad_fast_path_matches_general_path(x):
    funcs = [jnp.sin, lambda x: x * x * 2.5 - 1, lambda x: jnp.float32(7.0) + 0 * x,
             lambda x: 1.0, lambda x: jnp.log1p(jnp.exp(x)), lambda x: jnp.where(x > 0, x, 0.)]
    for f in funcs:
        for _ in range(3):  # first sighting, then compiled pullbacks
            (v1, g1), (v2, (g2,)) = _both_paths(f, x)
            for a, b in ((v1, v2), (g1, g2)):
                assert type(a) is type(b)
                assert np.asarray(a).dtype == np.asarray(b).dtype
                assert getattr(a, "weak_type", None) == getattr(b, "weak_type", None)
                np.testing.assert_array_equal(a, b)
    g = jax.grad(jnp.sin)(3.0)
    assert g.weak_type and g.dtype == np.float32  # a Python float stays weakly typed
    np.testing.assert_allclose(g, np.cos(np.float32(3.0)), rtol=1e-6)
    np.testing.assert_array_equal(jax.grad(lambda x: 1.0)(2.0), 0.0)


def test_grad_fast_path_x64_kwargs_aux_and_other_arguments():
    from purejax.experimental import enable_x64
    with enable_x64(True):
        g = jax.grad(lambda x: x ** 3)(jnp.asarray(2.0))
        assert g.dtype == np.float64 and g == 12.0
        g = jax.grad(lambda x: x ** 3)(2.0)
        assert g.dtype == np.float64 and g == 12.0

    def f(a, x, *, scale):
        return scale * jnp.sin(x) * a, {"a": a, "x": x}

    (v, aux), g = jax.value_and_grad(f, argnums=1, has_aux=True)(2.0, 0.3, scale=3.0)
    np.testing.assert_allclose(v, 6.0 * np.sin(np.float32(0.3)), rtol=1e-6)
    np.testing.assert_allclose(g, 6.0 * np.cos(np.float32(0.3)), rtol=1e-6)
    assert aux["a"] == 2.0 and type(aux["x"]).__name__ == "Array"
    g, aux = jax.grad(f, argnums=1, has_aux=True)(2.0, 0.3, scale=1.0)
    np.testing.assert_allclose(g, 2.0 * np.cos(np.float32(0.3)), rtol=1e-6)


def test_grad_fast_path_errors_are_the_general_paths():
    with pytest.raises(TypeError, match="scalar-output functions. Output had shape"):
        jax.grad(lambda x: jnp.stack([x, x]))(1.0)
    with pytest.raises(TypeError, match="scalar-output functions. Output of"):
        jax.grad(lambda x: (x, x))(1.0)
    with pytest.raises(TypeError, match="real-valued outputs"):
        jax.grad(lambda x: x.astype(jnp.int32))(1.0)
    with pytest.raises(TypeError, match="has_aux=True must return a pair"):
        jax.grad(lambda x: x, has_aux=True)(1.0)
    with pytest.raises(TypeError, match="real- or complex-valued inputs"):
        jax.grad(lambda x: x * 1.0)(1)               # an int: the general path's check
    with pytest.raises(TypeError, match="argnums=3 requires at least 4"):
        jax.grad(jnp.sin, argnums=3)(1.0)


def test_custom_vjp_runs_fwd_now_and_bwd_at_pullback_time():
    calls = []

    @jax.custom_vjp
    def f(x, y):
        return jnp.sin(x) * y, (x * 2).astype(jnp.int32)

    def fwd(x, y):
        calls.append(("fwd", float(x)))   # concrete operands: Python control flow works
        return f(x, y), (jnp.cos(x), jnp.sin(x), y)

    def bwd(res, cts):
        c, s, y = res
        ct, ct_int = cts
        calls.append(("bwd", type(ct_int).__name__))
        return (c * y * ct * 10.0, None)   # deliberately not the true derivative

    f.defvjp(fwd, bwd)

    def loss(x, y):
        out, k = f(x, y)
        return out + k

    for _ in range(3):
        calls.clear()
        v, pb = jax.vjp(loss, 0.4, 3.0)
        assert calls == [("fwd", pytest.approx(0.4))]
        gx, gy = pb(jnp.float32(1.0))
        assert [c[0] for c in calls] == ["fwd", "bwd"]
        np.testing.assert_allclose(gx, 30.0 * np.cos(np.float32(0.4)), rtol=1e-6)
        np.testing.assert_array_equal(gy, 0.0)
        np.testing.assert_allclose(v, 3.0 * np.sin(np.float32(0.4)), rtol=1e-6)
    # the staged path gives the same numbers
    want = _with_tape(False, lambda: jax.grad(loss, argnums=(0, 1))(0.4, 3.0))
    got = jax.grad(loss, argnums=(0, 1))(0.4, 3.0)
    _assert_same(got, want, "custom_vjp tape vs linearize")


def test_custom_vjp_on_the_tape_composes():
    @jax.custom_vjp
    def cube(x):
        return x ** 3

    cube.defvjp(lambda x: (x ** 3, x), lambda x, g: (3 * x ** 2 * g,))
    # bwd is itself differentiated by an outer tape: d2/dx2 x^3 = 6x
    np.testing.assert_allclose(jax.grad(jax.grad(cube))(2.0), 12.0)
    np.testing.assert_allclose(jax.vmap(jax.grad(cube))(jnp.arange(3.0)), 3 * np.arange(3.0) ** 2)
    xs = jnp.array([0.5, -1.5])
    np.testing.assert_allclose(jax.grad(lambda x: jnp.sum(cube(x) * x))(xs), 4 * xs ** 3)
    _, t = jax.jvp(jax.grad(cube), (2.0,), (1.0,))
    np.testing.assert_allclose(t, 12.0)
    # a float cotangent of the wrong shape from bwd is the rule's error, not a traceback
    bad = jax.custom_vjp(lambda x: x * 2)
    bad.defvjp(lambda x: (x * 2, None), lambda r, g: (jnp.ones(3),))
    from purejax._src.custom_derivatives import CustomRuleError
    with pytest.raises(CustomRuleError, match="cotangent for argument 0 .* has shape"):
        jax.grad(bad)(1.0)


def test_templates_under_vmap_run_compiled_batched_parts():
    """Under vmap, a template's parts are batched once per batching pattern and
    compiled (_Template._batched_call); values equal the per-equation path's, for batch
    axes anywhere, unbatched operands, nested vmaps (which fall back) and weak types."""
    def loss(w, x, y):
        z = jnp.dot(x, w)
        return jnp.logaddexp(0., z) - y * z + jnp.sum(jnp.sin(w) * x) * 0.5

    rng = np.random.default_rng(0)
    w = rng.standard_normal(5).astype(np.float32)
    X = rng.standard_normal((7, 5)).astype(np.float32)
    y = (rng.random(7) > 0.5).astype(np.float32)
    cases = [((None, 0, 0), (w, X, y)), ((None, 1, 0), (w, X.T.copy(), y)),
             ((0, 0, None), (np.stack([w] * 7), X, np.float32(1.0)))]
    for in_axes, args in cases:
        f = jax.vmap(jax.grad(loss), in_axes=in_axes)
        want = _with_tape(False, lambda: f(*args))
        for call in range(3):
            _assert_same(f(*args), want, f"vmap(grad) {in_axes} call {call}")
    batched = [t for t in tape._templates.values() if t and t._batched]
    assert batched, "no template ran a compiled batched part"
    # nested vmap: the inner values are tracers, the equations are bound one by one
    g = jax.vmap(jax.vmap(jax.grad(lambda a, b: jnp.sin(a) * b)), in_axes=(0, None))
    a = rng.standard_normal((3, 4)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    for _ in range(3):
        np.testing.assert_allclose(g(a, b), np.cos(a) * b, rtol=1e-6)
    # a weakly typed scalar multiplier keeps the result's dtype
    h = jax.vmap(jax.grad(lambda x: 2.0 * jnp.sin(x)))
    xs = jnp.arange(4.0, dtype=jnp.float32)
    for _ in range(3):
        r = h(xs)
        assert r.dtype == np.float32 and not r.weak_type
        np.testing.assert_allclose(r, 2 * np.cos(np.arange(4.0, dtype=np.float32)), rtol=1e-6)


def test_numpy_cotangents_between_compiled_pullbacks_keep_types_and_fan_out():
    """The reverse pass keeps concrete cotangents as NumPy buffers between compiled
    backward parts (TapePullback.transpose); dtypes, weak types and fan-out sums must
    be the linearize path's."""
    def f(x, y):
        a = jnp.sin(x) * x            # x used three times: fan-out sums
        b = a * 2.0 + jnp.cos(x) * y  # a weak Python scalar operand
        return jnp.sum(b * b) + jnp.sum(jnp.tanh(a))

    x = jnp.linspace(-1.0, 1.0, 5)
    y = jnp.arange(5.0) - 2
    for argnums in (0, 1, (0, 1)):
        want = _with_tape(False, lambda: jax.grad(f, argnums)(x, y))
        for _ in range(3):
            got = jax.grad(f, argnums)(x, y)
            _assert_same(got, want, f"argnums={argnums}")
            for g, w in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want)):
                assert g.weak_type == w.weak_type
    for x0 in (0.3, -2.0):  # Python floats: weakly typed inputs give weak gradients
        h = lambda x: jnp.sin(x) * x + x * x
        want = _with_tape(False, lambda: jax.grad(h)(x0))
        for _ in range(3):
            got = jax.grad(h)(x0)
            assert got.weak_type == want.weak_type and got.dtype == want.dtype
            np.testing.assert_allclose(got, want, rtol=1e-6)
    # the buffers handed back are read-only, like every Array's
    g = jax.grad(lambda x: jnp.sum(jnp.sin(x) * x))(x)
    with pytest.raises(ValueError):
        np.asarray(g)[0] = 1.0
    # and so are the intermediate values it hands out (the value, aux), whose buffers
    # the compiled parts made
    for _ in range(3):
        (v, aux), g = jax.value_and_grad(lambda x: (jnp.sum(jnp.sin(x) * x), jnp.cos(x) * x),
                                         has_aux=True)(x)
        for a in (v, aux, g):
            with pytest.raises(ValueError):
                np.asarray(a)[...] = 1.0
        np.testing.assert_allclose(aux, np.cos(np.asarray(x)) * np.asarray(x), rtol=1e-6)


def test_vmap_of_grad_hot_paths_match_the_general_path(monkeypatch):
    """Under an eager vmap the tape records a template in one pass
    (_batched_template_call) and adds two cotangents batched alike without the vmap
    trace (_accumulate); cotangents batched along different axes, bool operands and
    fan-out through a transpose take the general paths. All must give the linearize
    path's values, dtypes and weak types."""
    hits = {"fast": 0, "fallback": 0}
    orig = tape.TapeTrace._batched_template_call

    def spy(self, prim, args, params):
        out = orig(self, prim, args, params)
        hits["fast" if out is not None else "fallback"] += 1
        return out
    monkeypatch.setattr(tape.TapeTrace, "_batched_template_call", spy)

    def f(x, y):
        a = jnp.sin(x) * y                  # a feeds three uses: the cotangents add up
        b = jnp.transpose(a)                # batched along another axis after transposing
        keep = a > 0                        # a bool operand
        return jnp.sum(a * 2.0) + jnp.sum(jnp.cos(b) * b) + jnp.sum(jnp.where(keep, a, -a))

    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 2, 3)).astype(np.float32)
    y = rng.standard_normal((2, 3)).astype(np.float32)
    for in_axes, args in (((0, None), (x, y)), ((2, None), (np.moveaxis(x, 0, 2).copy(), y)),
                          ((0, 0), (x, np.stack([y] * 5)))):
        g = jax.vmap(jax.grad(f), in_axes=in_axes)
        want = _with_tape(False, lambda: g(*args))
        for call in range(3):
            got = g(*args)
            _assert_same(got, want, f"{in_axes} call {call}")
            assert got.dtype == want.dtype and got.weak_type == want.weak_type
    assert hits["fast"] > 0 and hits["fallback"] > 0
    # a weak (Python float) argument of a vmapped gradient
    h = jax.vmap(jax.grad(lambda s, v: jnp.sum(jnp.sin(v * s) * s)), in_axes=(None, 0))
    want = _with_tape(False, lambda: h(0.7, x))
    for _ in range(3):
        got = h(0.7, x)
        _assert_same(got, want, "weak argument")
        assert got.weak_type == want.weak_type


def _sincos_fn(x):
    """sin and cos (sinh and cosh) of one buffer, cos of another, and sin again."""
    s, c = jnp.sin(x), jnp.cos(x)
    sh, ch = jnp.sinh(x), jnp.cosh(x)
    c2 = jnp.cos(x * 1.0)
    return s, c, sh, ch, c2, jnp.sin(x)


def _bits(a):
    return np.asarray(a).reshape(-1).view(np.uint8)


def _real_ct(out):
    return tuple(jnp.full_like(o, 0.5 + 0.25j if jnp.iscomplexobj(o) else 0.5) for o in out)


@pytest.mark.parametrize("mode", ["xla", "exact", "fast"])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.complex64],
                         ids=["f16", "f32", "f64", "c64"])
@pytest.mark.parametrize("shape", [(), (7,), (3, 4)], ids=["rank0", "vec", "mat"])
def test_sin_and_cos_of_one_buffer_share_forward_work(mode, dtype, shape, monkeypatch):
    """cos x after sin x on the same buffer takes the cos x that sin's forward part
    computed as its residual (and sin x its own output), as jit's CSE would: the very
    bits that evaluating cos x alone gives, and the pullback's too."""
    rng = np.random.default_rng(11)
    x = rng.uniform(-4, 4, shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.uniform(-2, 2, shape)
    x = jnp.asarray(x.astype(dtype))
    old = config.purejax_float32_math
    config.update("purejax_float32_math", mode)
    try:
        alone = [np.asarray(o) for o in _sincos_fn(x)]
        for _ in range(3):  # the third call runs the compiled templates
            out, pullback = jax.vjp(_sincos_fn, x)
            got_ct = pullback(_real_ct(out))
        _, flat_pullback = tape.vjp_flat(lambda t: list(_sincos_fn(t)), [x])
        assert flat_pullback.trace._memo is None  # released when the recording ended
        for o, a in zip(out, alone):
            np.testing.assert_array_equal(_bits(o), _bits(a))
        monkeypatch.setattr(tape, "_memo_keys", lambda known: None)
        monkeypatch.setattr(tape, "_templates", {})
        monkeypatch.setattr(tape, "_seen", set())
        for _ in range(3):
            out, pullback = jax.vjp(_sincos_fn, x)
            want_ct = pullback(_real_ct(out))
        assert not any(t and t.memo for t in tape._templates.values())
        np.testing.assert_array_equal(_bits(got_ct[0]), _bits(want_ct[0]))
    finally:
        config.update("purejax_float32_math", old)


def test_shared_forward_work_is_skipped_only_on_the_same_buffer_and_mode():
    """Counted: cos x after sin x runs no forward part of its own; cos of another buffer
    does, and so does cos x after the float32 mode changed between the two calls (the
    value is then the new mode's)."""
    x = jnp.asarray(np.random.default_rng(5).uniform(-30, 30, 200).astype(np.float32))

    def f(x, fresh, switch):
        s = jnp.sin(x)
        if switch:
            config.update("purejax_float32_math", "fast")
        c = jnp.cos(x * 1.0 if fresh else x)  # (x * 1.0: the same values, a new buffer)
        return jnp.sum(s * c), c

    g = jax.grad(f, has_aux=True)
    for _ in range(3):
        g(x, False, False)
    cos_tmpl = next(t for k, t in tape._templates.items()
                    if k[0].name == "cos" and t and k[1][0][0] == (200,))
    calls = []
    fn = cos_tmpl.forward_fn()
    cos_tmpl._forward_fn = lambda *a: calls.append(1) or fn(*a)
    old = config.purejax_float32_math
    try:
        g(x, False, False)
        assert calls == []
        g(x, True, False)
        assert calls == [1]
        _, c = g(x, False, True)
        assert calls == [1, 1]
        np.testing.assert_array_equal(np.asarray(c), np.cos(np.asarray(x)))  # native float32
        config.update("purejax_float32_math", "xla")
        assert not np.array_equal(np.asarray(c), np.asarray(jnp.cos(x)))  # the modes differ here
    finally:
        config.update("purejax_float32_math", old)
        cos_tmpl._forward_fn = fn


HIGHER_ORDER = [e for e in TAPE_CORPUS if e.name in {
    "newton_sqrt_while", "nested_jit_inside", "custom_vjp_inside_jit_vmap", "cond_simple",
    "cond_pytree_operands", "switch_three", "switch_clamped_index", "fori_loop_static",
    "scan_cumsum", "scan_rnn", "scan_reverse_length", "cond_inside_scan", "scan_inside_cond",
    "map_over_rows", "jaxpr_jit_inside", "jaxpr_cond", "jaxpr_scan"}]


@pytest.mark.parametrize("entry", HIGHER_ORDER, ids=[e.name for e in HIGHER_ORDER])
def test_higher_order_templates_take_each_calls_values(entry):
    """jit, cond, scan... on the tape compile one template per structure of their
    sub-Jaxprs (traced anew on every eager call): later calls with other values must
    get their own gradients, not the first call's."""
    assert len(HIGHER_ORDER) == 17
    f = entry.make(jax, jnp, lax)
    for seed in range(4):
        args = make_args(entry.args, np.random.default_rng(seed), np.float32)
        try:
            want = _with_tape(False, lambda: _vjp_all(f, args, entry.diff))
        except Exception as e:  # not reverse-differentiable: the same error
            with pytest.raises(type(e)):
                _with_tape(True, lambda: _vjp_all(f, args, entry.diff))
            continue
        got = _with_tape(True, lambda: _vjp_all(f, args, entry.diff))
        _assert_same(got, want, f"{entry.name} (seed {seed})")


def test_higher_order_templates_are_built_once_per_structure(monkeypatch):
    built = []
    orig = tape._split_by_linearize

    def spy(prim, *a):
        built.append(prim.name)
        return orig(prim, *a)
    monkeypatch.setattr(tape, "_split_by_linearize", spy)

    def f(x, c):
        return lax.cond(jnp.sum(x) > 0, lambda x: jnp.sum(jnp.sin(x) * c),
                        lambda x: jnp.sum(x * x), x)
    g = jax.grad(f)
    x = jnp.linspace(0.1, 1.0, 7)
    for k in range(5):
        np.testing.assert_allclose(g(x * (k + 1), 2.0), 2.0 * np.cos(np.asarray(x) * (k + 1)),
                                   rtol=1e-6)
    assert built == ["cond"]  # traced anew each call; compiled on the second sighting
    # a closed-over scalar that changes from call to call: each call's own value
    for c in (1.0, -3.0, 0.5):
        np.testing.assert_allclose(g(x, c), c * np.cos(np.asarray(x)), rtol=1e-6)


def test_higher_order_templates_see_closed_over_arrays_change():
    w_small = np.ones(3, np.float32)                # keyed by its bytes
    w_big = np.ones(5000, np.float32)               # too big to key: no template
    frozen = [jnp.full(5000, 2.0)]                  # an immutable Array: keyed by identity

    def loss(x, w):
        return lax.cond(True, lambda x: jnp.sum(jnp.sin(x[0]) * w), lambda x: 0.0, (x,))

    for _ in range(3):
        for k in (1.0, 2.0, -1.0):
            w_small[:] = k
            np.testing.assert_allclose(jax.grad(loss)(0.3, w_small), 3 * k * np.cos(0.3), rtol=1e-6)
            w_big[:] = k
            np.testing.assert_allclose(jax.grad(loss)(0.3, w_big), 5000 * k * np.cos(0.3),
                                       rtol=1e-5)
            frozen[0] = jnp.full(5000, k)
            np.testing.assert_allclose(jax.grad(lambda x: loss(x, frozen[0]))(0.3),
                                       5000 * k * np.cos(0.3), rtol=1e-5)


def test_grad_of_jit_compiles_its_pullback_once(monkeypatch):
    """grad(jit(f)) eagerly: the jit's Jaxpr is cached, so its template is built once and
    later calls run compiled code (no tracing or code generation per call)."""
    from purejax._src import jit as jit_mod

    @jax.custom_jvp
    def log1pexp(x):
        return jnp.log1p(jnp.exp(x))

    log1pexp.defjvp(lambda p, t: (log1pexp(p[0]), t[0] * jax.nn.sigmoid(p[0])))
    g = jax.grad(jax.jit(lambda x: log1pexp(x) * 2.0))
    for x in (0.5, 3.0):
        g(x)
    compiled = []
    orig = jit_mod.compiled_for
    monkeypatch.setattr(jit_mod, "compiled_for", lambda *a, **k: compiled.append(1) or orig(*a, **k))
    for x in (-2.0, 0.0, 1.5, 100.0):
        np.testing.assert_allclose(g(x), 2.0 / (1.0 + np.exp(-np.float32(x))), rtol=1e-6)
    assert compiled == []


def test_higher_order_templates_key_the_custom_rules_inside():
    """Two eager conds whose branches compute the same primal with different custom
    rules must not share a template (generated code for the primal alone would): nor
    the tape's (grad) nor eager jvp's (interpreters/eager_templates.py)."""
    def make(scale):
        @jax.custom_jvp
        def f(x):
            return jnp.sin(x)
        f.defjvp(lambda p, t: (f(p[0]), scale * t[0]))
        return f

    for _ in range(2):
        for scale in (1.0, 2.0, -3.0):
            f = make(scale)
            g = jax.grad(lambda x: lax.cond(x > 0, f, lambda x: x, x))
            assert float(g(1.0)) == scale
            _, t = jax.jvp(lambda x: lax.cond(x > 0, f, lambda x: x, x), (1.0,), (1.0,))
            assert float(t) == scale


def test_forward_over_reverse_runs_compiled_jvps_of_the_templates(monkeypatch):
    """jvp(grad(f)) eagerly: the tape's templates see JVP tracers with concrete primals
    and tangents; their parts run as compiled JVPs (one per tangent pattern), and each
    call gets its own values (compared with jit, which stages the same rules)."""
    used = []
    orig = tape._Template._jvp_call

    def spy(self, part, closed, args, trace):
        out = orig(self, part, closed, args, trace)
        used.append(out is not None)
        return out
    monkeypatch.setattr(tape._Template, "_jvp_call", spy)

    def f(x):
        return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

    def hvp(x, v):
        return jax.jvp(jax.grad(f), (x,), (v,))

    rng = np.random.default_rng(0)
    for _ in range(4):
        x = rng.standard_normal(50).astype(np.float32)
        v = rng.standard_normal(50).astype(np.float32)
        g, h = hvp(x, v)
        g_jit, h_jit = jax.jit(hvp)(x, v)
        np.testing.assert_allclose(g, g_jit, rtol=1e-5, atol=1e-4)
        np.testing.assert_allclose(h, h_jit, rtol=1e-5, atol=1e-3)
    assert any(used)
