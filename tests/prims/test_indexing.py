"""Slicing, gather and scatter (prims/indexing.py, gather.py, scatter.py), driven
by op-spec tables. Gather and scatter are checked against loop-per-element
references written straight from XLA's semantics; derivatives at order 2 in both
modes (float64); vmap with batched operand, indices, updates and mixed in_axes;
staged-vs-eager types; then out-of-bounds modes, ties, duplicates and errors."""
import numpy as np
import pytest

import purejax as jax
from purejax._src import dtypes
from purejax._src import lax
from purejax.test_util import check_abstract_eval, check_grads, check_vmap
from _data import rand  # noqa: E402  (tests/prims/_data.py)

F32, F64, I32, BOOL = np.float32, np.float64, np.int32, np.bool_
GD, SD, Mode = lax.GatherDimensionNumbers, lax.ScatterDimensionNumbers, lax.GatherScatterMode


pytestmark = pytest.mark.usefixtures("x64")  # tests/conftest.py


# --- loop references from XLA's operation semantics ------------------------------
def _start(operand_shape, indices, g, index_map, obd, ibd):
    start = [0] * len(operand_shape)
    for k, d in enumerate(index_map):
        start[d] = int(indices[tuple(g) + (k,)])
    for od, idim in zip(obd, ibd):
        start[od] = g[idim]
    return start


def _place(start, shape, sizes, mode):
    """The clamped start, or None when the window must be filled/dropped."""
    inside = all(0 <= s <= n - z for s, n, z in zip(start, shape, sizes))
    if mode in (Mode.CLIP, Mode.PROMISE_IN_BOUNDS, "gather-default"):
        return [min(max(s, 0), n - z) for s, n, z in zip(start, shape, sizes)]
    return start if inside else None


def gather_ref(op, idx, dn, ss, mode=Mode.PROMISE_IN_BOUNDS, fill=None):
    nb = idx.ndim - 1
    wd = [d for d in range(op.ndim)
          if d not in dn.collapsed_slice_dims and d not in dn.operand_batching_dims]
    out_rank = nb + len(dn.offset_dims)
    batch_pos = [p for p in range(out_rank) if p not in dn.offset_dims]
    shape = [0] * out_rank
    for p, n in zip(batch_pos, idx.shape[:-1]):
        shape[p] = n
    for p, d in zip(dn.offset_dims, wd):
        shape[p] = ss[d]
    out = np.empty(shape, op.dtype)
    for pos in np.ndindex(*shape):
        g = [pos[p] for p in batch_pos]
        start = _place(_start(op.shape, idx, g, dn.start_index_map, dn.operand_batching_dims,
                              dn.start_indices_batching_dims), op.shape, ss, mode)
        if start is None:
            out[pos] = fill
            continue
        for k, d in enumerate(wd):
            start[d] += pos[dn.offset_dims[k]]
        out[pos] = op[tuple(start)]
    return out


COMBINE = {"scatter": lambda a, b: b, "scatter_add": lambda a, b: a + b,
           "scatter_mul": lambda a, b: a * b, "scatter_min": min, "scatter_max": max}


def scatter_ref(kind, op, idx, upd, dn, mode=Mode.FILL_OR_DROP):
    """Applies update windows in order of their index vectors (a later window wins
    for replace), each window element by element."""
    if mode is Mode.PROMISE_IN_BOUNDS:
        mode = Mode.FILL_OR_DROP  # out of bounds, XLA's scatter drops
    out = np.array(op, copy=True)
    wd = [d for d in range(op.ndim)
          if d not in dn.inserted_window_dims and d not in dn.operand_batching_dims]
    scatter_axes = [d for d in range(upd.ndim) if d not in dn.update_window_dims]
    sizes = [1] * op.ndim
    for k, d in enumerate(wd):
        sizes[d] = upd.shape[dn.update_window_dims[k]]
    window_shape = [upd.shape[d] for d in dn.update_window_dims]
    for g in np.ndindex(*idx.shape[:-1]):
        start = _place(_start(op.shape, idx, g, dn.scatter_dims_to_operand_dims,
                              dn.operand_batching_dims, dn.scatter_indices_batching_dims),
                       op.shape, sizes, mode)
        if start is None:
            continue
        for w in np.ndindex(*window_shape):
            target = list(start)
            for k, d in enumerate(wd):
                target[d] += w[k]
            u = [0] * upd.ndim
            for a, gi in zip(scatter_axes, g):
                u[a] = gi
            for a, wi in zip(dn.update_window_dims, w):
                u[a] = wi
            out[tuple(target)] = COMBINE[kind](out[tuple(target)], upd[tuple(u)])
    return out


# --- the op-spec table -----------------------------------------------------------------
class Spec:
    """fun(*arrays); make(rng, dtype) -> arrays; diff: positions differentiated
    (the rest are closed over); vmap_axes: in_axes tuples to try."""

    def __init__(self, name, fun, make, ref, dtypes=(F32, F64, I32, BOOL), diff=(0,),
                 vmap_axes=((0, None),), grad=True):
        self.name, self.fun, self.make, self.ref, self.grad = name, fun, make, ref, grad
        self.dtypes, self.diff, self.vmap_axes = dtypes, diff, vmap_axes

    def __repr__(self):
        return self.name


def idx_maker(values):
    values = np.asarray(values, I32)
    return lambda rng: values


def rand_idx(shape, high):
    return lambda rng: rng.integers(0, high, shape).astype(I32)


# Gather patterns: (name, operand shape, index maker, dnums, slice sizes)
GATHERS = [
    ("rows_x[i]", (5, 4), idx_maker([[0], [3], [3], [1]]), GD((1,), (0,), (0,)), (1, 4)),
    ("cols_x[:,i]", (5, 4), idx_maker([[2], [0], [2]]), GD((0,), (1,), (1,)), (5, 1)),
    ("x[idx_2d]", (5, 4), rand_idx((2, 3, 1), 5), GD((2,), (0,), (0,)), (1, 4)),
    ("points_x[i,j]", (5, 4), idx_maker([[0, 1], [4, 3], [2, 2], [0, 1]]),
     GD((), (0, 1), (0, 1)), (1, 1)),
    ("points_reversed_map", (5, 4), idx_maker([[1, 0], [3, 4], [2, 2]]),
     GD((), (0, 1), (1, 0)), (1, 1)),
    ("windows", (5, 4), idx_maker([[0, 0], [3, 1], [1, 2]]), GD((1, 2), (), (0, 1)), (2, 3)),
    ("offset_in_middle", (2, 5, 3), rand_idx((4, 1), 5), GD((0, 2), (1,), (1,)), (2, 1, 3)),
    ("batching_dims", (3, 5, 4), rand_idx((3, 2, 1), 5), GD((2,), (1,), (1,), (0,), (0,)),
     (1, 1, 4)),
    ("scalar_index_vector", (5,), idx_maker([[4], [0]]), GD((), (0,), (0,)), (1,)),
    ("single_index_no_batch", (5, 4), idx_maker([3]), GD((0,), (0,), (0,)), (1, 4)),
    ("empty_indices", (5, 4), idx_maker(np.zeros((0, 1))), GD((1,), (0,), (0,)), (1, 4)),
    ("full_window_no_index", (3, 2), idx_maker(np.zeros((2, 0))), GD((1, 2), (), ()), (3, 2)),
]
GATHER_MODES = [("clip", Mode.CLIP, None), ("fill", Mode.FILL_OR_DROP, None),
                ("fill_value", Mode.FILL_OR_DROP, 2), ("promise", Mode.PROMISE_IN_BOUNDS, None)]
OOB_IDX = idx_maker([[0], [7], [-1], [4], [-6]])

SPECS = []
for name, shape, make_idx, dn, ss in GATHERS:
    SPECS.append(Spec(
        f"gather_{name}",
        lambda x, i, dn=dn, ss=ss: lax.gather(x, i, dn, ss),
        lambda rng, dt, shape=shape, make_idx=make_idx: (rand(rng, shape, dt), make_idx(rng)),
        lambda x, i, dn=dn, ss=ss: gather_ref(x, i, dn, ss),
        vmap_axes=((0, None), (None, 0), (1, 0), (0, 1))))
for name, mode, fill in GATHER_MODES:
    dn = GD((1,), (0,), (0,))
    SPECS.append(Spec(
        f"gather_oob_{name}",
        lambda x, i, mode=mode, fill=fill, dn=dn: lax.gather(x, i, dn, (1, 3), mode=mode,
                                                             fill_value=fill),
        lambda rng, dt: (rand(rng, (5, 3), dt), OOB_IDX(rng)),
        lambda x, i, mode=mode, fill=fill, dn=dn: gather_ref(
            x, i, dn, (1, 3), mode, _default_fill(x.dtype) if fill is None else fill),
        vmap_axes=((0, None), (None, 0)),
        grad=fill is not None or mode is not Mode.FILL_OR_DROP))  # NaN fill: no finite differences


def _default_fill(dt):
    dt = np.dtype(dt)
    if np.issubdtype(dt, np.inexact):
        return np.nan
    if dt == np.bool_:
        return True
    return np.iinfo(dt).min


# Scatter patterns: (name, operand shape, index maker, updates shape, dnums)
SCATTERS = [
    ("rows_dup", (5, 4), idx_maker([[0], [3], [3], [1]]), (4, 4), SD((1,), (0,), (0,))),
    ("cols", (5, 4), idx_maker([[2], [0]]), (5, 2), SD((0,), (1,), (1,))),
    ("idx_2d_dup", (5, 4), idx_maker([[[1], [4], [1]], [[0], [1], [2]]]), (2, 3, 4),
     SD((2,), (0,), (0,))),
    ("points_dup", (5, 4), idx_maker([[0, 1], [4, 3], [2, 2], [0, 1]]), (4,),
     SD((), (0, 1), (0, 1))),
    ("windows_overlap", (5, 4), idx_maker([[0, 0], [1, 1], [3, 0]]), (3, 2, 3),
     SD((1, 2), (), (0, 1))),
    ("batching_dims", (3, 5, 4), idx_maker([[[1], [1]], [[0], [4]], [[2], [3]]]), (3, 2, 4),
     SD((2,), (1,), (1,), (0,), (0,))),
    ("empty_updates", (5, 4), idx_maker(np.zeros((0, 1))), (0, 4), SD((1,), (0,), (0,))),
]
UNIQUE_SCATTERS = [
    ("rows_unique", (5, 4), idx_maker([[0], [3], [1]]), (3, 4), SD((1,), (0,), (0,))),
    ("points_unique", (5, 4), idx_maker([[0, 1], [4, 3], [2, 2]]), (3,),
     SD((), (0, 1), (0, 1))),
]
KINDS = {"scatter": lax.scatter, "scatter_add": lax.scatter_add, "scatter_mul": lax.scatter_mul,
         "scatter_min": lax.scatter_min, "scatter_max": lax.scatter_max}
SCATTER_VMAP = ((0, None, None), (None, None, 0), (None, 0, None), (1, 0, 0), (None, 1, -1))


def scatter_dtypes(kind):
    return (F32, F64, I32) if kind in ("scatter_add", "scatter_mul") else (F32, F64, I32, BOOL)


def _scatter_spec(kind, name, shape, make_idx, ushape, dn, unique, diff, mode=None):
    op = KINDS[kind]
    # JAX's scatter-min/max JVP counts the updates at each target with a dropping
    # scatter-add, so a clipped out-of-bounds update gets a nan tangent (JAX 0.10.2 does
    # this; purejax follows, see test_jax_fidelity_cumulative.py): no finite differences.
    grad = not (kind in ("scatter_min", "scatter_max") and mode == "clip")
    return Spec(
        f"{kind}_{name}" + (f"_{mode}" if mode else ""),
        lambda x, i, u: op(x, i, u, dn, unique_indices=unique, mode=mode),
        lambda rng, dt: (rand(rng, shape, dt), make_idx(rng), rand(rng, ushape, dt)),
        lambda x, i, u: scatter_ref(kind, x, i, u, dn, Mode.from_any(mode)),
        dtypes=scatter_dtypes(kind), diff=diff, vmap_axes=SCATTER_VMAP, grad=grad)


for kind in KINDS:
    for name, shape, make_idx, ushape, dn in SCATTERS:
        # scatter_mul's updates are differentiable only with unique indices (as in JAX)
        diff = (0,) if kind == "scatter_mul" else (0, 2)
        SPECS.append(_scatter_spec(kind, name, shape, make_idx, ushape, dn, False, diff))
    for name, shape, make_idx, ushape, dn in UNIQUE_SCATTERS:
        SPECS.append(_scatter_spec(kind, name, shape, make_idx, ushape, dn, True, (0, 2)))
    for mode in ("clip", "drop", "promise_in_bounds"):
        SPECS.append(_scatter_spec(kind, "oob", (5, 3), OOB_IDX, (5, 3),
                                   SD((1,), (0,), (0,)), False,
                                   (0,) if kind == "scatter_mul" else (0, 2), mode))

# Static and dynamic slices
for name, start, limit, strides in [("basic", (0, 1), (3, 4), None),
                                    ("strided", (0, 1), (3, 4), (2, 2)),
                                    ("empty", (1, 0), (1, 4), (1, 3)),
                                    ("stride_past_end", (1, 0), (3, 4), (3, 5))]:
    SPECS.append(Spec(f"slice_{name}", lambda x, s=start, l=limit, st=strides: lax.slice(x, s, l, st),
                      lambda rng, dt: (rand(rng, (3, 4), dt),),
                      lambda x, s=start, l=limit, st=strides: x[tuple(
                          slice(a, b, c) for a, b, c in zip(s, l, st or (1, 1)))],
                      vmap_axes=((0,), (2,))))
SPECS.append(Spec("slice_in_dim", lambda x: lax.slice_in_dim(x, -3, None, 2, axis=1),
                  lambda rng, dt: (rand(rng, (3, 4), dt),), lambda x: x[:, -3::2],
                  vmap_axes=((1,),)))
SPECS.append(Spec("index_in_dim", lambda x: lax.index_in_dim(x, -1, 0, keepdims=False),
                  lambda rng, dt: (rand(rng, (3, 4), dt),), lambda x: x[-1],
                  vmap_axes=((1,),)))


def _ds_ref(x, i, j, sizes):
    i, j = int(i), int(j)
    i = i + x.shape[0] if i < 0 else i
    j = j + x.shape[1] if j < 0 else j
    i = min(max(i, 0), x.shape[0] - sizes[0])
    j = min(max(j, 0), x.shape[1] - sizes[1])
    return (i, j)


for name, (si, sj) in [("inside", (1, 2)), ("negative_wraps", (-2, -3)),
                       ("clamped_high", (4, 9)), ("clamped_low", (-9, -20))]:
    SPECS.append(Spec(
        f"dynamic_slice_{name}", lambda x, i, j: lax.dynamic_slice(x, (i, j), (2, 3)),
        lambda rng, dt, si=si, sj=sj: (rand(rng, (4, 5), dt), I32(si + rng.integers(0, 2)),
                                       I32(sj)),
        lambda x, i, j: x[tuple(slice(s, s + n) for s, n in zip(_ds_ref(x, i, j, (2, 3)),
                                                                 (2, 3)))],
        vmap_axes=((0, None, None), (None, 0, None), (1, 0, 0), (None, 0, 0))))

    def _dus_ref(x, u, i, j):
        out = np.array(x, copy=True)
        a, b = _ds_ref(x, i, j, u.shape)
        out[a:a + u.shape[0], b:b + u.shape[1]] = u
        return out

    SPECS.append(Spec(
        f"dynamic_update_slice_{name}",
        lambda x, u, i, j: lax.dynamic_update_slice(x, u, (i, j)),
        lambda rng, dt, si=si, sj=sj: (rand(rng, (4, 5), dt), rand(rng, (2, 3), dt),
                                       I32(si + rng.integers(0, 2)), I32(sj)),
        _dus_ref, diff=(0, 1),
        vmap_axes=((0, None, None, None), (None, 0, None, None), (None, None, 0, None),
                   (1, 0, 0, 0), (0, None, None, 0))))
SPECS.append(Spec("dynamic_slice_in_dim", lambda x, i: lax.dynamic_slice_in_dim(x, i, 2, 1),
                  lambda rng, dt: (rand(rng, (3, 4), dt), I32(rng.integers(-4, 4))),
                  lambda x, i: x[:, min(max(int(i) + 4 * (int(i) < 0), 0), 2):][:, :2],
                  vmap_axes=((0, 0), (None, 0))))
SPECS.append(Spec("dynamic_index_in_dim", lambda x, i: lax.dynamic_index_in_dim(x, i, 0, False),
                  lambda rng, dt: (rand(rng, (3, 4), dt), I32(rng.integers(0, 3))),
                  lambda x, i: x[int(i)], vmap_axes=((0, 0), (None, 0))))
SPECS.append(Spec("dynamic_update_index_in_dim",
                  lambda x, u, i: lax.dynamic_update_index_in_dim(x, u, i, 0),
                  lambda rng, dt: (rand(rng, (3, 4), dt), rand(rng, (4,), dt),
                                   I32(rng.integers(0, 3))),
                  lambda x, u, i: np.concatenate([x[:int(i)], u[None], x[int(i) + 1:]]),
                  diff=(0, 1), vmap_axes=((0, 0, 0), (None, None, 0))))

DTYPE_CASES = [(s, d) for s in SPECS for d in s.dtypes]


@pytest.mark.parametrize("spec,dtype", DTYPE_CASES,
                         ids=[f"{s.name}-{np.dtype(d).name}" for s, d in DTYPE_CASES])
def test_values(spec, dtype):
    args = spec.make(np.random.default_rng(0), dtype)
    out = spec.fun(*args)
    expected = spec.ref(*args)
    assert out.dtype == np.dtype(dtype) and out.shape == np.shape(expected)
    assert not out.weak_type
    np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-6)


def _closed(spec, args):
    rest = {i: a for i, a in enumerate(args) if i not in spec.diff}

    def f(*xs):
        it = iter(xs)
        return spec.fun(*[rest[i] if i in rest else next(it) for i in range(len(args))])
    return f, tuple(args[i] for i in spec.diff)


@pytest.mark.parametrize("spec", [s for s in SPECS if s.grad], ids=repr)
def test_grads(spec):
    args = spec.make(np.random.default_rng(1), F64)
    f, xs = _closed(spec, args)
    check_grads(f, xs, order=2)


@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_vmap(spec):
    size = 3
    rows = [spec.make(np.random.default_rng(10 + k), F64) for k in range(size)]
    for axes in spec.vmap_axes:
        args = tuple(rows[0][i] if ax is None else np.stack([r[i] for r in rows], ax)
                     for i, ax in enumerate(axes))
        check_vmap(spec.fun, args, axes, err_msg=f"{spec.name} in_axes={axes}")


@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_abstract_eval(spec):
    check_abstract_eval(spec.fun, spec.make(np.random.default_rng(3), F32))


# --- compositions: vmap of derivatives and derivatives of vmap ------------------------
COMPOSED = [s for s in SPECS if s.name in (
    "gather_rows_x[i]", "gather_batching_dims", "scatter_rows_dup", "scatter_add_idx_2d_dup",
    "scatter_max_points_dup", "scatter_mul_rows_unique", "dynamic_slice_clamped_high",
    "dynamic_update_slice_negative_wraps")]


@pytest.mark.parametrize("spec", COMPOSED, ids=repr)
def test_vmap_of_grad_and_jvp_of_vmap(spec):
    from purejax._src.interpreters import ad
    if ad.add_any_p.batch is None:
        pytest.xfail("add_any (interpreters/ad.py) has no batching rule yet")
    rows = [spec.make(np.random.default_rng(20 + k), F64) for k in range(3)]
    axes = spec.vmap_axes[-1]
    args = tuple(rows[0][i] if ax is None else np.stack([r[i] for r in rows], ax)
                 for i, ax in enumerate(axes))
    diff = spec.diff

    def scalar_loss(*a):
        out = spec.fun(*a)
        return lax.reduce_sum(lax.mul(out, out), tuple(range(np.ndim(out))))

    grad_fn = jax.grad(scalar_loss, diff)
    check_vmap(lambda *a: grad_fn(*a), args, axes, err_msg=f"vmap(grad) {axes}")
    vf = jax.vmap(spec.fun, in_axes=axes)
    f, xs = _closed(Spec(spec.name, vf, None, None, diff=diff), args)
    check_grads(f, xs, order=1)


# --- modes and defaults ------------------------------------------------------------
def test_default_modes():
    x = np.arange(10.).reshape(5, 2)
    dn = GD((1,), (0,), (0,))
    # lax.gather's default (PROMISE_IN_BOUNDS) clamps; "fill" fills by dtype
    np.testing.assert_array_equal(lax.gather(x, np.array([[7]], I32), dn, (1, 2)), [[8., 9.]])
    assert np.all(np.isnan(lax.gather(x, np.array([[7]], I32), dn, (1, 2), mode="fill")))
    xi = np.arange(10, dtype=I32).reshape(5, 2)
    np.testing.assert_array_equal(
        lax.gather(xi, np.array([[-1]], I32), dn, (1, 2), mode="fill"),
        [[np.iinfo(I32).min] * 2])
    np.testing.assert_array_equal(
        lax.gather(xi > 3, np.array([[9]], I32), dn, (1, 2), mode="fill"), [[True, True]])
    # scatter's default drops out-of-bounds windows; clip clamps them
    sdn = SD((1,), (0,), (0,))
    out = lax.scatter_add(x, np.array([[5], [1]], I32), np.ones((2, 2)), sdn)
    np.testing.assert_array_equal(out, x + np.array([[0, 0], [1, 1], [0, 0], [0, 0], [0, 0]]))
    out = lax.scatter_add(x, np.array([[5]], I32), np.ones((1, 2)), sdn, mode="clip")
    np.testing.assert_array_equal(np.asarray(out)[4], x[4] + 1)
    assert Mode.from_any("drop") is Mode.FILL_OR_DROP and Mode.from_any(None) is Mode.FILL_OR_DROP


def test_fill_gather_gradient_is_zero_in_filled_windows():
    x = np.arange(6.).reshape(3, 2)
    dn = GD((1,), (0,), (0,))
    f = lambda x: lax.reduce_sum(lax.gather(x, np.array([[1], [5], [1]], I32), dn, (1, 2),
                                            mode="fill", fill_value=0.), (0, 1))
    np.testing.assert_array_equal(jax.grad(f)(x), [[0, 0], [2, 2], [0, 0]])


def test_gather_transpose_is_scatter_add_and_duplicates_accumulate():
    x = np.arange(8.).reshape(4, 2)
    dn = GD((1,), (0,), (0,))
    f = lambda x: lax.reduce_sum(lax.gather(x, np.array([[2], [2], [0]], I32), dn, (1, 2)),
                                 (0, 1))
    np.testing.assert_array_equal(jax.grad(f)(x), [[1, 1], [0, 0], [2, 2], [0, 0]])
    assert "scatter-add" in str(jax.make_jaxpr(jax.grad(f))(x))


# --- index derivatives are zero (float0) --------------------------------------------
def test_index_tangents_are_float0():
    x = np.arange(5.)
    i = I32(1)
    out, t = jax.jvp(lambda x, i: lax.dynamic_slice(x, (i,), (2,)), (x, i),
                     (np.ones(5), np.zeros((), dtypes.float0)))
    np.testing.assert_array_equal(out, [1., 2.])
    np.testing.assert_array_equal(t, [1., 1.])
    _, pullback = jax.vjp(lambda x, i: lax.gather(x, i, GD((), (0,), (0,)), (1,)), x,
                          np.array([[3], [3]], I32))
    ct_x, ct_i = pullback(np.array([1., 2.]))
    np.testing.assert_array_equal(ct_x, [0, 0, 0, 3, 0])
    assert ct_i.dtype == dtypes.float0 and ct_i.shape == (2, 1)


# --- scatter derivative edge points ---------------------------------------------
def test_scatter_max_ties_share_tangent():
    sdn = SD((), (0,), (0,))
    idx = np.array([[0], [0], [1]], I32)
    f = lambda x, u: lax.scatter_max(x, idx, u, sdn)
    x, u = np.array([1., 5.]), np.array([3., 3., 2.])
    out, t = jax.jvp(f, (x, u), (np.array([10., 20.]), np.array([1., 2., 4.])))
    np.testing.assert_array_equal(out, [3., 5.])
    np.testing.assert_allclose(t, [1.5, 20.])  # two updates tie; the operand keeps index 1
    x = np.array([3., 1.])  # now the operand ties too: three-way share
    _, t = jax.jvp(f, (x, u), (np.array([9., 0.]), np.array([3., 6., 4.])))
    np.testing.assert_allclose(t, [6., 4.])
    g = jax.grad(lambda u: lax.reduce_sum(lax.scatter_min(np.array([0., 0.]), idx, u, sdn),
                                          (0,)))(np.array([-1., -1., 3.]))
    np.testing.assert_allclose(g, [.5, .5, 0.])


def test_scatter_replace_duplicates_last_wins_and_gradient_follows():
    sdn = SD((), (0,), (0,))
    idx = np.array([[1], [1], [0]], I32)
    f = lambda x, u: lax.scatter(x, idx, u, sdn)
    np.testing.assert_array_equal(f(np.zeros(3), np.array([1., 2., 3.])), [3., 2., 0.])
    g_x, g_u = jax.grad(lambda x, u: lax.reduce_sum(lax.mul(f(x, u), np.array([1., 10., 100.])),
                                                    (0,)), (0, 1))(np.zeros(3),
                                                                   np.array([1., 2., 3.]))
    np.testing.assert_array_equal(g_x, [0., 0., 100.])
    np.testing.assert_array_equal(g_u, [0., 10., 1.])


def test_scatter_mul_updates_gradient_needs_unique_indices():
    sdn = SD((), (0,), (0,))
    idx = np.array([[1], [1]], I32)
    f = lambda u: lax.scatter_mul(np.ones(3), idx, u, sdn)
    with pytest.raises(NotImplementedError, match="unique_indices=True"):
        jax.jvp(f, (np.array([2., 3.]),), (np.ones(2),))
    g = jax.grad(lambda x: lax.reduce_sum(lax.scatter_mul(x, idx, np.array([2., 3.]), sdn),
                                          (0,)))(np.ones(3))
    np.testing.assert_array_equal(g, [1., 6., 1.])


# --- errors ----------------------------------------------------------------------
X = np.ones((5, 4))


@pytest.mark.parametrize("fun,exc,match", [
    (lambda: lax.slice(X, (0, 0), (6, 4)), TypeError, "slice: expected 0 <= start <= limit"),
    (lambda: lax.slice(X, (0, 0), (2, 2), (0, 1)), TypeError, "slice: strides must be positive"),
    (lambda: lax.slice(X, (0,), (2,)), TypeError, "slice: start_indices"),
    (lambda: lax.dynamic_slice(X, (0, 0), (6, 1)), TypeError,
     "dynamic_slice: slice_sizes"),
    (lambda: lax.dynamic_slice(X, (0,), (1,)), TypeError, "dynamic_slice: got 1 start indices"),
    (lambda: lax.dynamic_slice(X, (np.float32(0), 0), (1, 1)), TypeError,
     r"dynamic_slice \(start index\) does not accept dtype float32"),
    (lambda: lax.dynamic_update_slice(X, np.ones((2, 2), F32), (0, 0)), TypeError,
     "dynamic_update_slice requires operand and update to have the same dtype"),
    (lambda: lax.dynamic_update_slice(X, np.ones((6, 2)), (0, 0)), TypeError,
     "dynamic_update_slice: update shape"),
    (lambda: lax.gather(X, np.zeros((2, 1), F32), GD((1,), (0,), (0,)), (1, 4)), TypeError,
     r"gather \(indices\) does not accept dtype float32"),
    (lambda: lax.gather(X, np.zeros((2, 1), I32), GD((1,), (0,), (0, 1)), (1, 4)), TypeError,
     "gather: start_index_map"),
    (lambda: lax.gather(X, np.zeros((2, 1), I32), GD((1, 2), (0,), (0,)), (1, 4)), TypeError,
     "gather: expected len.offset_dims."),
    (lambda: lax.gather(X, np.zeros((2, 1), I32), GD((1,), (0,), (0,)), (2, 4)), TypeError,
     "gather: collapsed and batching dims need slice size 1"),
    (lambda: lax.gather(X, np.zeros((2, 1), I32), GD((1,), (0,), (0,)), (1, 5)), TypeError,
     "gather: slice_sizes"),
    (lambda: lax.gather(X, np.zeros((2, 1), I32), GD((1,), (0,), (0,)), (1, 4), mode="wrap"),
     ValueError, "Unknown gather/scatter mode"),
    (lambda: lax.scatter_add(X, np.zeros((2, 1), I32), np.ones((3, 4)), SD((1,), (0,), (0,))),
     TypeError, "scatter-add: the non-window dims of updates"),
    (lambda: lax.scatter(X, np.zeros((2, 1), I32), np.ones((2, 4), F32), SD((1,), (0,), (0,))),
     TypeError, "scatter requires operand and updates to have the same dtype"),
    (lambda: lax.scatter_max(X, np.zeros((2, 1), I32), np.ones((2, 6)), SD((1,), (0,), (0,))),
     TypeError, "scatter-max: update window dim 1"),
    (lambda: lax.scatter_min(X, np.zeros((2, 1), I32), np.ones((2, 4)), SD((2,), (0,), (0,))),
     TypeError, "scatter-min: update_window_dims"),
])
def test_errors(fun, exc, match):
    with pytest.raises(exc, match=match):
        fun()
    with pytest.raises(exc, match=match):
        jax.make_jaxpr(fun)()
