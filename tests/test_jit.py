"""jit: caching, static arguments, pytrees, side effects, errors, composition with
the other transformations, and agreement of the two backends."""
import functools

import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax import grad, jit, jvp, make_jaxpr, vmap
from purejax._src.errors import (ConcretizationTypeError, TracerArrayConversionError,
                                 TracerBoolConversionError, TracerIntegerConversionError,
                                 UnexpectedTracerError)


@pytest.fixture(params=["numpy_codegen", "interpret"])
def backend(request):
    prev = jax.config.purejax_jit_backend
    jax.config.update("purejax_jit_backend", request.param)
    yield request.param
    jax.config.update("purejax_jit_backend", prev)


def test_cache_no_retrace_and_retrace_per_signature():
    traces = []

    @jit
    def f(x):
        traces.append(1)
        return x * 2

    f(1.)
    f(2.)
    assert len(traces) == 1 and f._cache_size() == 1
    f(jnp.ones(3))
    f(jnp.ones(3) * 5)
    assert len(traces) == 2 and f._cache_size() == 2
    f(jnp.ones(3, dtype=jnp.int32))
    assert len(traces) == 3
    f(jnp.float32(1.))  # strong float32 scalar differs from the weak Python float
    assert len(traces) == 4
    f.clear_cache()
    assert f._cache_size() == 0


def test_static_argnums_and_argnames():
    traces = []

    @functools.partial(jit, static_argnums=(1,), static_argnames=("mode",))
    def f(x, n, mode="sum"):
        traces.append((n, mode))
        y = x
        for _ in range(n):
            y = y * 2
        return jnp.sum(y) if mode == "sum" else y

    np.testing.assert_allclose(f(jnp.ones(2), 3), 16.0)
    np.testing.assert_allclose(f(jnp.ones(2), 3), 16.0)
    assert len(traces) == 1
    np.testing.assert_allclose(f(jnp.ones(2), 2, mode="id"), [4., 4.])
    assert len(traces) == 2
    with pytest.raises(ValueError, match="Non-hashable static arguments"):
        f(jnp.ones(2), [1, 2])


def test_pytrees_in_and_out(backend):
    @jit
    def f(params, x):
        return {"y": params["w"] * x + params["b"], "aux": (x, x * 2)}

    out = f({"w": jnp.ones(2) * 3, "b": 1.0}, jnp.arange(2.))
    np.testing.assert_allclose(out["y"], [1., 4.])
    np.testing.assert_allclose(out["aux"][1], [0., 2.])


def test_side_effects_happen_once_at_trace_time(capsys):
    @jit
    def f(x):
        print("called f!")
        return jnp.sin(x)

    f(3.)
    f(4.)
    assert capsys.readouterr().out.splitlines() == ["called f!"]


def test_methods_and_closures():
    class Model:
        def __init__(self, scale):
            self.scale = scale

        @functools.partial(jit, static_argnums=0)
        def apply(self, x):
            return x * self.scale

        def __hash__(self):
            return hash(self.scale)

        def __eq__(self, other):
            return self.scale == other.scale

    assert float(Model(3.).apply(2.)) == 6.0
    c = jnp.array([1., 2.])
    assert np.allclose(jit(lambda x: x + c)(1.), [2., 3.])


def test_weak_types_and_dtypes_preserved(backend):
    out = jit(lambda x: x * 2)(3.)
    assert repr(out) == "Array(6., dtype=float32, weak_type=True)"
    out = jit(lambda x: x * 2)(jnp.float32(3.))
    assert repr(out) == "Array(6., dtype=float32)"
    assert jit(lambda x: x + 1)(jnp.arange(3)).dtype == jnp.int32


def test_control_flow_errors_name_function_and_argument():
    def f(x, y):
        if x > 0:
            return y
        return -y

    with pytest.raises(TracerBoolConversionError) as e:
        jit(f)(1., 2.)
    msg = str(e.value)
    assert "f" in msg and "argument x" in msg and "static_argnums" in msg
    with pytest.raises(ConcretizationTypeError):
        jit(f)(1., 2.)
    with pytest.raises(ConcretizationTypeError):
        jit(lambda n: jnp.ones(3)[:int(n)])(2)
    with pytest.raises(TracerIntegerConversionError):
        jit(lambda n: [1, 2][n])(1)
    with pytest.raises(TracerArrayConversionError):
        jit(lambda x: np.sin(x))(jnp.ones(2))
    with pytest.raises(ConcretizationTypeError):
        jit(lambda x: float(x))(1.)


def test_escaped_tracer_raises():
    leaked = []

    @jit
    def f(x):
        leaked.append(x)
        return x

    f(1.)
    with pytest.raises(UnexpectedTracerError, match="escaped|after"):
        leaked[0] + 1
    leaked.clear()
    jax.grad(lambda x: leaked.append(x) or x)(1.)
    with pytest.raises(UnexpectedTracerError):
        jnp.sin(leaked[0])


def test_bad_argument_type():
    with pytest.raises(TypeError, match="static_argnums"):
        jit(lambda x: x)("hello")


def test_compositions(backend):
    def f(x):
        return jnp.sum(jnp.tanh(x) * x)

    x = jnp.array([0.1, -0.5, 2.0])
    g_ref = grad(f)(x)
    for g in (grad(jit(f)), jit(grad(f)), jit(grad(jit(f))), jit(jit(grad(f)))):
        np.testing.assert_allclose(g(x), g_ref, rtol=1e-6)
    per_example = vmap(grad(f))(jnp.stack([x, x * 2]))
    np.testing.assert_allclose(vmap(jit(grad(f)))(jnp.stack([x, x * 2])), per_example, rtol=1e-6)
    np.testing.assert_allclose(jit(vmap(grad(f)))(jnp.stack([x, x * 2])), per_example, rtol=1e-6)
    np.testing.assert_allclose(jax.hessian(jit(lambda x: jnp.sum(x ** 3)))(x),
                               np.diag(6 * np.asarray(x)), rtol=1e-5)
    y, y_dot = jvp(jit(f), (x,), (jnp.ones(3),))
    np.testing.assert_allclose(y_dot, jnp.sum(g_ref), rtol=1e-6)


def test_make_jaxpr_shows_pjit():
    text = str(make_jaxpr(jit(lambda x: jnp.sin(x) * 2.))(1.))
    assert "pjit[" in text and "name=<lambda>" in text and "sin a" in text


def test_disable_jit():
    seen = []

    @jit
    def f(x):
        seen.append(type(x).__name__)
        return x

    with jax.disable_jit():
        f(1.)
        f(2.)
    assert seen == ["float", "float"]


def test_generated_code_is_inspectable():
    f = jit(lambda x, y: jnp.sin(x) * y + jnp.sin(x) * y)
    text = f.lower(1., 2.).as_text()
    assert text.startswith("def ")
    assert sum("sin" in ln for ln in text.splitlines()) == 1  # common subexpression eliminated


def test_backends_agree_on_a_corpus():
    fns = [
        lambda x: jnp.sum(jnp.exp(-x ** 2)),
        lambda x: jnp.sum(jnp.log1p(jnp.abs(x)) * jnp.cos(x)),
        lambda x: jnp.dot(x, x) / (1 + jnp.max(x)),
        lambda x: jnp.where(x > 0, x, 0.1 * x).mean(),
    ]
    x = jnp.linspace(-1, 1, 7)
    for f in fns:
        outs = []
        for b in ("numpy_codegen", "interpret"):
            prev = jax.config.purejax_jit_backend
            jax.config.update("purejax_jit_backend", b)
            try:
                jf = jit(f)
                outs.append((np.asarray(jf(x)), np.asarray(jit(grad(f))(x))))
            finally:
                jax.config.update("purejax_jit_backend", prev)
        np.testing.assert_array_equal(outs[0][0], outs[1][0])
        np.testing.assert_array_equal(outs[0][1], outs[1][1])


def test_fast_call_path_for_lists_and_tuples_of_arrays():
    """A parameter list or tuple of Arrays takes jit's fast call path (no pytree
    flattening); anything else inside still works through the general path."""
    def f(ps, x):
        return sum(jnp.sum(p) for p in ps) * x, [p * 2 for p in ps]

    jf = jax.jit(f)
    ps = [jnp.ones(3), jnp.arange(2.0)]
    for _ in range(3):
        v, g = jf(ps, 2.0)
        np.testing.assert_allclose(v, 8.0)
        assert type(g) is list and len(g) == 2
        np.testing.assert_array_equal(g[1], [0.0, 2.0])
    # the fast cache holds an entry whose first argument's signature is a list's
    assert any(sig[0][0] is list for sig, _x64 in jf._fast)
    # a tuple is a different pytree: its own entry, a tuple back where f returns one
    v, g = jf(tuple(ps), 3.0)
    np.testing.assert_allclose(v, 12.0)
    # other shapes recompile; a list holding a NumPy array or a scalar works (slow path)
    v, _ = jf([jnp.ones(4), jnp.arange(2.0)], 1.0)
    np.testing.assert_allclose(v, 5.0)
    for _ in range(2):
        v, g = jf([jnp.ones(3), np.arange(2.0, dtype=np.float32)], 1.0)
        np.testing.assert_allclose(v, 4.0)
        v, g = jf([jnp.ones(3), 1.5], 2.0)
        np.testing.assert_allclose(v, 9.0)
        assert g[1].weak_type and g[1] == 3.0
        v, g = jf([jnp.ones(3), 2.5], 2.0)  # a new scalar value, same signature
        np.testing.assert_allclose(v, 11.0)
        assert g[1] == 5.0


def test_fast_call_path_scalars_weak_types_and_outputs():
    """The per-signature caller (jit._fast_caller) converts Python scalars with the
    dtype they were compiled with, keeps each output's weak type, returns a single
    output bare and several in the function's tree, and passes new values through."""
    def f(x, s, i, b, ps):
        return {"a": x * s + i, "b": jnp.where(b, x, -x), "c": s * 2, "d": ps[1] + i}

    jf = jax.jit(f)
    x = jnp.arange(3.0)
    ps = (jnp.ones(2), jnp.zeros(2, jnp.int32))
    for k in range(3):  # the first call compiles; the others take the fast path
        out = jf(x, 1.5 + k, 2, k % 2 == 0, ps)
        np.testing.assert_allclose(out["a"], np.arange(3.0) * (1.5 + k) + 2)
        np.testing.assert_array_equal(out["b"], np.arange(3.0) * (1 if k % 2 == 0 else -1))
        assert out["c"].weak_type and float(out["c"]) == 2 * (1.5 + k)
        assert out["a"].dtype == np.float32 and not out["a"].weak_type
        assert out["d"].dtype == np.int32 and not out["d"].weak_type
        np.testing.assert_array_equal(out["d"], [2, 2])
    assert len(jf._fast) == 1
    g = jax.jit(lambda s: s * 3)
    for v in (2.0, 5.0):
        r = g(v)
        assert r.weak_type and r.dtype == np.float32 and float(r) == 3 * v
    for v in (2, 7):
        r = g(v)
        assert r.weak_type and r.dtype == np.int32 and int(r) == 3 * v


def test_disable_jit_applies_to_signatures_already_compiled():
    """Under disable_jit the Python function runs on every call, also for a signature
    whose compiled code (and fast caller) already exists."""
    runs = []

    def f(x):
        runs.append(1)
        return x * 2

    jf = jax.jit(f)
    x = jnp.ones(3)
    jf(x), jf(x)
    assert len(runs) == 1
    with jax.disable_jit():
        np.testing.assert_array_equal(jf(x), [2., 2., 2.])
        jf(x)
    assert len(runs) == 3
    jf(x)
    assert len(runs) == 3


def test_numpy_constants_are_captured_when_traced():
    from purejax import lax
    """A mutable NumPy array a traced function closes over is captured by value when
    it is traced, as JAX does: mutating it afterwards changes neither a compiled
    function nor a linearized one, and the user's array stays writable."""
    c = np.ones(3, np.float32)
    d = np.array(2.0, np.float32)
    f = jit(lambda x: lax.add(x, c) * d)
    ones = jnp.ones(3)
    np.testing.assert_array_equal(f(ones), [4.0, 4.0, 4.0])
    c[:] = 7.0
    d[()] = 9.0
    np.testing.assert_array_equal(f(ones), [4.0, 4.0, 4.0])
    assert c.flags.writeable and d.flags.writeable
    e = np.ones(3, np.float32)
    _, f_lin = jax.linearize(lambda x: lax.mul(x, e), ones)
    e[:] = 100.0
    np.testing.assert_array_equal(f_lin(ones), [1.0, 1.0, 1.0])
    # the same array used twice in one trace is one constant
    g = jnp.asarray(np.arange(3.0, dtype=np.float32))
    jaxpr = jax.make_jaxpr(lambda x: lax.add(x, c) + lax.mul(x, c))(g)
    assert len(jaxpr.consts) == 1
