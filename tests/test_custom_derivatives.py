"""custom_jvp / custom_vjp beyond the seeds: compositions up to depth 3, keyword
arguments, symbolic zeros, integer arguments, closure_convert, and the errors a rule
author gets."""
import itertools
from functools import partial

import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax import custom_jvp, custom_vjp, grad, jit, jvp, vjp, vmap
from purejax._src.custom_derivatives import CustomRuleError
from purejax.custom_derivatives import SymbolicZero


@custom_jvp
def softplus_cj(x):
    return jnp.log1p(jnp.exp(x))


@softplus_cj.defjvp
def _softplus_cj_jvp(primals, tangents):
    x, = primals
    t, = tangents
    return softplus_cj(x), jax.nn.sigmoid(x) * t


@custom_vjp
def softplus_cv(x):
    return jnp.log1p(jnp.exp(x))


softplus_cv.defvjp(lambda x: (softplus_cv(x), x),
                   lambda x, g: (jax.nn.sigmoid(x) * g,))


def _sig(x):
    return 1 / (1 + np.exp(-x))


def _jvp_t(f):
    return lambda x: jvp(f, (x,), (jnp.ones_like(x),))[1]


def _vjp_t(f):
    return lambda x: vjp(f, x)[1](jnp.ones_like(f(x)))[0]


# Each maps a scalar -> scalar function to another one.
TRANSFORMS = {
    "jit": jit,
    "vmap": lambda f: (lambda x: jnp.sum(vmap(f)(jnp.stack([x, x * 0.5])))),
    "grad": grad,
    "jvp": _jvp_t,
    "vjp": _vjp_t,
}


# Measured with JAX 0.10.2 over every stack of depth <= 3: forward mode reaching a
# custom_vjp function raises, except where a jit stages an inner reverse pass (its
# backward pass is then ordinary operations and the custom_lin output is dead code).
_JAX_NO_RAISE = {("jit", "jvp", "grad"), ("jit", "jvp", "vjp"), ("jvp", "jit", "grad"),
                 ("jvp", "jit", "vjp")}


def _forward_mode_reaches_custom_vjp(stack):
    return "jvp" in stack and tuple(stack) not in _JAX_NO_RAISE


@pytest.mark.parametrize("fn", [softplus_cj, softplus_cv], ids=["custom_jvp", "custom_vjp"])
@pytest.mark.parametrize("stack", [s for n in (1, 2, 3) for s in itertools.product(
    TRANSFORMS, repeat=n)], ids=lambda s: "-".join(s))
def test_compositions_up_to_depth_3(fn, stack):
    """Every stack of {jit, vmap, grad, jvp, vjp} up to depth 3 agrees with the plain
    function's derivatives; forward mode through a custom_vjp function raises, as in
    JAX (TypeError for jvp of it, NotImplementedError for differentiating its jvp)."""
    def build(base):
        f = base
        for name in reversed(stack):
            f = TRANSFORMS[name](f)
        return f

    x = jnp.float32(0.3)
    if fn is softplus_cv and _forward_mode_reaches_custom_vjp(stack):
        with pytest.raises((TypeError, NotImplementedError), match="custom_vjp|custom_lin"):
            build(fn)(x)
        return
    ref = build(lambda x: jnp.log1p(jnp.exp(x)))
    np.testing.assert_allclose(build(fn)(x), ref(x), rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("fn", [softplus_cj], ids=["custom_jvp"])
def test_jvp_compositions(fn):
    x = 0.7
    _, t = jvp(fn, (x,), (1.,))
    np.testing.assert_allclose(t, _sig(x), rtol=1e-6)
    _, t = jvp(jit(fn), (x,), (1.,))
    np.testing.assert_allclose(t, _sig(x), rtol=1e-6)
    _, t = jvp(vmap(fn), (jnp.array([x, x]),), (jnp.ones(2),))
    np.testing.assert_allclose(t, [_sig(x)] * 2, rtol=1e-6)
    _, t = jvp(grad(fn), (x,), (1.,))
    np.testing.assert_allclose(t, _sig(x) * (1 - _sig(x)), rtol=1e-5)


def test_vjp_of_custom_jvp_and_custom_vjp():
    for fn in (softplus_cj, softplus_cv):
        y, pb = vjp(fn, jnp.array([0.1, 2.0]))
        np.testing.assert_allclose(pb(jnp.ones(2))[0], _sig(np.array([0.1, 2.0])), rtol=1e-6)
        y, pb = vjp(vmap(fn), jnp.array([0.1, 2.0]))
        np.testing.assert_allclose(pb(jnp.ones(2))[0], _sig(np.array([0.1, 2.0])), rtol=1e-6)


def test_custom_jvp_rule_used_under_vmap_and_jit():
    calls = []

    @custom_jvp
    def f(x):
        return jnp.sin(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        calls.append(1)
        (x,), (t,) = primals, tangents
        return f(x), 10. * t  # deliberately not cos: proves the rule is used

    np.testing.assert_allclose(vmap(grad(f))(jnp.arange(3.)), [10.] * 3)
    np.testing.assert_allclose(jax.jacrev(vmap(f))(jnp.arange(3.)), np.eye(3) * 10)
    np.testing.assert_allclose(grad(jit(f))(1.), 10.)
    np.testing.assert_allclose(jit(vmap(grad(f)))(jnp.arange(2.)), [10., 10.])
    assert calls


def test_keyword_arguments_and_defaults():
    @custom_jvp
    def f(x, scale=2.0):
        return x * scale

    @f.defjvp
    def f_jvp(primals, tangents):
        x, scale = primals
        tx, ts = tangents
        return f(x, scale), tx * scale + ts * x

    assert float(f(3.)) == 6.0
    assert float(grad(f)(3.)) == 2.0
    assert float(grad(lambda x: f(x, scale=5.))(3.)) == 5.0
    assert float(grad(f, 1)(3., 4.)) == 3.0

    @custom_vjp
    def g(x, y=1.0):
        return x * y

    g.defvjp(lambda x, y=1.0: (g(x, y), (x, y)), lambda r, ct: (r[1] * ct, r[0] * ct))
    assert float(grad(g)(3.)) == 1.0
    assert float(grad(lambda x: g(x, y=4.))(3.)) == 4.0


def test_symbolic_zeros():
    seen = []

    @custom_jvp
    def f(x, y):
        return x * y

    def f_jvp(primals, tangents):
        x, y = primals
        tx, ty = tangents
        seen.append((type(tx).__name__, type(ty).__name__))
        out = x * y
        t = 0.
        if not isinstance(tx, SymbolicZero):
            t = t + tx * y
        if not isinstance(ty, SymbolicZero):
            t = t + x * ty
        return out, t

    f.defjvp(f_jvp, symbolic_zeros=True)
    assert float(grad(f)(2., 3.)) == 3.0
    # as in JAX, the rule sees jax.custom_derivatives.SymbolicZero, not the internal Zero
    assert seen[-1][1] == "SymbolicZero" and seen[-1][0] != "SymbolicZero"


def test_integer_arguments_take_none_or_float0():
    @custom_vjp
    def scale(x, n):
        return x * n

    scale.defvjp(lambda x, n: (scale(x, n), n), lambda n, g: (g * n, None))
    assert float(grad(scale)(2., 3)) == 3.0

    scale.defvjp(lambda x, n: (scale(x, n), n),
                 lambda n, g: (g * n, np.zeros((), jax.dtypes.float0)))
    assert float(grad(scale)(2., 3)) == 3.0

    @custom_jvp
    def index_scale(x, i):
        return x * i

    @index_scale.defjvp
    def _jvp(primals, tangents):
        (x, i), (tx, ti) = primals, tangents
        assert ti.dtype == jax.dtypes.float0
        return index_scale(x, i), tx * i

    assert float(grad(index_scale)(2., 5)) == 5.0


def test_none_cotangents_at_any_depth():
    @custom_vjp
    def f(d):
        return d["a"] * d["b"][0]

    f.defvjp(lambda d: (f(d), d), lambda d, g: ({"a": g * d["b"][0], "b": None},))
    out = grad(f)({"a": 2., "b": (3., 4.)})
    assert float(out["a"]) == 3.0 and float(out["b"][0]) == 0.0 and float(out["b"][1]) == 0.0


def test_nondiff_argnums_traced_value():
    # custom_jvp accepts a traced nondiff argument (JAX stops its gradient) ...
    @partial(custom_jvp, nondiff_argnums=(0,))
    def f(n, x):
        return x * n

    f.defjvp(lambda n, p, t: (f(n, *p), t[0] * n))
    assert float(jit(lambda n, x: f(n, x))(2., 3.)) == 6.0
    assert float(jit(grad(lambda x, n: f(n, x)))(3., 2.)) == 2.0
    assert float(f(2., 3.)) == 6.0

    # ... custom_vjp raises JAX's UnexpectedTracerError (still a TypeError)
    @partial(custom_vjp, nondiff_argnums=(0,))
    def g(n, x):
        return x * n

    g.defvjp(lambda n, x: (g(n, x), None), lambda n, r, ct: (ct * n,))
    with pytest.raises(jax.errors.UnexpectedTracerError,
                       match="nondiff_argnums.*argument 0|argument 0.*nondiff_argnums"):
        jit(lambda n, x: g(n, x))(2., 3.)
    assert issubclass(jax.errors.UnexpectedTracerError, TypeError)
    assert float(g(2., 3.)) == 6.0


def test_closure_convert():
    def outer(a):
        c = jnp.array([1., 2.]) * a

        def inner(x):
            return jnp.sum(x * c)
        converted, consts = jax.closure_convert(inner, jnp.ones(2))
        return converted(jnp.ones(2), *consts), consts

    val, consts = outer(3.)
    assert float(val) == 9.0 and len(consts) == 1
    np.testing.assert_allclose(consts[0], [3., 6.])
    g = grad(lambda a: outer(a)[0])(3.)
    assert float(g) == 3.0


# --- errors written for rule authors -----------------------------------------------

def test_rule_returns_wrong_structure():
    @custom_jvp
    def f(x):
        return x

    @f.defjvp
    def bad_rule(primals, tangents):
        return primals[0]

    with pytest.raises(CustomRuleError, match="bad_rule.*pair") as e:
        grad(f)(1.)
    assert "test_custom_derivatives.py" in str(e.value)

    @f.defjvp
    def bad_tree(primals, tangents):
        return primals[0], (tangents[0], tangents[0])

    with pytest.raises(CustomRuleError, match="different structures"):
        grad(f)(1.)


def test_rule_returns_wrong_shape_or_dtype():
    @custom_jvp
    def f(x):
        return x * 2

    @f.defjvp
    def bad_shape(primals, tangents):
        return f(primals[0]), jnp.ones(3)

    with pytest.raises(CustomRuleError, match=r"shape \(3,\).*\(\)"):
        grad(f)(1.)

    @f.defjvp
    def bad_dtype(primals, tangents):
        return f(primals[0]), jnp.ones((), jnp.int32)

    with pytest.raises(CustomRuleError, match="dtype int32"):
        grad(f)(1.)


def test_bwd_errors():
    @custom_vjp
    def f(x, y):
        return x * y

    f.defvjp(lambda x, y: (f(x, y), (x, y)), lambda res, g: g)
    with pytest.raises(CustomRuleError, match="bare"):
        grad(f)(1., 2.)
    f.defvjp(lambda x, y: (f(x, y), (x, y)), lambda res, g: (g,))
    with pytest.raises(CustomRuleError, match="returned 1 cotangents.*2 differentiable"):
        grad(f)(1., 2.)
    f.defvjp(lambda x, y: (f(x, y), (x, y)), lambda res, g: (jnp.ones(2), g))
    with pytest.raises(CustomRuleError, match=r"shape \(2,\)"):
        grad(f)(1., 2.)
    f.defvjp(lambda x, y: (f(x, y), (x, y)), lambda res, g: ((g, g), g))
    with pytest.raises(CustomRuleError, match="structure"):
        grad(f)(1., 2.)
    f.defvjp(lambda x, y: f(x, y), lambda res, g: (g, g))
    with pytest.raises(CustomRuleError, match="fwd.*pair"):
        grad(f)(1., 2.)


def test_no_rule_defined():
    @custom_jvp
    def f(x):
        return x

    assert float(f(2.)) == 2.0  # fine without differentiation
    with pytest.raises(AttributeError, match="No JVP defined"):
        grad(f)(1.)

    @custom_vjp
    def g(x):
        return x

    assert float(g(2.)) == 2.0
    with pytest.raises(AttributeError, match="No VJP defined"):
        grad(g)(1.)


def test_nonlinear_custom_jvp_rule_fails_in_reverse_mode():
    @custom_jvp
    def f(x):
        return jnp.sin(x)

    @f.defjvp
    def nonlinear(primals, tangents):
        (x,), (t,) = primals, tangents
        return f(x), jnp.sin(t)  # not linear in t

    _, t = jvp(f, (1.,), (0.5,))  # forward mode is fine
    np.testing.assert_allclose(t, np.sin(0.5), rtol=1e-6)
    with pytest.raises(NotImplementedError, match="linear"):
        grad(f)(1.)


def test_custom_vjp_closing_over_traced_values():
    def f(x, s):
        @custom_vjp
        def scaled(v):
            return v * s

        scaled.defvjp(lambda v: (v * s, None), lambda r, g: (g * s,))
        return jnp.sum(scaled(x) ** 2)

    x = jnp.ones(3)
    assert float(jit(f)(x, 2.0)) == 12.0
    np.testing.assert_allclose(grad(f)(x, 2.0), [8., 8., 8.])
    np.testing.assert_allclose(jit(grad(f))(x, 2.0), [8., 8., 8.])
    np.testing.assert_allclose(vmap(f, in_axes=(None, 0))(x, jnp.array([1., 2.])), [3., 12.])
    np.testing.assert_allclose(jit(vmap(grad(f), in_axes=(None, 0)))(x, jnp.array([1., 2.])),
                               [[2.] * 3, [8.] * 3])


@pytest.mark.parametrize("kind", ["custom_jvp", "custom_vjp"])
def test_rules_closing_over_jit_traced_values_under_outer_grad(kind):
    def f(x, s):
        if kind == "custom_jvp":
            @custom_jvp
            def scaled(v):
                return v * s

            scaled.defjvps(lambda t, ans, v: t * s)
        else:
            @custom_vjp
            def scaled(v):
                return v * s

            scaled.defvjp(lambda v: (v * s, None), lambda r, g: (g * s,))
        return jnp.sum(scaled(x) ** 2)

    x = jnp.ones(3)
    np.testing.assert_allclose(grad(jit(f))(x, 2.0), [8., 8., 8.])
    np.testing.assert_allclose(vmap(grad(jit(f)), in_axes=(None, 0))(x, jnp.array([1., 2.])),
                               [[2.] * 3, [8.] * 3])
    np.testing.assert_allclose(jax.jacrev(jit(f))(x, 2.0), [8., 8., 8.])


def test_rule_calling_its_function_on_primals_runs_it_eagerly(monkeypatch):
    """Seed 001's rule calls log1pexp(x) on primals. Under grad the rule runs inside
    linearize; that inner call, on concrete values, runs on the eager parent at once
    (what the partial-evaluation trace would hand it), with the same values, and a
    call on the trace's own unknowns still goes through the partial-evaluation trace."""
    from purejax._src.interpreters import partial_eval as pe
    seen = []
    orig = pe.JaxprTrace.process_custom_jvp_call

    def spy(self, *a, **k):
        seen.append(self.stage_all)
        return orig(self, *a, **k)
    monkeypatch.setattr(pe.JaxprTrace, "process_custom_jvp_call", spy)

    @jax.custom_jvp
    def log1pexp(x):
        return jnp.log(1. + jnp.exp(x))

    @log1pexp.defjvp
    def log1pexp_jvp(primals, tangents):
        x, = primals
        x_dot, = tangents
        ans = log1pexp(x)
        return ans, (1 - 1 / (1 + jnp.exp(x))) * x_dot

    for x in (3.0, 100.0, jnp.float32(-2.0)):
        g = jax.grad(log1pexp)(x)
        np.testing.assert_allclose(float(g), 1 / (1 + np.exp(-float(x))), rtol=1e-6)
    assert seen == []          # the inner calls ran on the eager parent
    jaxpr = jax.make_jaxpr(jax.grad(log1pexp))(3.0)   # staged: through the trace
    assert seen and "custom_jvp_call" in str(jaxpr)
    np.testing.assert_allclose(jax.jit(jax.grad(log1pexp))(100.0), 1.0)
