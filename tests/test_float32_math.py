"""The purejax_float32_math flag: "exact" (default) evaluates float16/float32/complex64
transcendentals in double precision and rounds once; "fast" uses NumPy's native
single-precision kernels. The flag is read when an operation runs, so eager code and
already-jitted functions follow it (fused kernels included); only values folded from
constants at compile time keep the mode the function was compiled under."""
import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax import lax
from purejax._src import config as config_module
from purejax._src.backends import fusion
from purejax._src.config import config


@pytest.fixture(autouse=True)
def _restore_flags():
    saved = dict(config_module._flags)
    yield
    config_module._flags.clear()
    config_module._flags.update(saved)


X = (np.random.default_rng(0).standard_normal(20_000) * 4.).astype(np.float32)

# jnp function, NumPy ufunc, input transform keeping it in the domain
UNARY = [
    (jnp.exp, np.exp, lambda x: x), (jnp.log, np.log, np.abs), (jnp.log1p, np.log1p, np.abs),
    (jnp.expm1, np.expm1, lambda x: x), (jnp.tanh, np.tanh, lambda x: x),
    (jnp.sin, np.sin, lambda x: x), (jnp.cos, np.cos, lambda x: x), (jnp.tan, np.tan, lambda x: x),
    (jnp.arctan, np.arctan, lambda x: x), (jnp.sinh, np.sinh, lambda x: x),
    (jnp.cosh, np.cosh, lambda x: x), (jnp.arcsinh, np.arcsinh, lambda x: x),
    (jnp.arcsin, np.arcsin, np.tanh), (jnp.arccos, np.arccos, np.tanh),
    (jnp.arctanh, np.arctanh, lambda x: np.tanh(x) * np.float32(.99)),
    (jnp.exp2, np.exp2, lambda x: x), (jnp.cbrt, np.cbrt, lambda x: x),
    (jnp.sqrt, np.sqrt, np.abs),
]


def _bits(a):
    a = np.asarray(a)
    return a.view(np.uint32 if a.dtype == np.float32 else np.uint16 if a.dtype == np.float16
                  else np.uint64)


def _eq_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    np.testing.assert_array_equal(_bits(a), _bits(b))


def test_default_env_and_validation():
    assert config_module._env_default("purejax_float32_math", {}) == "exact"
    env = {"PUREJAX_FLOAT32_MATH": " Fast "}
    assert config_module._env_default("purejax_float32_math", env) == "fast"
    with pytest.warns(RuntimeWarning):
        assert config_module._env_default("purejax_float32_math",
                                          {"PUREJAX_FLOAT32_MATH": "quick"}) == "exact"
    with pytest.raises(ValueError):
        config.update("purejax_float32_math", "quick")
    with pytest.raises(TypeError):
        config.update("purejax_float32_math", True)
    config.update("purejax_float32_math", "fast")
    assert config.purejax_float32_math == "fast"
    assert "fast" in config.help("purejax_float32_math")


@pytest.mark.parametrize("jfn,nfn,dom", UNARY, ids=[u[1].__name__ for u in UNARY])
def test_exact_rounds_the_double_result_and_fast_is_numpy(jfn, nfn, dom):
    x = dom(X)
    with np.errstate(all="ignore"):
        exact_want = nfn(x.astype(np.float64)).astype(np.float32)
        fast_want = nfn(x)
    config.update("purejax_float32_math", "exact")
    _eq_bits(jfn(jnp.asarray(x)), exact_want)
    config.update("purejax_float32_math", "fast")
    _eq_bits(jfn(jnp.asarray(x)), fast_want)


@pytest.mark.parametrize("jfn,nfn,dom", UNARY, ids=[u[1].__name__ for u in UNARY])
def test_jitted_code_inlines_both_modes_and_reads_the_flag_per_call(jfn, nfn, dom, x64):
    """Under jit, in_double's unary ufuncs are written inline (codegen_emit._in_double):
    bit for bit the impl's values in both modes, for vectors, float16 and float64, and
    rank 0 (which keeps the scalar code path), with the flag switched after compiling."""
    f = jax.jit(lambda x: jfn(x) * 1.5)
    for dt in (np.float32, np.float16, np.float64):
        for x in (dom(X[:100]).astype(dt), dom(X[:1]).reshape(()).astype(dt)):
            for mode in ("exact", "fast", "exact"):
                config.update("purejax_float32_math", mode)
                with np.errstate(all="ignore"):
                    want = (nfn(x.astype(np.float64)).astype(dt)
                            if mode == "exact" or dt == np.float64 else nfn(x))
                    want = np.asarray(want * dt(1.5))
                _eq_bits(f(jnp.asarray(x)), want)
    config.update("purejax_float32_math", "exact")
    text = jax.jit(jfn).lower(jnp.asarray(dom(X[:100]))).as_text()
    assert "dtype=" in text and "purejax_float32_math" in text   # inline, both ways
    text = jax.jit(jfn).lower(jnp.asarray(dom(X[:1]).reshape(()))).as_text()
    assert "purejax_float32_math" not in text   # rank 0: the impl, on scalars


def test_the_two_modes_really_differ():
    # NumPy's float32 kernels are not correctly rounded: the flag changes results.
    for jfn, nfn in ((jnp.exp, np.exp), (jnp.sin, np.sin), (jnp.tanh, np.tanh)):
        config.update("purejax_float32_math", "exact")
        e = np.asarray(jfn(jnp.asarray(X)))
        config.update("purejax_float32_math", "fast")
        f = np.asarray(jfn(jnp.asarray(X)))
        assert (e != f).any(), nfn
        # ... by a few units in the last place at most
        assert np.max(np.abs(_bits(e).astype(np.int64) - _bits(f).astype(np.int64))) <= 4
    config.update("purejax_float32_math", "exact")
    assert str(jnp.sin(jnp.float32(1.))) == "0.84147096"   # XLA's digits
    config.update("purejax_float32_math", "fast")
    assert str(jnp.sin(jnp.float32(1.))) == "0.841471"      # NumPy's float32 sin


def test_binary_logistic_rsqrt_and_abs_of_complex():
    y = (np.abs(X[::-1]) + np.float32(.5)).astype(np.float32)
    x = np.abs(X) + np.float32(.1)
    z = (X + 1j * X[::-1]).astype(np.complex64)
    config.update("purejax_float32_math", "fast")
    with np.errstate(all="ignore"):
        _eq_bits(jnp.power(jnp.asarray(x), jnp.asarray(y)), np.power(x, y))
        _eq_bits(jnp.arctan2(jnp.asarray(X), jnp.asarray(y)), np.arctan2(X, y))
        _eq_bits(lax.logistic(jnp.asarray(X)), np.float32(1) / (np.float32(1) + np.exp(-X)))
        _eq_bits(lax.rsqrt(jnp.asarray(x)), np.float32(1) / np.sqrt(x))
        _eq_bits(jnp.abs(jnp.asarray(z)), np.abs(z))
        _eq_bits(jnp.exp(jnp.asarray(z)).real, np.exp(z).real)
    config.update("purejax_float32_math", "exact")
    _eq_bits(jnp.power(jnp.asarray(x), jnp.asarray(y)),
             np.power(x.astype(np.float64), y.astype(np.float64)).astype(np.float32))
    _eq_bits(jnp.abs(jnp.asarray(z)), np.abs(z.astype(np.complex128)).astype(np.float32))


def test_float16_fast_is_numpy_float16():
    h = (X[:2000] * np.float32(.5)).astype(np.float16)
    config.update("purejax_float32_math", "fast")
    _eq_bits(jnp.exp(jnp.asarray(h)), np.exp(h))
    config.update("purejax_float32_math", "exact")
    _eq_bits(jnp.exp(jnp.asarray(h)), np.exp(h.astype(np.float64)).astype(np.float16))


def test_float64_is_unaffected(x64):
    d = X.astype(np.float64) * 1.1
    config.update("purejax_float32_math", "fast")
    _eq_bits(jnp.tanh(jnp.asarray(d)), np.tanh(d))
    _eq_bits(jax.jit(jnp.exp)(jnp.asarray(d)), np.exp(d))


def test_special_functions_stay_in_double():
    # erf, lgamma, ... are float64 kernels with no native float32 version.
    x = jnp.asarray(X[:500])
    config.update("purejax_float32_math", "exact")
    e = [np.asarray(f(x)) for f in (lax.erf, lax.lgamma, lax.erfc)]
    config.update("purejax_float32_math", "fast")
    for want, f in zip(e, (lax.erf, lax.lgamma, lax.erfc)):
        _eq_bits(f(x), want)


@pytest.mark.parametrize("n", [1000, 100_000])  # below and above fusion's threshold
def test_switching_the_flag_applies_to_already_jitted_functions(n):
    x = X[:n] if n <= X.size else np.resize(X, n)
    f = jax.jit(lambda x: jnp.tanh(x) * jnp.exp(x * .5) + jnp.sin(x))
    g = jax.jit(jax.grad(lambda x: jnp.sum(jnp.tanh(x) * jnp.exp(x * .5))))
    xa = jnp.asarray(x)

    def want(mode):
        with np.errstate(all="ignore"):
            if mode == "fast":
                return np.tanh(x) * np.exp(x * np.float32(.5)) + np.sin(x)
            r = lambda fn, v: fn(v.astype(np.float64)).astype(np.float32)  # noqa: E731
            return r(np.tanh, x) * r(np.exp, x * np.float32(.5)) + r(np.sin, x)

    assert (n >= fusion.MIN_SIZE) == ("fused" in _compiled_source(f, xa))
    results = {}
    for mode in ("exact", "fast", "exact", "fast"):
        config.update("purejax_float32_math", mode)
        _eq_bits(f(xa), want(mode))
        results.setdefault(mode, []).append(np.asarray(g(xa)))
    _eq_bits(results["exact"][0], results["exact"][1])
    _eq_bits(results["fast"][0], results["fast"][1])
    assert (results["exact"][0] != results["fast"][0]).any()
    # the interpreter (reference backend) agrees in each mode
    for mode in ("exact", "fast"):
        config.update("purejax_float32_math", mode)
        config.update("purejax_jit_backend", "interpret")
        _eq_bits(jax.jit(lambda x: jnp.tanh(x) * jnp.exp(x * .5) + jnp.sin(x))(xa), want(mode))
        config.update("purejax_jit_backend", "numpy_codegen")


def _compiled_source(f, x):
    closed = jax.make_jaxpr(f)(x)
    from purejax._src.backends import numpy_codegen
    compiled = numpy_codegen.compile_jaxpr(closed)
    srcs = [compiled.source]
    # the pjit lowering compiles the inner Jaxpr: look at every generated function
    for v in compiled.__globals__.values():
        if hasattr(v, "source") and isinstance(getattr(v, "source"), str):
            srcs.append(v.source)
    return "\n".join(srcs)


def test_constants_are_folded_with_the_flag_in_effect_at_compile_time():
    # Documented: an operation whose operands are all constants is evaluated once,
    # when the function is compiled (its first call), with the mode in effect then.
    x = jnp.zeros(3, jnp.float32)
    f = jax.jit(lambda x: x + jnp.sin(jnp.float32(1.)))
    config.update("purejax_float32_math", "exact")
    assert str(f(x)[0]) == "0.84147096"
    config.update("purejax_float32_math", "fast")
    assert str(f(x)[0]) == "0.84147096"   # folded when compiled
    g = jax.jit(lambda x: x + jnp.sin(jnp.float32(1.)))
    assert str(g(x)[0]) == "0.841471"     # a new compilation folds with "fast"
