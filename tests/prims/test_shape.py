"""Shape primitives (prims/shape.py), driven by an op-spec table: values against
NumPy over dtypes, derivatives (order 2, both modes, float64), vmap over several
in_axes, staged-vs-eager types; then edge points and error cases."""
import numpy as np
import pytest

import purejax as jax
from purejax._src import dtypes
from purejax._src import lax
from purejax._src.array import Array
from purejax.test_util import check_abstract_eval, check_grads, check_vmap
from _data import rand  # noqa: E402  (tests/prims/_data.py)

F32, F64, I32, BOOL = np.float32, np.float64, np.int32, np.bool_


pytestmark = pytest.mark.usefixtures("x64")  # tests/conftest.py


def pad_reference(x, pv, config):
    """A loop-free but independent reference: build the interior-padded array, pad
    lo/hi with the value, then crop negative edges."""
    out = x
    for axis, (lo, hi, interior) in enumerate(config):
        n = out.shape[axis]
        if n and interior:
            pieces = []
            for i in range(n):
                pieces.append(np.take(out, [i], axis=axis))
                if i < n - 1:
                    shape = list(out.shape)
                    shape[axis] = interior
                    pieces.append(np.full(shape, pv, out.dtype))
            out = np.concatenate(pieces, axis=axis)
        shape = list(out.shape)
        shape[axis] = max(lo, 0)
        left = np.full(shape, pv, out.dtype)
        shape[axis] = max(hi, 0)
        right = np.full(shape, pv, out.dtype)
        out = np.concatenate([left, out, right], axis=axis)
        start, stop = max(-lo, 0), out.shape[axis] - max(-hi, 0)
        out = np.take(out, np.arange(start, stop), axis=axis)
    return out


class Spec:
    def __init__(self, name, fun, shapes, ref, dtypes=(F32, F64, I32, BOOL), grad=True,
                 vmap_axes=((0,),), extra=None):
        self.name, self.fun, self.shapes, self.ref = name, fun, shapes, ref
        self.dtypes, self.grad, self.vmap_axes = dtypes, grad, vmap_axes
        self.extra = extra or (lambda rng, dt: ())  # non-array trailing args

    def args(self, rng, dtype):
        return tuple(rand(rng, s, dtype) for s in self.shapes) + tuple(self.extra(rng, dtype))

    def __repr__(self):
        return self.name


PAD_CONFIGS = [((1, 2, 0), (0, 0, 0)), ((-1, 1, 1), (2, -2, 2)), ((0, 0, 3), (-3, -1, 0)),
               ((-4, 2, 1), (1, 1, 1))]

SPECS = [
    Spec("broadcast_in_dim_row", lambda x: lax.broadcast_in_dim(x, (2, 3), (1,)), [(3,)],
         lambda x: np.broadcast_to(x, (2, 3))),
    Spec("broadcast_in_dim_ones", lambda x: lax.broadcast_in_dim(x, (3, 2, 4), (0, 2)),
         [(3, 1)], lambda x: np.broadcast_to(x[:, None, :], (3, 2, 4)), vmap_axes=((1,),)),
    Spec("broadcast_scalar", lambda x: lax.broadcast_in_dim(x, (2, 2), ()), [()],
         lambda x: np.broadcast_to(x, (2, 2))),
    Spec("broadcast", lambda x: lax.broadcast(x, (2, 1)), [(3,)],
         lambda x: np.broadcast_to(x, (2, 1, 3))),
    Spec("broadcast_to_rank", lambda x: lax.broadcast_to_rank(x, 3), [(3,)],
         lambda x: x.reshape(1, 1, 3)),
    Spec("reshape", lambda x: lax.reshape(x, (2, 6)), [(3, 4)], lambda x: x.reshape(2, 6),
         vmap_axes=((0,), (2,))),
    Spec("reshape_dimensions", lambda x: lax.reshape(x, (4, 6), (2, 0, 1)), [(2, 3, 4)],
         lambda x: np.transpose(x, (2, 0, 1)).reshape(4, 6)),
    Spec("transpose", lambda x: lax.transpose(x, (2, 0, 1)), [(2, 3, 4)],
         lambda x: np.transpose(x, (2, 0, 1)), vmap_axes=((0,), (3,))),
    Spec("squeeze", lambda x: lax.squeeze(x, (0, 2)), [(1, 3, 1)], lambda x: x.reshape(3),
         vmap_axes=((0,), (2,), (3,))),
    Spec("squeeze_negative", lambda x: lax.squeeze(x, (-1,)), [(3, 1)], lambda x: x[:, 0]),
    Spec("expand_dims", lambda x: lax.expand_dims(x, (0, 3)), [(3, 4)],
         lambda x: x[None, :, :, None]),
    Spec("expand_dims_negative", lambda x: lax.expand_dims(x, (-1,)), [(3,)],
         lambda x: x[:, None]),
    Spec("rev", lambda x: lax.rev(x, (0,)), [(3, 4)], lambda x: x[::-1],
         vmap_axes=((0,), (1,))),
    Spec("rev_both", lambda x: lax.rev(x, (0, 1)), [(3, 4)], lambda x: x[::-1, ::-1]),
    Spec("concatenate", lambda a, b, c: lax.concatenate([a, b, c], 1), [(2, 1), (2, 2), (2, 3)],
         lambda a, b, c: np.concatenate([a, b, c], 1),
         vmap_axes=((0, 0, 0), (None, 1, 0), (2, None, None))),
    Spec("concatenate_axis0", lambda a, b: lax.concatenate([a, b], 0), [(2, 3), (1, 3)],
         lambda a, b: np.concatenate([a, b], 0), vmap_axes=((1, None),)),
    Spec("select_n_bool", lambda a, b, w: lax.select_n(w, a, b), [(3, 4), (3, 4)],
         lambda a, b, w: np.where(w, b, a),
         extra=lambda rng, dt: (rng.random((3, 4)) > 0.5,),
         vmap_axes=((0, 0, 0), (None, 1, 0), (0, None, 1), (None, None, 0))),
    Spec("select_n_int", lambda a, b, c, w: lax.select_n(w, a, b, c),
         [(2, 3), (2, 3), (2, 3)], lambda a, b, c, w: np.choose(w, [a, b, c]),
         extra=lambda rng, dt: (rng.integers(0, 3, (2, 3)).astype(np.int32),),
         vmap_axes=((0, None, 0, 0), (None, None, None, 1))),
    Spec("select_n_scalar_which", lambda a, b, w: lax.select_n(w, a, b), [(3,), (3,)],
         lambda a, b, w: b if w else a, extra=lambda rng, dt: (np.bool_(True),),
         vmap_axes=((0, 0, None), (None, 0, 0))),
]
for i, cfg in enumerate(PAD_CONFIGS):
    SPECS.append(Spec(f"pad{i}", lambda x, p, cfg=cfg: lax.pad(x, p, cfg), [(3, 4), ()],
                      lambda x, p, cfg=cfg: pad_reference(x, p, cfg),
                      vmap_axes=((0, None), (1, 0), (None, 0))))
SPECS.append(Spec("pad_empty_operand", lambda x, p: lax.pad(x, p, ((2, 1, 3), (0, 0, 0))),
                  [(0, 2), ()], lambda x, p: pad_reference(x, p, ((2, 1, 3), (0, 0, 0))),
                  dtypes=(F32, F64), vmap_axes=((1, 0), (0, None))))


DTYPE_CASES = [(s, d) for s in SPECS for d in s.dtypes]


@pytest.mark.parametrize("spec,dtype", DTYPE_CASES,
                         ids=[f"{s.name}-{np.dtype(d).name}" for s, d in DTYPE_CASES])
def test_values(spec, dtype):
    args = spec.args(np.random.default_rng(0), dtype)
    out = spec.fun(*args)
    expected = spec.ref(*args)
    assert isinstance(out, Array)
    assert out.dtype == np.dtype(dtype) and out.shape == np.shape(expected)
    assert not out.weak_type
    np.testing.assert_array_equal(np.asarray(out), expected)


@pytest.mark.parametrize("spec", [s for s in SPECS if s.grad], ids=repr)
def test_grads(spec):
    # integer/bool trailing args are closed over: check_grads' order-2 pass cannot
    # finite-difference their float0 cotangents
    args = spec.args(np.random.default_rng(1), F64)
    n = len(spec.shapes)
    check_grads(lambda *xs: spec.fun(*xs, *args[n:]), args[:n], order=2)


@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_vmap(spec):
    rng = np.random.default_rng(2)
    size = 3
    rows = [spec.args(rng, F64) for _ in range(size)]
    for axes in spec.vmap_axes:
        args = tuple(rows[0][i] if ax is None else np.stack([r[i] for r in rows], ax)
                     for i, ax in enumerate(axes))
        check_vmap(spec.fun, args, axes, err_msg=f"{spec.name} in_axes={axes}")


@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_abstract_eval(spec):
    check_abstract_eval(spec.fun, spec.args(np.random.default_rng(3), F32))


# --- convert_element_type ------------------------------------------------------
@pytest.mark.parametrize("src,dst", [(F32, F64), (F64, F32), (I32, F32), (BOOL, F32),
                                     (F32, I32), (F32, BOOL), (I32, BOOL), (F64, np.int64)])
def test_convert_element_type_values(src, dst):
    x = rand(np.random.default_rng(0), (5,), src)
    if np.dtype(src).kind == "f":
        x = x * 3
    out = lax.convert_element_type(x, dst)
    assert out.dtype == np.dtype(dst) and not out.weak_type
    if np.dtype(src).kind == "f" and np.dtype(dst).kind == "i":
        np.testing.assert_array_equal(out, np.trunc(x).astype(dst))  # rounds toward zero
    else:
        np.testing.assert_array_equal(out, x.astype(dst))
    check_abstract_eval(lambda x: lax.convert_element_type(x, dst), (x,))


@pytest.mark.parametrize("dst", [np.int8, np.uint8, np.int16, np.int32, np.uint32])
def test_float_to_int_conversion_saturates_as_xla(dst):
    """NaN gives 0, out-of-range values the integer bounds (XLA's conversion; values from
    JAX 0.10.2): int32's maximum, 2**31 - 1, rounds up to 2**31 as a float32, where a
    clip-then-cast wrapped to INT_MIN."""
    x = np.array([np.nan, np.inf, -np.inf, 1e10, -1e10, 3.7, -3.7, 2.**31, -2.**31, 300.,
                  -1., 255.5, 2.**32], np.float32)
    info = np.iinfo(dst)
    with np.errstate(invalid="ignore"):
        t = np.trunc(x.astype(np.float64))
        want = np.where(np.isnan(t), 0, np.clip(np.nan_to_num(t, posinf=info.max, neginf=info.min),
                                                info.min, info.max)).astype(dst)
    got = lax.convert_element_type(x, dst)
    np.testing.assert_array_equal(np.asarray(got), want)
    np.testing.assert_array_equal(np.asarray(jax.jit(lambda v: lax.convert_element_type(v, dst))(x)),
                                  want)


def test_convert_element_type_derivatives():
    x = np.array([1.5, -2.25], F64)
    t = np.array([1.0, 3.0], F64)
    out, out_dot = jax.jvp(lambda x: lax.convert_element_type(x, F32), (x,), (t,))
    assert out.dtype == F32 and out_dot.dtype == F32
    np.testing.assert_array_equal(out_dot, t.astype(F32))
    _, pullback = jax.vjp(lambda x: lax.convert_element_type(x, F32), x)
    (ct,) = pullback(np.array([2.0, 4.0], F32))
    assert ct.dtype == F64
    np.testing.assert_array_equal(ct, [2.0, 4.0])
    # to an integer: the tangent is a float0 zero
    _, out_dot = jax.jvp(lambda x: lax.convert_element_type(x, I32), (x,), (t,))
    assert out_dot.dtype == dtypes.float0
    check_grads(lambda x: lax.convert_element_type(x, F64, weak_type=True), (x,), order=2)
    check_vmap(lambda x: lax.convert_element_type(x, I32), (np.ones((3, 2)),), 1)


# --- iota, full and friends --------------------------------------------------------
def test_iota_and_broadcasted_iota():
    out = lax.iota(I32, 5)
    assert out.dtype == I32 and not out.weak_type
    np.testing.assert_array_equal(out, np.arange(5))
    assert lax.iota(F32, 3).dtype == F32
    out = lax.broadcasted_iota(I32, (2, 3), 1)
    np.testing.assert_array_equal(out, np.broadcast_to(np.arange(3), (2, 3)))
    np.testing.assert_array_equal(lax.broadcasted_iota(F64, (2, 3), -2),
                                  np.broadcast_to(np.arange(2.)[:, None], (2, 3)))
    check_abstract_eval(lambda: lax.broadcasted_iota(I32, (4, 2), 0), ())
    # an integer output under differentiation: a constant with no tangent
    _, t = jax.jvp(lambda x: lax.add(x, lax.convert_element_type(lax.iota(I32, 3), F64)),
                   (np.zeros(3),), (np.ones(3),))
    np.testing.assert_array_equal(t, np.ones(3))
    # under vmap iota is unbatched
    out = jax.vmap(lambda x: lax.add(x, lax.iota(F64, 3)))(np.zeros((2, 3)))
    np.testing.assert_array_equal(out, np.broadcast_to(np.arange(3.), (2, 3)))


def test_full_family_weak_types():
    out = lax.full((2, 3), 1.5)
    assert out.shape == (2, 3) and out.dtype == F64 and out.weak_type
    out = lax.full((2,), 1, F32)
    assert out.dtype == F32 and not out.weak_type
    x = np.ones((2, 2), F32)
    out = lax.full_like(x, 3)
    assert out.dtype == F32 and not out.weak_type
    np.testing.assert_array_equal(out, np.full((2, 2), 3, F32))
    assert lax.full_like(x, 0, I32, shape=(4,)).shape == (4,)
    z = lax.zeros_like_array(np.arange(3, dtype=I32))
    assert z.dtype == I32 and not np.any(np.asarray(z))
    weak = Array(np.asarray(2.0), True)
    assert lax.full_like(weak, 1).weak_type
    with pytest.raises(TypeError, match="full must be called with scalar fill_value"):
        lax.full((2,), np.ones(2))


# --- edge points -----------------------------------------------------------------
def test_pad_transpose_negative_and_interior():
    # The operand cotangent drops cropped elements; the padding value's collects the rest.
    x = np.arange(4.).reshape(2, 2)
    cfg = ((-1, 2, 2), (1, -1, 0))
    f = lambda x, p: lax.pad(x, p, cfg)
    out, pullback = jax.vjp(f, x, np.float64(0.))
    ct = np.arange(np.size(out), dtype=F64).reshape(np.shape(out)) + 1
    ct_x, ct_p = pullback(ct)
    marker = np.asarray(lax.pad(np.arange(1., 5.).reshape(2, 2), 0., cfg))
    expected_x = np.zeros(4)
    for k in range(4):
        expected_x[k] = ct[marker == k + 1].sum()
    np.testing.assert_allclose(ct_x, expected_x.reshape(2, 2))
    np.testing.assert_allclose(ct_p, ct[marker == 0].sum())


def test_concatenate_single_operand_and_transpose_to_slices():
    x = np.ones((2, 3))
    assert lax.concatenate([x], 0) is x
    jaxpr = jax.make_jaxpr(lambda a, b: jax.grad(
        lambda a: lax.reduce_sum(lax.concatenate([a, b], 0), (0, 1)))(a))(x, x)
    assert "slice" in str(jaxpr)


def test_squeeze_expand_dims_noops():
    x = np.ones((2, 3))
    assert lax.squeeze(x, ()) is x
    assert lax.rev(x, ()) is x


# --- errors ----------------------------------------------------------------------
@pytest.mark.parametrize("fun,exc,match", [
    (lambda: lax.squeeze(np.ones((2, 3)), (0,)), ValueError, "squeeze: cannot squeeze dimension 0 of size 2"),
    (lambda: lax.squeeze(np.ones((1, 3)), (2,)), ValueError, "squeeze: axis 2 is out of bounds"),
    (lambda: lax.expand_dims(np.ones(3), (0, 0)), ValueError, "expand_dims: repeated"),
    (lambda: lax.rev(np.ones((2, 3)), (2,)), ValueError, "rev: dimension 2 is out of bounds"),
    (lambda: lax.concatenate([np.ones((2, 3)), np.ones((3, 3))], 1), TypeError,
     "concatenate: operand shapes must be equal except in dimension 1"),
    (lambda: lax.concatenate([np.ones(3, F32), np.ones(3, F64)], 0), TypeError,
     "concatenate requires operands to have the same dtype"),
    (lambda: lax.concatenate([np.ones(3), np.ones(3)], 1), TypeError,
     "concatenate: dimension 1 is out of bounds"),
    (lambda: lax.pad(np.ones(3), 0., ((0, 0, -1),)), ValueError,
     "pad: interior padding must be non-negative"),
    (lambda: lax.pad(np.ones(3), 0., ((-3, -1, 0),)), ValueError, "pad: padding_config"),
    (lambda: lax.pad(np.ones(3), 0., ((0, 0, 0), (0, 0, 0))), ValueError,
     "pad: padding_config needs one"),
    (lambda: lax.pad(np.ones(3, F32), np.float64(0), ((0, 0, 0),)), TypeError,
     "pad: operand and padding_value must have the same dtype"),
    (lambda: lax.pad(np.ones(3), np.ones(2), ((0, 0, 0),)), TypeError,
     "pad: padding_value must be a scalar"),
    (lambda: lax.broadcast_in_dim(np.ones(3), (2, 4), (1,)), TypeError, "broadcast_in_dim"),
    (lambda: lax.broadcast_in_dim(np.ones((2, 2)), (2, 2, 2), (1, 0)), TypeError,
     "strictly increasing"),
    (lambda: lax.reshape(np.ones(6), (4, 2)), TypeError, "reshape total size"),
    (lambda: lax.transpose(np.ones((2, 3)), (0, 0)), TypeError, "transpose permutation"),
    (lambda: lax.select_n(np.ones(3, F32), np.ones(3)), TypeError, "select_n"),
    (lambda: lax.select_n(np.ones(2, bool), np.ones(3), np.ones(3)), TypeError,
     "select_n `which` must be scalar"),
    (lambda: lax.iota(F32, -1), ValueError, "iota: shape must be non-negative"),
    (lambda: lax.broadcasted_iota(I32, (2, 3), 2), ValueError, "broadcasted_iota: axis 2"),
    (lambda: lax.iota(np.complex64, 3), TypeError, "iota does not accept dtype complex64"),
])
def test_errors(fun, exc, match):
    with pytest.raises(exc, match=match):
        fun()


def test_errors_when_staged():
    # abstract evaluation reports the same error under make_jaxpr
    with pytest.raises(ValueError, match="squeeze: cannot squeeze"):
        jax.make_jaxpr(lambda x: lax.squeeze(x, (1,)))(np.ones((1, 2)))
