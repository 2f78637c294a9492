"""Elementwise fusion in the numpy_codegen backend (purejax._src.backends.fusion):
fused kernels give bit-identical results to the unfused code and to the reference
interpreter, for every fusible primitive, dtype and layout. The tests shrink the
size threshold and the block length so small arrays exercise the blocked loop,
partial last blocks included."""
import math

import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax import lax
from purejax._src import config as config_module
from purejax._src import core
from purejax._src.backends import fusion, interpret, numpy_codegen
from purejax._src.interpreters import ad
from purejax._src.prims import elementwise as ew


@pytest.fixture(autouse=True)
def _small_blocks(monkeypatch):
    monkeypatch.setattr(fusion, "MIN_SIZE", 1)
    monkeypatch.setattr(fusion, "CHUNK", 7)
    saved = dict(config_module._flags)
    yield
    config_module._flags.clear()
    config_module._flags.update(saved)


# Values are compared bit for bit, except that NaNs are compared as NaNs: the sign
# of a NaN from an operation on two NaNs depends on how NumPy's loop splits the
# array (SIMD body, unrolled or scalar tail), so even np.add on a whole array and on
# its slices can disagree there; no other bit can.
def _same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, b.dtype, a.shape, b.shape)
    if a.dtype.kind not in "fc":
        np.testing.assert_array_equal(a, b)
        return
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    parts = (a.real, a.imag, b.real, b.imag) if a.dtype.kind == "c" else (a, None, b, None)
    for x, y in ((parts[0], parts[2]), (parts[1], parts[3])):
        if x is None:
            continue
        nan = np.isnan(x)
        assert np.array_equal(nan, np.isnan(y)), (a, b)
        x, y = np.where(nan, 0, x), np.where(nan, 0, y)
        assert x.tobytes() == y.tobytes(), (a, b)


def _compile(fn, args, fuse=True, monkeypatch=None):
    closed = jax.make_jaxpr(fn)(*args)
    if not fuse:
        old = fusion.MIN_SIZE
        fusion.MIN_SIZE = None
        try:
            return numpy_codegen.compile_jaxpr(closed), closed
        finally:
            fusion.MIN_SIZE = old
    return numpy_codegen.compile_jaxpr(closed), closed


def check(fn, *args, expect_fused=True, raw_args=None):
    """fn compiled with fusion == without == the interpreter, bitwise, for each
    float32 math mode. Returns the fused compiled function."""
    raw = [np.asarray(a) for a in args] if raw_args is None else raw_args
    for mode in ("xla", "exact", "fast"):
        config_module.config.update("purejax_float32_math", mode)
        fused, closed = _compile(fn, args)
        plain, _ = _compile(fn, args, fuse=False)
        ref = interpret.compile_jaxpr(closed)
        assert ("fused_elementwise" in fused.source) == expect_fused, fused.source
        assert "fused_elementwise" not in plain.source
        with np.errstate(all="ignore"):
            got, want, want2 = fused(*raw), plain(*raw), ref(*raw)
        assert len(got) == len(want) == len(want2)
        for g, w, w2 in zip(got, want, want2):
            _same(g, w)
            _same(g, w2)
    return fused


def _f32(n, seed=0, scale=3.):
    return (np.random.default_rng(seed).standard_normal(n) * scale).astype(np.float32)


K = math.sqrt(2. / math.pi)


def w6(np_like, x):
    gelu = 0.5 * x * (1. + np_like.tanh(K * (x + 0.044715 * x * x * x)))
    softplus = np_like.log1p(np_like.exp(-np_like.abs(gelu))) + np_like.maximum(gelu, 0.)
    sigmoid = 0.5 * np_like.tanh(0.5 * x) + 0.5
    return softplus * np_like.tanh(x) + sigmoid


@pytest.mark.parametrize("n", [1, 6, 7, 8, 50, 1000])
def test_w6_forward_and_grad(n):
    x = jnp.asarray(_f32(n))
    check(lambda x: w6(jnp, x), x)
    check(jax.grad(lambda x: jnp.sum(w6(jnp, x))), x)


def test_big_default_sizes_are_fused(monkeypatch):
    monkeypatch.setattr(fusion, "MIN_SIZE", 1 << 16)
    monkeypatch.setattr(fusion, "CHUNK", 1 << 15)
    x = jnp.asarray(_f32(100_003))
    check(lambda x: w6(jnp, x), x)
    # below the threshold: the equations are left to numpy_codegen
    check(lambda x: w6(jnp, x), jnp.asarray(_f32(1000)), expect_fused=False)


def test_jit_runs_the_fused_kernel():
    x = jnp.asarray(_f32(100))
    f = jax.jit(lambda x: jnp.exp(jnp.sin(x) * 2.) + x)
    want = interpret.compile_jaxpr(jax.make_jaxpr(f)(x))(np.asarray(x))[0]
    _same(f(x), want)


def test_scalars_literals_and_scalar_broadcasts():
    x, s = jnp.asarray(_f32(23)), jnp.float32(1.5)
    check(lambda x, s: (x * s + 2.) / (s - x) + jnp.full_like(x, 3.) * jnp.zeros_like(x), x, s)
    check(lambda x, s: jnp.maximum(jnp.broadcast_to(s, x.shape), x) - jnp.ones_like(x), x, s)
    # an output that is a scalar broadcast, and one that is an input computed on
    check(lambda x, s: (jnp.broadcast_to(s, x.shape) + 0., x * 2., x * 2.), x, s)


def test_multiple_outputs_and_values_used_outside():
    x = jnp.asarray(_f32(30))

    def f(x):
        a = jnp.sin(x) * 2.
        total = jnp.sum(a)          # not fusible: splits the chain
        b = a * total + jnp.cos(x)  # reads the first group's output
        return a, b, jnp.tanh(b), b * b
    check(f, x)


@pytest.mark.parametrize("dtype", ["float16", "float32", "complex64"])
def test_transcendentals(dtype):
    x = _f32(40, 1, 2.).astype(dtype)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * _f32(40, 2).astype(dtype)
    fns = [jnp.exp, jnp.log, jnp.sin, jnp.cos, jnp.tanh, jnp.sqrt, jnp.expm1, jnp.log1p,
           jnp.arctan, jnp.sinh, jnp.cosh, jnp.arcsinh]
    if np.dtype(dtype).kind == "f":
        fns += [jnp.exp2, jnp.tan, jnp.arcsin, jnp.arccos, jnp.arccosh, jnp.arctanh, jnp.cbrt,
                lax.rsqrt, lax.logistic, jnp.abs, jnp.sign, jnp.floor, jnp.ceil, jnp.round,
                lambda v: lax.round(v, lax.RoundingMethod.TO_NEAREST_EVEN), jnp.isfinite]
    for fn in fns:
        check(lambda v: fn(v * 1.5) + fn(v), jnp.asarray(x))


def test_binary_and_ternary_float_ops():
    x, y = jnp.asarray(_f32(33, 3)), jnp.asarray(_f32(33, 4))
    check(lambda x, y: (jnp.arctan2(x, y) + jnp.power(jnp.abs(x), y) + jnp.fmod(x, y)
                        + jnp.minimum(x, y) * jnp.maximum(x, y) - x / y), x, y)
    check(lambda x, y: (lax.clamp(-1., x, 1.) + lax.integer_pow(x, 3) + lax.integer_pow(y, -2)
                        + lax.square(x) + jnp.nextafter(x, y) + lax.rem(x, y)), x, y)
    check(lambda x, y: jnp.where(x > y, x * 2., y) + jnp.where(x <= 0., 1., y)
          + jnp.where(x == y, x, -x) * (x != y), x, y)
    check(lambda x, y: lax.select_n(jnp.astype(x > 0, jnp.int32) + jnp.astype(y > 0, jnp.int32),
                                    x, y, x * y), x, y)


def test_integer_and_bool_ops():
    rng = np.random.default_rng(5)
    i = jnp.asarray(rng.integers(-50, 50, 41).astype(np.int32))
    j = jnp.asarray(rng.integers(-5, 5, 41).astype(np.int32))
    check(lambda i, j: (i // j + i % j, lax.div(i, j), lax.rem(i, j), i * j - i, -i,
                        jnp.abs(i), jnp.sign(i), lax.integer_pow(i, 3)), i, j)
    check(lambda i, j: ((i & j) | (i ^ 7), ~i, lax.shift_left(i, j), lax.shift_right_logical(i, j),
                        lax.shift_right_arithmetic(i, j), lax.population_count(i)), i, j)
    check(lambda i, j: ((i > j) & (i != 0)) | ~(j < 0), i, j)


def test_mixed_dtypes_and_conversions():
    rng = np.random.default_rng(6)
    x = jnp.asarray(_f32(29, 7, 100.))
    i = jnp.asarray(rng.integers(-9, 9, 29).astype(np.int8))
    check(lambda x, i: (x.astype(jnp.int32) * 2 + i.astype(jnp.int32), x.astype(jnp.float16) * 2,
                        (i.astype(jnp.float32) + x).astype(jnp.bfloat16 if hasattr(jnp, "bfloat16")
                                                           else jnp.float16),
                        x.astype(jnp.uint8), jnp.astype(x > 0, jnp.float32) * x), x, i)
    check(lambda x: (lax.complex(x, x * 2.) * (1. + 2.j), jnp.real(lax.complex(x, x)) + 1.,
                     jnp.conj(lax.complex(x, -x)) * 2., jnp.abs(lax.complex(x, x))), x)


def test_float64_with_x64(x64):
    x = jnp.asarray(_f32(31).astype(np.float64))
    check(lambda x: jnp.tanh(x) * jnp.exp(x.astype(jnp.float32)).astype(jnp.float64) + x, x)


def test_nan_inf_and_signed_zero():
    x = jnp.asarray(np.array([np.nan, np.inf, -np.inf, 0., -0., 1e-45, -1e38, 3e38, 88.7, -104.]
                             * 3, np.float32))
    check(lambda x: (w6(jnp, x), jnp.exp(x) * 2., jnp.log(x) - 1., jnp.sign(x) * x,
                     jnp.maximum(x, 0.) + jnp.minimum(x, -0.), x / x), x)
    check(jax.grad(lambda x: jnp.sum(w6(jnp, x))), x)


def test_special_values_with_large_blocks(monkeypatch):
    monkeypatch.setattr(fusion, "CHUNK", 8192)
    special = np.array([np.nan, np.inf, -np.inf, 0., -0., 1e-45, -1e38, 3e38, 88.7, -104.],
                       np.float32)
    x = _f32(3 * 8192 + 13, 12)
    x[::997] = np.resize(special, x[::997].shape)
    x[-10:] = special
    x = jnp.asarray(x)
    check(lambda x: (w6(jnp, x), jnp.exp(x) * 2., jnp.log(x) - 1., x / x), x)
    check(jax.grad(lambda x: jnp.sum(w6(jnp, x))), x)


def test_multidimensional_and_non_contiguous_inputs():
    a = _f32(15 * 8).reshape(15, 8)
    for view in (a.T, a[::2], a[:, ::3], np.asfortranarray(a)):
        x = jnp.asarray(view)
        fused = check(lambda x: jnp.tanh(x) * jnp.exp(-jnp.abs(x)) + 1., x,
                      raw_args=[view])
        assert fused(view)[0].shape == view.shape


def test_non_scalar_broadcasts_stay_out_of_groups():
    x, r = jnp.asarray(_f32(12 * 5).reshape(12, 5)), jnp.asarray(_f32(5, 9))
    check(lambda x, r: jnp.sin(x) * r + jnp.cos(x) * 2., x, r)
    check(lambda x, r: jnp.sum(jnp.exp(x) * 3., axis=0) + r * r - r, x, r)


def test_zero_d_and_empty(monkeypatch):
    check(lambda x: jnp.sin(x) * 2. + x, jnp.float32(0.5), expect_fused=False)
    check(lambda x: jnp.sin(x) * 2. + x, jnp.zeros((0,), jnp.float32), expect_fused=False)
    monkeypatch.setattr(fusion, "MIN_SIZE", 0)  # even empty arrays: the loop runs no block
    check(lambda x: jnp.sin(x) * 2. + x, jnp.float32(0.5), expect_fused=False)
    check(lambda x: jnp.sin(x) * 2. + x, jnp.zeros((0,), jnp.float32))
    check(lambda x: (jnp.sin(x) * 2. + x, x > 0), jnp.zeros((3, 0), jnp.float32))


def test_constants_and_common_subexpressions():
    c = _f32(20, 11)
    x = jnp.asarray(_f32(20))
    f = check(lambda x: (jnp.sin(x * 2.) + jnp.sin(x * 2.)) * jnp.asarray(c) + x * 2., x)
    assert f.source.count("fused_elementwise") >= 1


def _var(shape, dtype=np.float32):
    return core.Var(core.ShapedArray(shape, np.dtype(dtype)))


def test_impls_returning_an_operand_keep_its_buffer_alive():
    # a = x * 2; b = stop_gradient(a): the impl returns a itself, and a dies there;
    # c = x * 3 must not take a's buffer while b (the same array) is still to be read.
    x, a, b, c, d = (_var((20,)) for _ in range(5))
    lit = lambda v: core.Literal(np.float32(v), core.ShapedArray((), np.dtype(np.float32)))
    eqns = [core.JaxprEqn([x, lit(2.)], [a], ew.mul_p, {}),
            core.JaxprEqn([a], [b], ew.stop_gradient_p, {}),
            core.JaxprEqn([x, lit(3.)], [c], ew.mul_p, {}),
            core.JaxprEqn([b, c], [d], ad.add_any_p, {})]
    closed = core.ClosedJaxpr(core.Jaxpr([], [x], [d], eqns), [])
    fused = numpy_codegen.compile_jaxpr(closed)
    assert "fused_elementwise" in fused.source
    xs = _f32(20)
    _same(fused(xs)[0], interpret.compile_jaxpr(closed)(xs)[0])
    _same(fused(xs)[0], xs * np.float32(2.) + xs * np.float32(3.))


def test_group_placement_respects_dependencies():
    # The second chain reads a value computed outside the first group, from it.
    x = jnp.asarray(_f32(25))

    def f(x):
        a = jnp.exp(x) + 1.
        m = jnp.max(a)          # reads group 1
        b = jnp.sin(x) * m      # a new group, reads m
        c = b - a               # reads group 1's output
        return c * c, jnp.cumsum(c)
    check(f, x)


def test_fused_primitive_is_never_traced():
    with pytest.raises(NotImplementedError):
        fusion.fused_elementwise_p.jvp((), ())


def test_disabled_fusion_leaves_the_jaxpr_alone(monkeypatch):
    monkeypatch.setattr(fusion, "MIN_SIZE", None)
    closed = jax.make_jaxpr(lambda x: jnp.sin(x) * 2. + 1.)(jnp.zeros(10))
    assert fusion.fuse_elementwise(closed.jaxpr) is closed.jaxpr
