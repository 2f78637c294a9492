"""The numpy_codegen changes for the W3/W5 benchmarks give bit for bit what the reference
interpreter gives: buffer reuse (`out=` into dead temporaries, never into an input, a
constant, a returned value or anything a live view still reads), inline emission,
min/max against arrays of the constant, np.matmul for matrix products, mul_step, and
the fusion kernels' pad_add epilogue, pooled scratch and scheduling.

Inputs include signed zeros, infinities and NaNs; float64 cases run with x64 on.
"""
import threading

import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax import lax
from purejax._src import core
from purejax._src.backends import codegen_emit, fusion, interpret, numpy_codegen
from purejax._src.prims import elementwise as ew
from test_codegen_rewrites import _bits, _run, check_same  # noqa: E402  (same folder)


@pytest.fixture(autouse=True)
def _reuse_every_buffer(monkeypatch):
    # the tests' arrays are small: let buffer reuse consider them all
    monkeypatch.setattr(codegen_emit, "REUSE_MIN_SIZE", 0)


def _source(fn, *args):
    closed = jax.make_jaxpr(fn)(*[jnp.asarray(a) for a in args])
    return numpy_codegen.compile_jaxpr(closed, "f").source


SPECIAL = [0.0, -0.0, 1.0, -1.5, np.inf, -np.inf, np.nan, 3.25, -7.0, 1e-30, 2.0, -2.0,
           0.5, 1e-45, -3e38]


def _special(dtype, shape):
    n = int(np.prod(shape))
    if np.dtype(dtype).kind == "f":
        base = np.array(SPECIAL, np.float64).astype(dtype)
        rng = np.random.default_rng(n)
        vals = np.concatenate([base, rng.standard_normal(max(0, n - base.size)).astype(dtype)])
        return np.resize(vals, n).reshape(shape)
    vals = [0, 1, -1, 5, -7, 3, 2, -2, 9, -9, 4, 6]
    if np.dtype(dtype).kind == "u":
        vals = [v % 11 for v in vals]
    return np.resize(np.array(vals, dtype), n).reshape(shape)


@pytest.fixture(params=["float32", "float64"])
def fdtype(request):
    if request.param == "float64":
        prev = jax.config.read("jax_enable_x64")
        jax.config.update("jax_enable_x64", True)
        yield np.float64
        jax.config.update("jax_enable_x64", prev)
    else:
        yield np.float32


# --- buffer reuse ---------------------------------------------------------------

def _has_out(src, target_line_start):
    return any(ln.strip().startswith(target_line_start) and "out=" in ln for ln in src.splitlines())


def test_dead_temporaries_take_results(fdtype):
    x = _special(fdtype, (6, 5))
    b = _special(fdtype, (5,))[::-1].copy()

    def f(x, b):
        t = x * 2.          # fresh, dies at the next line
        u = t + b           # may write into t
        v = u * u - 1.      # chain
        return v / 3., jnp.sum(v, axis=0)
    check_same(f, x, b)
    assert "out=" in _source(f, x, b)


def test_inputs_constants_and_returned_values_are_not_written(fdtype):
    x = _special(fdtype, (4, 3))
    c = np.asarray(_special(fdtype, (4, 3)) * 3)

    def f(x):
        t = x * 2.
        u = t + 1.          # t is returned: must survive
        w = x + c           # x is an input, c a constant
        return t, u, w * w, x - 1.
    out = check_same(f, x)
    np.testing.assert_array_equal(np.asarray(out[0]), np.asarray(x) * fdtype(2))
    src = _source(f, x)
    assert "out=v0" not in src  # the input's name
    assert not any("out=_" in ln for ln in src.splitlines())  # globals (constants)


@pytest.mark.parametrize("view", ["reshape", "transpose", "slice", "broadcast"])
def test_a_live_view_keeps_its_buffer(fdtype, view):
    x = _special(fdtype, (4, 6))
    views = {"reshape": lambda t: t.reshape(6, 4), "transpose": lambda t: t.T,
             "slice": lambda t: t[1:, ::2], "broadcast": lambda t: jnp.broadcast_to(t[0], (3, 6))}

    def f(x):
        t = x * 2.
        v = views[view](t)  # a view of t's buffer (NumPy shares it)
        u = t - 1.          # t's last direct use: its buffer is still read through v
        return u, v * 3.
    check_same(f, x)


@pytest.mark.parametrize("view", ["reshape", "transpose", "slice"])
def test_dead_buffers_are_recycled_only_when_no_view_reads_them(fdtype, view):
    x = _special(fdtype, (6, 6))
    y = np.roll(_special(fdtype, (6, 6)), 4)
    views = {"reshape": lambda t: t.reshape(4, 9), "transpose": lambda t: t.T,
             "slice": lambda t: t[::2]}

    def f(x, y):
        t = jnp.sin(x) * 2.     # fresh
        v = views[view](t)      # a view, read at the end
        d = x - 1.              # fresh, dead after the next line
        u = t + d               # t's and d's last direct reads
        w = y * 3.              # a new (6, 6) result: may take d's buffer, never t's
        p = w @ y               # a product: may take a dead buffer too
        return u, w - p, v * 1.
    check_same(f, x, y)
    src = _source(f, x, y)
    assert "out=" in src


def test_products_into_dead_buffers_of_any_layout(fdtype):
    a = _special(fdtype, (5, 4))
    b = np.roll(_special(fdtype, (5, 5)), 1)

    def f(a, b):
        t = a.T * 2.            # (4, 5), laid out like a.T (F order)
        s = jnp.sum(t, axis=0)  # t dies: a dead F-ordered buffer
        p = a.T @ b             # (4, 5): gets t's buffer, which gemm cannot write
        q = p * 2.              # p dies: a C-ordered one
        r = a.T @ (b * 3.)      # (4, 5): gets it
        return s, q, r
    check_same(f, a, b)
    assert "_matmul2d" in _source(f, a, b) and _source(f, a, b).count("out=") >= 2


def test_values_aliased_through_a_call_keep_their_buffer(fdtype):
    # an inner jit that returns its argument: the outer code sees a call whose result
    # may be the very same array
    x = _special(fdtype, (5, 3))
    inner = jax.jit(lambda a: (a, a * 0.5))

    def f(x):
        t = x + 1.
        s, h = inner(t)
        u = t * 4.          # t dies here, but s (maybe t itself) is read afterwards
        return s - u, h
    check_same(f, x)


class _Identity:
    """A primitive whose impl hands back its operand, as some NumPy functions do."""
    p = core.Primitive("test_w35_identity")
    p.impl = lambda x: x
    p.abstract_eval = lambda x: x


def test_impl_returning_its_operand_keeps_the_buffer_alive():
    x, t, a, u, w = (core.Var(core.ShapedArray((7,), np.dtype(np.float32))) for _ in range(5))
    two = core.Literal(np.float32(2.), core.ShapedArray((), np.dtype(np.float32)))
    eqns = [core.JaxprEqn([x, two], [t], ew.mul_p, {}),
            core.JaxprEqn([t], [a], _Identity.p, {}),     # a is t, at run time
            core.JaxprEqn([t, two], [u], ew.add_p, {}),   # t's last direct read
            core.JaxprEqn([a, u], [w], ew.sub_p, {})]
    closed = core.ClosedJaxpr(core.Jaxpr([], [x], [w], eqns), [])
    xs = _special(np.float32, (7,))
    got = numpy_codegen.compile_jaxpr(closed)(xs)[0]
    want = interpret.compile_jaxpr(closed)(xs)[0]
    assert _bits(got) == _bits(want)
    with np.errstate(all="ignore"):
        assert _bits(got) == _bits(xs * np.float32(2) - (xs * np.float32(2) + np.float32(2)))


def test_broadcast_and_bool_operands_are_not_targets(fdtype):
    x = _special(fdtype, (3, 1))
    y = _special(fdtype, (3, 4))

    def f(x, y):
        t = x * 2.              # (3, 1): cannot hold a (3, 4) result
        u = t + y
        m = (u > 0.)            # bool from floats
        return jnp.where(m, u, -u), m
    check_same(f, x, y)


def test_reuse_in_loops_and_grads(fdtype):
    x = _special(fdtype, (8,)) / 10.

    def body(i, c):
        t = c * 0.5
        return jnp.tanh(t + 1.) - t
    check_same(lambda x: lax.fori_loop(0, 3, body, x), x)
    check_same(jax.grad(lambda x: jnp.sum(jnp.sin(x * 2.) * x + x)), x)


# --- inline emission ------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "int32", "bool"])
def test_inline_shape_ops_and_extrema(dtype):
    x = _special(np.float32 if dtype == "bool" else dtype, (2, 3, 4))
    if dtype == "bool":
        x = x > 0

    def f(x):
        outs = [x.reshape(6, 4), jnp.squeeze(x[:1], 0), jnp.transpose(x, (2, 0, 1)), x[0].T,
                jnp.broadcast_to(x[:, :1], (2, 3, 4)), jnp.expand_dims(x, 1),
                lax.broadcast_in_dim(x[0, 0], (3, 4), (1,)),
                jnp.max(x, axis=(0, 2)), jnp.min(x, axis=1), jnp.max(x)]
        if dtype != "bool":
            outs += [lax.reduce_sum(x, (1,)), lax.reduce_sum(x, (0, 1, 2))]
        return outs
    check_same(f, x)


def test_array_div_and_add_any_are_ufunc_calls(fdtype):
    x = _special(fdtype, (9,))
    y = _special(fdtype, (9,))[::-1].copy()
    check_same(lambda x, y: (x / y, y / 3., x[0] / y[1]), x, y)
    check_same(jax.grad(lambda x: jnp.sum(x * x + jnp.sin(x))), x)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int8", "uint16"])
@pytest.mark.parametrize("const", [0.0, -0.0, 1.0, "nan", "-inf"])
def test_min_max_against_an_array_of_the_constant(dtype, const):
    if np.dtype(dtype).kind != "f" and const in ("nan", "-inf", -0.0):
        pytest.skip("float constants")
    if dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    try:
        shape = (40, 64)  # 2560 elements: above the size at which the constant is an array
        x = _special(dtype, shape)
        k = np.asarray(float(const) if isinstance(const, str) else const).astype(dtype)

        def f(x):
            return (jnp.maximum(x, k), jnp.maximum(k, x), jnp.minimum(x, k), jnp.minimum(k, x),
                    lax.max(x, k) * 2)
        check_same(f, x)
        src = _source(f, x)
        assert ("_full" in src) == codegen_emit.minmax_scalar_is_slow(np.maximum, dtype)
    finally:
        jax.config.update("jax_enable_x64", False)


def test_minmax_constant_arrays_are_read_only():
    x = _special(np.float32, (64, 32))
    src_fn = numpy_codegen.compile_jaxpr(jax.make_jaxpr(lambda x: jnp.maximum(x, 0.) + 1.)(x), "f")
    fulls = [v for k, v in src_fn.__globals__.items() if k.startswith("_full")]
    assert fulls and all(not a.flags.writeable for a in fulls)
    a = src_fn(x)[0]
    b = src_fn(x)[0]
    assert _bits(a) == _bits(b)


# --- np.matmul for matrix products ----------------------------------------------

def _layouts(a):
    return {"C": np.ascontiguousarray(a), "F": np.asfortranarray(a),
            "strided": np.ascontiguousarray(np.repeat(a, 2, axis=1))[:, ::2],
            "padded": np.pad(a, ((0, 0), (0, 3)))[:, :a.shape[1]]}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("la", ["C", "F", "strided", "padded"])
@pytest.mark.parametrize("lb", ["C", "F", "strided"])
def test_matmul2d_is_np_dot_bit_for_bit(dtype, la, lb):
    rng = np.random.default_rng(7)
    a = rng.standard_normal((33, 70)).astype(dtype) * 3
    b = rng.standard_normal((70, 41)).astype(dtype)
    a[0, :5] = [np.inf, -0., np.nan, 1e30, -1e-30]
    b[:4, 0] = [-np.inf, 0., 2., -0.]
    A, B = _layouts(a)[la], _layouts(b)[lb]
    with np.errstate(all="ignore"):
        assert _bits(codegen_emit.matmul2d(A, B)) == _bits(np.dot(A, B))
        # a matrix times its own transpose (?syrk in both)
        assert _bits(codegen_emit.matmul2d(A, A.T)) == _bits(np.dot(A, A.T))
        assert _bits(codegen_emit.matmul2d(A.T, A)) == _bits(np.dot(A.T, A))


@pytest.mark.parametrize("shapes", [((5, 7), (7, 3)), ((1, 7), (7, 3)), ((5, 1), (1, 3)),
                                    ((5, 7), (7, 1)), ((2, 2), (2, 2))])
def test_matrix_products_through_jit(fdtype, shapes):
    rng = np.random.default_rng(3)
    a = (rng.standard_normal(shapes[0]) * 2).astype(fdtype)
    b = (rng.standard_normal(shapes[1]) * 2).astype(fdtype)
    a.flat[0] = -0.
    check_same(lambda a, b: (a @ b, b.T @ a.T, a.T @ a, a @ a.T), a, b)
    check_same(jax.grad(lambda a, b: jnp.sum(jnp.tanh(a @ b))), a, b)


# --- mul_step: g * step(x) --------------------------------------------------------

@pytest.mark.parametrize("act", ["relu", "min", "max_rev"])
def test_mul_step_matches_the_interpreter(fdtype, act):
    fns = {"relu": lambda x: jnp.maximum(x, 0.), "min": lambda x: jnp.minimum(x, 0.),
           "max_rev": lambda x: jnp.maximum(-0., x)}
    a = fns[act]
    x = _special(fdtype, (6, 7))
    g = np.roll(_special(fdtype, (6, 7)), 5)

    def f(x, g):
        y, vjp = jax.vjp(a, x)
        return y, vjp(g)[0]
    check_same(f, x, g)
    assert "_mul_step" in _source(f, x, g)
    # g read again after the product: the product must not take g's buffer
    check_same(lambda x, g: (jax.vjp(a, x)[1](g * 1.5)[0], g * 1.5 + 1.), x, g)
    # an MLP layer's gradient, where the product goes into the dead matmul result
    w = _special(fdtype, (7, 7)) / 7.
    check_same(jax.grad(lambda w, x: jnp.sum(a(x @ w) @ w)), w, x)


def test_mul_step_zero_fix_when_written_into_g():
    from purejax._src.backends.codegen_simplify import _mul_step_impl
    x = np.array([0., -0., 1., -1., np.nan, 0.], np.float32)
    g = np.array([3., -5., 7., 9., 11., np.inf], np.float32)
    want = g * np.array([.5, .5, 1., 0., 0., .5], np.float32)
    out = _mul_step_impl(g.copy(), x, less=False)
    assert _bits(out) == _bits(want)
    buf = g.copy()
    out = _mul_step_impl(buf, x, less=False, out=buf)
    assert out is buf and _bits(out) == _bits(want)


# --- fusion: pad_add epilogue, pooled scratch, schedule -----------------------------

@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(fusion, "MIN_SIZE", 1)
    monkeypatch.setattr(fusion, "CHUNK", 7)


def _fused_check(fn, *args, expect=("fused_elementwise",), absent=()):
    out = check_same(fn, *args)
    src = _source(fn, *args)
    for s in expect:
        assert s in src, src
    for s in absent:
        assert s not in src, src
    return out


@pytest.mark.parametrize("n", [1, 5, 7, 8, 23, 50])
@pytest.mark.parametrize("pads", [((1, 0), (0, 1)), ((0, 1), (1, 0)), ((0, 0), (0, 0)),
                                  ((2, 1), (0, 3)), ((3, 0), (0, 3)), ((1, 2), (1, 2))])
def test_pad_add_epilogue(small_blocks, fdtype, n, pads):
    (lx, hx), (ly, hy) = pads
    x = _special(fdtype, (n,))
    y = np.roll(_special(fdtype, (n,)), 3)

    def f(x, y):
        a = jnp.sin(x) * y - x       # values of one group ...
        b = x * x + y
        return lax.pad(a, 0., [(lx, hx, 0)]) + lax.pad(b, 0., [(ly, hy, 0)])  # ... padded, added
    check_same(f, x, y)
    length = fusion._block_length(n)
    shortest = n if n <= length else (n % length or length)
    src = _source(f, x, y)
    assert "fused_elementwise" in src
    # folded into the kernel unless the shift is longer than the shortest block
    assert ("pad_add" in src) == (abs(lx - ly) > shortest), src


def test_pad_add_epilogue_operand_read_inside_the_group_and_equal_operands(small_blocks, fdtype):
    x = _special(fdtype, (30,))
    v = np.roll(_special(fdtype, (30,)), 7)

    def rosen(x):
        a, b = x[:-1], x[1:]
        return jnp.sum(100. * (b - a * a) ** 2 + (1. - a) ** 2)
    # the Rosenbrock HVP: one pad operand is also read by the group (m in the kernel)
    _fused_check(lambda x, v: jax.jvp(jax.grad(rosen), (x,), (v,))[1], x, v, absent=("pad_add",))
    # pad_add(t, t)
    _fused_check(lambda x: lax.pad(x * 2. + 1., 0., [(1, 0, 0)]) + lax.pad(x * 2. + 1., 0., [(0, 1, 0)]), x)
    # the padded sum read by more code, and a group value also returned
    check_same(lambda x: (lambda t, s: (s * 3., t))(
        jnp.cos(x) * 2., lax.pad(jnp.cos(x) * 2., 0., [(2, 0, 0)]) + lax.pad(x * x, 0., [(0, 2, 0)])), x)


def test_pad_add_epilogue_2d(small_blocks, fdtype):
    x = _special(fdtype, (6, 4))
    check_same(lambda x: lax.pad(x * 2., 0., [(1, 0, 0), (0, 0, 0)])
               + lax.pad(x - 1., 0., [(0, 1, 0), (0, 0, 0)]), x)
    x1 = _special(fdtype, (1, 9))  # leading unit axis: the padded axis 1 is contiguous
    _fused_check(lambda x: lax.pad(x * 2., 0., [(0, 0, 0), (2, 0, 0)])
                 + lax.pad(x - 1., 0., [(0, 0, 0), (0, 2, 0)]), x1, absent=("pad_add",))
    # a padded inner axis with more than one row is left to pad_add
    check_same(lambda x: lax.pad(x * 2., 0., [(0, 0, 0), (1, 0, 0)])
               + lax.pad(x - 1., 0., [(0, 0, 0), (0, 1, 0)]), x)


def test_pad_add_epilogue_shift_longer_than_a_block(small_blocks):
    x = _special(np.float32, (20,))
    f = lambda x: lax.pad(x * 2., 0., [(9, 0, 0)]) + lax.pad(x + 1., 0., [(0, 9, 0)])
    check_same(f, x)
    assert "pad_add" in _source(f, x)  # not folded: the carry would span blocks


@pytest.mark.parametrize("n", [7, 8, 13, 14, 15, 100])
def test_blocks_of_one_length(small_blocks, n):
    x = _special(np.float32, (n,))
    check_same(lambda x: jnp.exp(x * 0.5) * x - jnp.maximum(x, 0.) + jnp.minimum(x, -1.), x)
    i = _special(np.int32, (n,))
    check_same(lambda i: jnp.maximum(i, 2) * 3 - jnp.minimum(4, i), i)


def test_pooled_scratch_across_calls_and_threads(monkeypatch):
    monkeypatch.setattr(fusion, "MIN_SIZE", 1)
    monkeypatch.setattr(fusion, "CHUNK", 64)
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal(1000).astype(np.float32) for _ in range(8)]
    f = jax.jit(lambda x: jnp.tanh(x * 2. + 1.) * x - x * x)
    want = [np.tanh(x * np.float32(2) + np.float32(1)) for x in xs]
    ref = [np.asarray(_run(lambda x: jnp.tanh(x * 2. + 1.) * x - x * x, [jnp.asarray(x)],
                           "interpret")[0]) for x in xs]
    assert all(_bits(np.asarray(f(x))) == _bits(r) for x, r in zip(xs, ref))
    errors = []

    def worker(k):
        for _ in range(50):
            for x, r in zip(xs[k::2], ref[k::2]):
                if _bits(np.asarray(f(x))) != _bits(r):
                    errors.append(k)
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(want) == 8


def test_schedule_keeps_every_value(small_blocks):
    # values needed by several consumers, outputs in the middle of the chain, and a
    # value read only inside the group after a long chain
    x = _special(np.float32, (19,))
    y = np.roll(x, 2)

    def f(x, y):
        a = x * y
        b = jnp.sin(a) + x
        c = a * a - b
        d = jnp.cos(y) * 2. + c
        return d * b, c, a + d
    check_same(f, x, y)


def test_w3_and_w5_programs_small(monkeypatch):
    monkeypatch.setattr(fusion, "MIN_SIZE", 1 << 8)
    monkeypatch.setattr(fusion, "CHUNK", 1 << 7)
    rng = np.random.default_rng(1)
    params = [rng.standard_normal(s).astype(np.float32) * 0.3
              for s in [(20, 16), (16,), (16, 16), (16,), (16, 4), (4,)]]
    x = rng.standard_normal((9, 20)).astype(np.float32)
    x[0, 0] = 0.
    y = np.eye(4, dtype=np.float32)[rng.integers(0, 4, 9)]

    def loss(w1, b1, w2, b2, w3, b3, x, y):
        h = jnp.maximum(x @ w1 + b1, 0.)
        h = jnp.maximum(h @ w2 + b2, 0.)
        logits = h @ w3 + b3
        m = lax.stop_gradient(jnp.max(logits, axis=1, keepdims=True))
        logp = logits - m - jnp.log(jnp.sum(jnp.exp(logits - m), axis=1, keepdims=True))
        return -jnp.sum(y * logp) / x.shape[0]
    check_same(jax.value_and_grad(loss, argnums=tuple(range(6))), *params, x, y)

    def rosen(x):
        a, b = x[:-1], x[1:]
        return jnp.sum(100. * (b - a * a) ** 2 + (1. - a) ** 2)
    xv = rng.uniform(-1.5, 1.5, 1000).astype(np.float32)
    xv[::97] = 0.
    vv = rng.standard_normal(1000).astype(np.float32)
    _fused_check(lambda x, v: jax.jvp(jax.grad(rosen), (x,), (v,))[1], xv, vv, absent=("pad_add",))
