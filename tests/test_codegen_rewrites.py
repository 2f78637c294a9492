"""The numpy_codegen backend's rewrites (codegen_simplify.py, emission rules, the
dot_general fast paths) give bit for bit what the reference interpreter gives.

Each case is built so that one rewrite fires; inputs include signed zeros, infinities
and (where the rewrite claims exactness for them) NaNs.
"""
import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax import lax


def _run(fn, args, backend):
    prev = jax.config.purejax_jit_backend
    jax.config.update("purejax_jit_backend", backend)
    try:
        return jax.tree_util.tree_leaves(jax.jit(fn)(*args))
    finally:
        jax.config.update("purejax_jit_backend", prev)


def _bits(x):
    x = np.asarray(x)
    if x.dtype.kind == "f":  # NaN sign and payload are not part of the contract
        x = np.where(np.isnan(x), np.asarray(np.nan, x.dtype), x)
    return x.dtype, x.shape, np.ascontiguousarray(x).tobytes()


def check_same(fn, *args):
    """fn under jit on the numpy_codegen backend gives the interpreter's bits and weak
    types, and leaves its inputs unwritten; returns the codegen outputs."""
    args = [jnp.asarray(a) for a in args]
    before = [np.array(a) for a in args]
    ref = _run(fn, args, "interpret")
    out = _run(fn, args, "numpy_codegen")
    assert len(ref) == len(out)
    for r, o in zip(ref, out):
        assert _bits(r) == _bits(o), (np.asarray(r), np.asarray(o))
        assert jnp.asarray(r).weak_type == jnp.asarray(o).weak_type
    for a, b in zip(args, before):  # inputs are never written
        assert _bits(a) == _bits(b)
    return out


def _special(dtype, n=12):
    if np.dtype(dtype).kind == "f":
        base = [0.0, -0.0, 1.0, -1.5, np.inf, -np.inf, 3.25, -7.0, 1e-30, 2.0, -2.0, 0.5]
        return np.resize(np.array(base, dtype), n)
    return np.resize(np.array([0, 1, -1, 5, -7, 3, 2, -2, 9, -9, 4, 6], dtype), n)


FLOATS = [np.float32, np.float64]
REALS = [np.float32, np.float64, np.int32, np.int64]


@pytest.mark.parametrize("dtype", REALS)
def test_constant_broadcast_operands(dtype):
    def f(x):
        z = jnp.zeros_like(x)
        o = lax.full_like(x, 3)
        return x * o + z, lax.max(x, z), lax.select(x > z, o, x), o * o - o
    check_same(f, _special(dtype))


@pytest.mark.parametrize("dtype", REALS)
def test_mul_by_one(dtype):
    check_same(lambda x: (x * jnp.ones_like(x), jnp.ones_like(x) * x, x * 1), _special(dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
def test_select_between_zero_and_one(dtype):
    def f(x):
        p = x > 0
        return (lax.select(p, jnp.ones_like(x), jnp.zeros_like(x)),
                lax.select(p, jnp.zeros_like(x), jnp.ones_like(x)),
                lax.select(p, jnp.full_like(x, -0.0 if np.dtype(dtype).kind == "f" else 0),
                           jnp.ones_like(x)))
    check_same(f, _special(dtype))


@pytest.mark.parametrize("dtype", REALS)
def test_negation_folding(dtype):
    def f(x, y):
        a, b = -x, -y
        return (x + b, a + y, a + b, x - b, a - y, a - b, a * b, a * y, 3 * b, -(2 * x),
                -(-x), (a * y) + (a * x))
    x, y = _special(dtype), np.roll(_special(dtype), 3)
    check_same(f, x, y)


@pytest.mark.parametrize("dtype", REALS)
def test_mul_by_minus_one_and_sub_of_zero(dtype):
    def f(x, y):
        return (x * -1 + y, -1 * x, x - 0, (x - 0) * y, y + x * -1, x * jnp.full_like(x, -1) - y,
                x - jnp.zeros_like(x))
    x, y = _special(dtype), np.roll(_special(dtype), 5)
    check_same(f, x, y)
    if np.dtype(dtype).kind == "f":  # x - (-0) is not x (-0 - -0 == +0): kept
        check_same(lambda x: x - jnp.full_like(x, -0.0), x)
        assert "sub" in jax.jit(lambda x: x - jnp.full_like(x, -0.0)).lower(x).as_text().split("\n", 1)[1]
    body = jax.jit(lambda x, y: x * -1 + y).lower(x, y).as_text().split("\n", 1)[1]
    assert "mul" not in body and "neg" not in body and body.count("sub") == 1
    body = jax.jit(lambda x, y: (x - 0) * y).lower(x, y).as_text().split("\n", 1)[1]
    assert "sub" not in body


def test_negation_folding_int_min_wraps():
    x = np.array([np.iinfo(np.int32).min, 5, -1], np.int32)
    check_same(lambda x, y: (x + (-y), (-x) * (-y), 3 * (-x)), x, x[::-1].copy())


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("pads", [((1, 0), (0, 1)), ((0, 0), (0, 2)), ((2, 1), (0, 3)),
                                  ((3, 0), (0, 3))])
def test_pad_pad_add(dtype, pads):
    (lx, hx), (ly, hy) = pads
    n = 8

    def f(x, y):
        return lax.pad(x, 0., [(lx, hx, 0)]) + lax.pad(y, 0., [(ly, hy, 0)])
    x = _special(dtype, n - lx - hx)
    y = -_special(dtype, n - ly - hy)[::-1].copy()
    check_same(f, x, y)


@pytest.mark.parametrize("dtype", FLOATS)
def test_pad_pad_add_2d_and_grad_of_shifted_slices(dtype):
    x = _special(dtype, 12).reshape(3, 4)
    check_same(lambda x: lax.pad(x, 0., [(0, 0, 0), (1, 0, 0)]) + lax.pad(x, 0., [(0, 0, 0), (0, 1, 0)]), x)
    check_same(jax.grad(lambda x: jnp.sum(x[:, 1:] * x[:, :-1])), x)


def test_rosenbrock_hvp():
    def f(x):
        a, b = x[:-1], x[1:]
        return jnp.sum(100. * (b - a * a) ** 2 + (1. - a) ** 2)
    x = np.linspace(-1.5, 1.5, 17).astype(np.float32)
    v = np.cos(np.arange(17)).astype(np.float32)
    check_same(lambda x, v: jax.jvp(jax.grad(f), (x,), (v,))[1], x, v)


def test_logaddexp_per_example_grads():
    def loss(w, x, y):
        z = jnp.dot(x, w)
        return jnp.logaddexp(0., z) - y * z
    rng = np.random.default_rng(0)
    w = rng.standard_normal(5).astype(np.float32)
    X = rng.standard_normal((7, 5)).astype(np.float32)
    X[0] = 0.
    X[1, 0] = -0.
    y = (rng.random(7) > .5).astype(np.float32)
    check_same(jax.vmap(jax.grad(loss), in_axes=(None, 0, 0)), w, X, y)


def test_relu_max_grad_ties():
    x = np.array([[-1., 0., -0., 2.], [3., -4., 0., 1.]], np.float32)
    check_same(jax.grad(lambda x: jnp.sum(jnp.maximum(x, 0.) * x)), x)


@pytest.mark.parametrize("dn, ls, rs", [
    ((((), ()), ((0,), (0,))), (64,), (64, 32)),
    ((((), ()), ((0,), (0,))), (64, 32), (64, 32)),     # an elementwise product
    ((((), ()), ((1,), (1,))), (40, 40), (40, 40)),     # transposed: not inline
    ((((), ()), ((1,), (0,))), (40, 40), (40, 40)),
])
def test_outer_products_with_reusable_buffers(dn, ls, rs):
    """Large enough for reuse_buffers (REUSE_MIN_SIZE): a dying operand of the
    result's shape may receive it, which is only right when it is read in place."""
    rng = np.random.default_rng(2)
    a = rng.standard_normal(ls).astype(np.float32)
    b = rng.standard_normal(rs).astype(np.float32)
    out = check_same(lambda a, b: lax.dot_general(a * 2, b - 1, dn) * 3, a, b)
    want = _einsum_dot_general(a * 2, b - 1, dn) * 3
    np.testing.assert_allclose(np.asarray(out[0]), want, rtol=1e-5)


def _einsum_dot_general(a, b, dn):
    """An independent dot_general: einsum with lax's output order."""
    (lc, rc), (lb, rb) = dn
    letters = iter("abcdefghij")
    la = [next(letters) for _ in a.shape]
    ra = [next(letters) for _ in b.shape]
    for i, j in zip(lc + lb, rc + rb):
        ra[j] = la[i]
    free_l = [la[d] for d in range(a.ndim) if d not in lc and d not in lb]
    free_r = [ra[d] for d in range(b.ndim) if d not in rc and d not in rb]
    spec = f"{''.join(la)},{''.join(ra)}->{''.join([la[d] for d in lb] + free_l + free_r)}"
    return np.einsum(spec, a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
def test_scalar_and_weak_operands(dtype):
    def f(x):
        s = x[0]
        return s * jnp.ones(()), s - (-s), x * 1.0, 2 * x, -(-s)
    check_same(f, _special(dtype))


@pytest.mark.parametrize("dn, ls, rs", [
    ((((), ()), ((0,), (0,))), (4,), (4, 3)),          # batched outer product (vmap of grad)
    ((((), ()), ((0,), (0,))), (4, 3), (4,)),
    ((((), ()), ((), ())), (2, 3), ()),                 # times a rank-0 operand
    ((((), ()), ((1,), (1,))), (3, 3), (3, 3)),         # square, batch dims transposed
    ((((), ()), ((), ())), (2, 3), (4,)),               # plain outer product
    ((((), ()), ((1,), (0,))), (2, 3), (3, 5)),         # batch dim not leading on lhs
    ((((), ()), ((0, 2), (1, 0))), (2, 3, 4), (4, 2, 5)),
    ((((1,), (0,)), ((), ())), (3, 4), (4,)),
    ((((0,), (0,)), ((), ())), (4, 3), (4, 2)),
    ((((2,), (1,)), ((0,), (0,))), (2, 3, 4), (2, 4, 5)),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
def test_dot_general_paths(dn, ls, rs, dtype):
    rng = np.random.default_rng(1)
    a = (rng.standard_normal(ls) * 4).astype(dtype)
    b = (rng.standard_normal(rs) * 4).astype(dtype)
    if dtype != np.int32:
        a.flat[0] = -0.
    check_same(lambda a, b: lax.dot_general(a, b, dn), a, b)
    # operands that die at the product: their buffers may be reused for its result
    check_same(lambda a, b: lax.dot_general(a * 2, b - 1, dn) * 3, a, b)
    # and against an independent einsum
    out = np.asarray(jax.jit(lambda a, b: lax.dot_general(a, b, dn))(a, b))
    np.testing.assert_allclose(out, _einsum_dot_general(a, b, dn), rtol=1e-5)


@pytest.mark.parametrize("dtype", REALS)
@pytest.mark.parametrize("k1, k2", [(3., 2.), (-200., 2.), (0.5, 2.), (3., 0.5), (3., 3.), (-1., -4.)])
def test_constant_multiplications_merge_only_when_exact(dtype, k1, k2):
    x = _special(dtype)
    if np.dtype(dtype).kind == "f":
        x = np.concatenate([x, np.array([np.finfo(dtype).max, -np.finfo(dtype).max / 3,
                                         np.finfo(dtype).tiny / 3, np.nan], dtype)])
    k1, k2 = (np.asarray(k, dtype) for k in (k1, k2))
    check_same(lambda x: k1 * (k2 * x), x)
    check_same(lambda x: -(k1 * (-(k2 * x))), x)


def test_commuted_duplicates_share_one_product():
    x = np.array([1.5, -0., np.inf, 3.], np.float32)
    check_same(lambda x, y: (x * y + y * x, -(x * y) * x + x * -(y * x)), x, x[::-1].copy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.bool_])
def test_inline_emission(dtype):
    x = np.arange(24).reshape(2, 3, 4).astype(dtype)
    if np.dtype(dtype).kind == "f":
        x.flat[3] = -0.
    conv = [np.float32, np.int32, np.bool_, np.complex64, np.float64]

    def f(x):
        outs = [lax.slice(x, (0, 1, 0), (2, 3, 4)), lax.slice(x, (1, 0, 1), (2, 3, 4), (1, 2, 2)),
                x[:, :, 1:], lax.select(x == x[0, 0, 0], x, lax.full_like(x, 1))]
        outs += [lax.convert_element_type(x, d) for d in conv]
        if np.dtype(dtype) != np.bool_:
            outs += [lax.reduce_sum(x, (0, 2)), lax.reduce_sum(x, (0, 1, 2)),
                     jnp.dot(x[0], x[1].T), jnp.dot(x[0, 0], x[1].T), jnp.dot(x[0].T, x[1])]
        return outs
    check_same(f, x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
def test_broadcasts_left_to_numpy_match_interpreter(dtype):
    """broadcast_in_dim feeding an elementwise op becomes a (reshaped) operand that
    NumPy broadcasts: trailing (bias), leading (softmax max), size-1 and rank-0."""
    def f(x, b, r, s, one):
        y = x + b                                  # (4, 5) + bias (5,)
        z = y - jnp.max(y, axis=1, keepdims=True)  # leading-aligned broadcast
        w = jnp.where(z > r[:, None], z, r[:, None] * 2)
        u = w * jnp.broadcast_to(one, (4, 5))      # size-1 operand dimension
        return u / (s + 1), jnp.broadcast_to(b, (3, 4, 5)) * s

    rng = np.random.default_rng(0)
    args = (rng.integers(-5, 5, (4, 5)).astype(dtype), rng.integers(-5, 5, (5,)).astype(dtype),
            rng.integers(-5, 5, (4,)).astype(dtype), dtype(3), rng.integers(1, 3, (4, 1)).astype(dtype))
    check_same(f, *args)
    from purejax._src.backends import numpy_codegen
    src = numpy_codegen.compile_jaxpr(jax.make_jaxpr(lambda x, b: x + b)(args[0], args[1])).source
    assert "broadcast_in_dim" not in src  # the bias is added by NumPy broadcasting


def _source(fn, *args):
    from purejax._src.backends import numpy_codegen
    closed = jax.make_jaxpr(fn)(*[jnp.asarray(a) for a in args])
    return numpy_codegen.compile_jaxpr(closed, "f").source


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op", ["max", "min", "max_rev"])
def test_max_min_zero_derivative_is_step(dtype, op):
    fns = {"max": lambda x: jnp.maximum(x, 0.), "min": lambda x: jnp.minimum(x, 0.),
           "max_rev": lambda x: jnp.maximum(-0., x)}
    act = fns[op]
    x = np.concatenate([_special(dtype), np.array([np.nan, -np.nan, 0., -0.], dtype)])
    g = np.cos(np.arange(x.size)).astype(dtype)

    def f(x, g):
        y, vjp = jax.vjp(act, x)
        return y, vjp(g)[0], jax.jvp(act, (x,), (g,))[1]
    check_same(f, x, g)
    check_same(jax.grad(lambda x: jnp.sum(act(x))), x)
    check_same(lambda x: jax.jvp(act, (x,), (jnp.ones_like(x),))[1], x)  # the step itself
    assert "_step" in _source(f, x, g)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op", ["max", "min"])
def test_step_derivatives_at_rank_0(dtype, op):
    """mul_step on rank-0 values, which generated code holds as NumPy scalars (found by
    fuzzing: item assignment at a rank-0 zero failed)."""
    act = (lambda x: jnp.maximum(x, 0.)) if op == "max" else (lambda x: jnp.minimum(x, 0.))
    for v in (0.0, -0.0, 1.5, -2.0, np.inf, -np.inf, np.nan):
        x, g = np.asarray(v, dtype), np.asarray(3.0, dtype)
        check_same(lambda x, g: jax.vjp(act, x)[1](g)[0], x, g)
        check_same(jax.grad(lambda x: act(x) * jnp.cos(x)), x)


def test_max_nonzero_constant_derivative_not_step():
    x = np.array([0., 1., 2., -1., np.nan], np.float32)
    f = jax.grad(lambda x: jnp.sum(jnp.maximum(x, 1.)))
    check_same(f, x)
    assert "_step" not in _source(f, x)
