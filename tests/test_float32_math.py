"""The purejax_float32_math flag: "xla" (default) evaluates each float16/float32/complex64
transcendental the way that reproduces XLA's results most often (in double and rounded
once, or with NumPy's native kernel; tests/oracle/test_float32_agreement.py measures the
choice against JAX); "exact" evaluates every one in double precision and rounds once;
"fast" uses NumPy's native single-precision kernels. The flag is read when an operation
runs, so eager code and already-jitted functions follow it (fused kernels included); only
values folded from constants at compile time keep the mode the function was compiled
under."""
import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax import lax
from purejax._src import config as config_module
from purejax._src.backends import fusion
from purejax._src.config import config
from purejax._src.prims import elementwise


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
# the float32 functions that the "xla" mode evaluates in double (native: the rest), on
# this CPU: where NumPy runs float32 tan, atan, ... with SVML, those too
XLA_DOUBLE_F32 = {np.exp, np.log, np.sin, np.cos, np.tanh} | (
    set(elementwise.SVML_UFUNCS) if elementwise.NUMPY_USES_SVML else set())


def _want(nfn, x, mode):
    """What purejax gives for the ufunc nfn on x (float16/32/64) in each mode."""
    with np.errstate(all="ignore"):
        if x.dtype == np.float64 or mode == "fast" or (
                mode == "xla" and x.dtype == np.float32 and nfn not in XLA_DOUBLE_F32):
            return nfn(x)
        return nfn(x.astype(np.float64)).astype(x.dtype)


def _bits(a):
    a = np.asarray(a)
    return a.view(np.uint32 if a.dtype == np.float32 else np.uint16 if a.dtype == np.float16
                  else np.uint64)


def _eq_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    np.testing.assert_array_equal(_bits(a), _bits(b))


def test_default_env_and_validation():
    assert config_module._env_default("purejax_float32_math", {}) == "xla"
    env = {"PUREJAX_FLOAT32_MATH": " Fast "}
    assert config_module._env_default("purejax_float32_math", env) == "fast"
    assert config_module._env_default("purejax_float32_math",
                                      {"PUREJAX_FLOAT32_MATH": "exact"}) == "exact"
    with pytest.warns(RuntimeWarning):
        assert config_module._env_default("purejax_float32_math",
                                          {"PUREJAX_FLOAT32_MATH": "quick"}) == "xla"
    with pytest.raises(ValueError):
        config.update("purejax_float32_math", "quick")
    with pytest.raises(TypeError):
        config.update("purejax_float32_math", True)
    config.update("purejax_float32_math", "fast")
    assert config.purejax_float32_math == "fast"
    assert all(m in config.help("purejax_float32_math") for m in ("xla", "exact", "fast"))


@pytest.mark.parametrize("jfn,nfn,dom", UNARY, ids=[u[1].__name__ for u in UNARY])
def test_each_mode_is_double_or_numpy_bit_for_bit(jfn, nfn, dom):
    x = dom(X)
    for mode in ("exact", "fast", "xla"):
        config.update("purejax_float32_math", mode)
        _eq_bits(jfn(jnp.asarray(x)), _want(nfn, x, mode))
    config.update("purejax_float32_math", "xla")
    # float16 and complex64 in the default mode: double for float16 (XLA computes it in
    # float32 and rounds: the double result, but for rare double roundings)
    h = (x[:2000] * np.float32(.25)).astype(np.float16)
    _eq_bits(jfn(jnp.asarray(h)), _want(nfn, h, "xla"))


@pytest.mark.parametrize("jfn,nfn,dom", UNARY, ids=[u[1].__name__ for u in UNARY])
def test_jitted_code_inlines_the_modes_and_reads_the_flag_per_call(jfn, nfn, dom, x64):
    """Under jit, in_double's unary ufuncs are written inline (codegen_emit._in_double):
    bit for bit the impl's values in every mode, for vectors, float16 and float64, and
    rank 0 (which keeps the scalar code path), with the flag switched after compiling."""
    f = jax.jit(lambda x: jfn(x) * 1.5)
    for dt in (np.float32, np.float16, np.float64):
        for x in (dom(X[:100]).astype(dt), dom(X[:1]).reshape(()).astype(dt)):
            for mode in ("exact", "fast", "xla", "exact"):
                config.update("purejax_float32_math", mode)
                with np.errstate(all="ignore"):
                    want = np.asarray(_want(nfn, x, mode) * dt(1.5))
                _eq_bits(f(jnp.asarray(x)), want)
    config.update("purejax_float32_math", "xla")
    text = jax.jit(jfn).lower(jnp.asarray(dom(X[:100]))).as_text()
    assert "dtype=" in text and "purejax_float32_math" in text   # inline, both ways
    text = jax.jit(jfn).lower(jnp.asarray(dom(X[:1]).reshape(()))).as_text()
    assert "purejax_float32_math" not in text   # rank 0: the impl, on scalars


def test_the_modes_really_differ():
    # NumPy's float32 kernels are not correctly rounded: the flag changes results.
    for jfn, nfn in ((jnp.exp, np.exp), (jnp.sin, np.sin), (jnp.tanh, np.tanh)):
        config.update("purejax_float32_math", "exact")
        e = np.asarray(jfn(jnp.asarray(X)))
        config.update("purejax_float32_math", "fast")
        f = np.asarray(jfn(jnp.asarray(X)))
        assert (e != f).any(), nfn
        # ... by a few units in the last place at most
        assert np.max(np.abs(_bits(e).astype(np.int64) - _bits(f).astype(np.int64))) <= 4
    for mode in ("xla", "exact"):
        config.update("purejax_float32_math", mode)
        assert str(jnp.sin(jnp.float32(1.))) == "0.84147096"   # XLA's digits
        assert str(jnp.exp(jnp.float32(2.))) == "7.389056"
    config.update("purejax_float32_math", "fast")
    assert str(jnp.sin(jnp.float32(1.))) == "0.841471"      # NumPy's float32 sin
    assert str(jnp.exp(jnp.float32(2.))) == "7.3890557"


def test_binary_logistic_rsqrt_and_abs_of_complex():
    y = (np.abs(X[::-1]) + np.float32(.5)).astype(np.float32)
    x = np.abs(X) + np.float32(.1)
    z = (X + 1j * X[::-1]).astype(np.complex64)
    one = np.float32(1)
    d = lambda fn, *a: np.asarray(fn(*[v.astype(np.float64) if v.dtype == np.float32  # noqa: E731
                                       else v.astype(np.complex128) for v in a]))
    svml = elementwise.NUMPY_USES_SVML  # pow and atan2 in double under "xla" there
    with np.errstate(all="ignore"):
        for mode in ("fast", "xla"):
            config.update("purejax_float32_math", mode)
            double = mode == "xla" and svml
            _eq_bits(jnp.power(jnp.asarray(x), jnp.asarray(y)),
                     d(np.power, x, y).astype(np.float32) if double else np.power(x, y))
            _eq_bits(jnp.arctan2(jnp.asarray(X), jnp.asarray(y)),
                     d(np.arctan2, X, y).astype(np.float32) if double else np.arctan2(X, y))
            _eq_bits(jnp.logaddexp(jnp.asarray(X), jnp.asarray(y)), np.logaddexp(X, y))
            _eq_bits(jnp.abs(jnp.asarray(z)), np.abs(z))
            _eq_bits(jnp.exp(jnp.asarray(z)).real, np.exp(z).real)
        config.update("purejax_float32_math", "fast")
        _eq_bits(lax.logistic(jnp.asarray(X)), one / (one + np.exp(-X)))
        _eq_bits(lax.rsqrt(jnp.asarray(x)), one / np.sqrt(x))
        config.update("purejax_float32_math", "xla")
        # XLA's own formula in float32, around a (nearly) correctly rounded exp
        _eq_bits(lax.logistic(jnp.asarray(X)),
                 one / (one + np.exp(-X.astype(np.float64)).astype(np.float32)))
        _eq_bits(lax.rsqrt(jnp.asarray(x)), d(lambda v: 1 / np.sqrt(v), x).astype(np.float32))
        _eq_bits(jnp.log1p(jnp.asarray(z)), d(np.log1p, z).astype(np.complex64))
        config.update("purejax_float32_math", "exact")
        _eq_bits(jnp.power(jnp.asarray(x), jnp.asarray(y)),
                 d(np.power, x, y).astype(np.float32))
        _eq_bits(jnp.abs(jnp.asarray(z)), d(np.abs, z).astype(np.float32))
        _eq_bits(lax.logistic(jnp.asarray(X)), d(lambda v: 1 / (1 + np.exp(-v)), X).astype(np.float32))


def test_xla_mode_avoids_numpys_svml_kernels(monkeypatch):
    """Where NumPy runs float32 tan, atan, cbrt, pow, ... with SVML (AVX512-SKX CPUs),
    whose results were not measured against XLA's and depend on the array's layout,
    the "xla" mode evaluates them in double; the other choices stay."""
    monkeypatch.setattr(elementwise, "NUMPY_USES_SVML", True)
    for fn in (np.tan, np.arctan, np.cbrt, np.sinh, np.power, np.exp2):
        impl = elementwise.in_double(fn)
        assert impl.native_modes(np.float32) == ("fast",), fn
        assert impl.native_modes(np.complex64) == ("fast", "xla"), fn
    atan2 = elementwise.in_double(lambda x, y: np.arctan2(x, y), fast=True, svml=True)
    assert atan2.native_modes(np.float32) == ("fast",)
    assert elementwise.in_double(np.logaddexp).native_modes(np.float32) == ("fast", "xla")
    assert elementwise.in_double(np.exp, xla=(np.complex64,)).native_modes(
        np.float32) == ("fast",)
    monkeypatch.setattr(elementwise, "NUMPY_USES_SVML", False)
    assert elementwise.in_double(np.tan).native_modes(np.float32) == ("fast", "xla")
    assert elementwise.in_double(np.tan).native_modes(np.float16) == ("fast",)


@pytest.mark.parametrize("mode", ["xla", "exact", "fast"])
def test_a_wider_operand_keeps_the_narrow_dtype(mode):
    # NumPy promotes float32 ** int32 to float64; lax.pow keeps the base's dtype
    config.update("purejax_float32_math", mode)
    out = lax.pow(jnp.asarray(X[:5] + np.float32(10)), jnp.asarray(np.int32(3)))
    assert out.dtype == np.float32
    np.testing.assert_allclose(np.asarray(out), (X[:5].astype(np.float64) + 10) ** 3, rtol=1e-6)


def test_float16_fast_is_numpy_float16():
    h = (X[:2000] * np.float32(.5)).astype(np.float16)
    config.update("purejax_float32_math", "fast")
    _eq_bits(jnp.exp(jnp.asarray(h)), np.exp(h))
    _eq_bits(jnp.tanh(jnp.asarray(h)), np.tanh(h))
    for mode in ("exact", "xla"):
        config.update("purejax_float32_math", mode)
        _eq_bits(jnp.exp(jnp.asarray(h)), np.exp(h.astype(np.float64)).astype(np.float16))
        _eq_bits(jnp.tanh(jnp.asarray(h)), np.tanh(h.astype(np.float64)).astype(np.float16))


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
    for mode in ("fast", "xla"):
        config.update("purejax_float32_math", mode)
        for want, f in zip(e, (lax.erf, lax.lgamma, lax.erfc)):
            _eq_bits(f(x), want)


@pytest.mark.parametrize("n", [1000, 100_000])  # below and above fusion's threshold
def test_switching_the_flag_applies_to_already_jitted_functions(n):
    x = X[:n] if n <= X.size else np.resize(X, n)
    fn = lambda x: jnp.tanh(x) * jnp.exp(x * .5) + jnp.sinh(x * .25)  # noqa: E731
    f = jax.jit(fn)
    g = jax.jit(jax.grad(lambda x: jnp.sum(fn(x))))
    xa = jnp.asarray(x)

    def want(mode):
        with np.errstate(all="ignore"):
            return (_want(np.tanh, x, mode) * _want(np.exp, x * np.float32(.5), mode)
                    + _want(np.sinh, x * np.float32(.25), mode))

    assert (n >= fusion.MIN_SIZE) == ("fused" in _compiled_source(f, xa))
    results = {}
    for mode in ("exact", "fast", "xla", "exact", "fast", "xla"):
        config.update("purejax_float32_math", mode)
        _eq_bits(f(xa), want(mode))
        results.setdefault(mode, []).append(np.asarray(g(xa)))
    for mode in ("exact", "fast", "xla"):
        _eq_bits(results[mode][0], results[mode][1])
    assert (results["exact"][0] != results["fast"][0]).any()
    if not elementwise.NUMPY_USES_SVML:
        # cosh is native in "xla" (where NumPy would run it with SVML, in double too)
        assert (results["xla"][0] != results["exact"][0]).any()
    assert (results["xla"][0] != results["fast"][0]).any()    # tanh and exp are not
    # the interpreter (reference backend) agrees in each mode
    for mode in ("exact", "fast", "xla"):
        config.update("purejax_float32_math", mode)
        config.update("purejax_jit_backend", "interpret")
        _eq_bits(jax.jit(fn)(xa), want(mode))
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
