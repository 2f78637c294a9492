"""Slicing: static `slice`, `dynamic_slice`, `dynamic_update_slice` and their
*_in_dim conveniences. Gather and scatter live in gather.py and scatter.py and are
re-exported from here, so this module is the one entry point for indexing.

Dynamic start indices follow XLA: each is clamped into [0, dim - size] so the whole
window is in bounds. The lax functions first wrap negative indices (relative to the
end), as JAX's do by default (allow_negative_indices=True). Under vmap, batched start
indices turn dynamic_slice into a gather and dynamic_update_slice into a scatter
(both in CLIP mode, which is exactly the clamping above).
"""
from __future__ import annotations

import builtins

import numpy as np

from purejax._src import core, dtypes
from purejax._src.core import Primitive, ShapedArray
from purejax._src.interpreters import ad, batching
from purejax._src.interpreters.ad import Zero, is_undefined_primal
from purejax._src.prims import elementwise as ew
from purejax._src.prims._util import check_dtype, is_int
from purejax._src.prims.gather import *  # noqa: F401,F403  (re-exported)
from purejax._src.prims.gather import __all__ as _gather_all
from purejax._src.prims.gather import (GatherDimensionNumbers, GatherScatterMode,
                                       ScatterDimensionNumbers, gather_p)
from purejax._src.prims.scatter import *  # noqa: F401,F403  (re-exported)
from purejax._src.prims.scatter import __all__ as _scatter_all
from purejax._src.prims.scatter import scatter_p
from purejax._src.prims.shape import (broadcast_in_dim, concatenate, convert_element_type,
                                      full, pad, reshape, select_n, squeeze)

_pyslice = builtins.slice  # `slice` below is lax.slice


# --- slice: static start/limit/stride windows; transposes into a pad -------------
slice_p = Primitive("slice")


def _slice_impl(x, *, start_indices, limit_indices, strides):
    steps = strides or (1,) * x.ndim
    return x[tuple(_pyslice(s, l, st) for s, l, st in zip(start_indices, limit_indices, steps))]


def _slice_out_size(start, limit, stride):
    return max(0, -(-(limit - start) // stride))


def _slice_abstract(x, *, start_indices, limit_indices, strides):
    if len(start_indices) != x.ndim or len(limit_indices) != x.ndim:
        raise TypeError(f"slice: start_indices {start_indices} and limit_indices "
                        f"{limit_indices} must have one entry per dimension of the operand "
                        f"shape {x.shape}")
    if strides is not None and len(strides) != x.ndim:
        raise TypeError(f"slice: strides {strides} must have one entry per dimension of the "
                        f"operand shape {x.shape}")
    steps = strides or (1,) * x.ndim
    for s, l, st, n in zip(start_indices, limit_indices, steps, x.shape):
        if not 0 <= s <= l <= n:
            raise TypeError(f"slice: expected 0 <= start <= limit <= dim for every dimension, "
                            f"got start_indices {start_indices}, limit_indices "
                            f"{limit_indices} for shape {x.shape}")
        if st < 1:
            raise TypeError(f"slice: strides must be positive, got {strides}")
    return ShapedArray(tuple(_slice_out_size(s, l, st) for s, l, st in
                             zip(start_indices, limit_indices, steps)), x.dtype, x.weak_type)


def _slice_transpose(ct, x, *, start_indices, limit_indices, strides):
    shape = x.aval.shape
    steps = strides or (1,) * len(shape)
    out_shape = core.get_aval(ct).shape
    config = []
    for s, st, m, n in zip(start_indices, steps, out_shape, shape):
        used = s + (m - 1) * st + 1 if m else s  # one past the last element taken
        config.append((s, n - used, st - 1))
    zero = convert_element_type(0, core.get_aval(ct).dtype)
    return pad(ct, zero, tuple(config))


def _slice_batch(args, dims, *, start_indices, limit_indices, strides):
    (x,), (d,) = args, dims
    size = core.get_aval(x).shape[d]
    starts = list(start_indices)
    limits = list(limit_indices)
    starts.insert(d, 0)
    limits.insert(d, size)
    steps = None if strides is None else tuple(strides[:d]) + (1,) + tuple(strides[d:])
    return slice_p.bind(x, start_indices=tuple(starts), limit_indices=tuple(limits),
                        strides=steps), d


slice_p.impl = _slice_impl
slice_p.abstract_eval = _slice_abstract
ad.deflinear1(slice_p, _slice_transpose)
slice_p.batch = _slice_batch


def slice(operand, start_indices, limit_indices, strides=None):
    start_indices = tuple(int(i) for i in start_indices)
    limit_indices = tuple(int(i) for i in limit_indices)
    strides = None if strides is None else tuple(int(s) for s in strides)
    if strides is not None and all(s == 1 for s in strides):
        strides = None
    if (strides is None and all(s == 0 for s in start_indices)
            and limit_indices == core.get_aval(operand).shape):
        return operand
    return slice_p.bind(operand, start_indices=start_indices, limit_indices=limit_indices,
                        strides=strides)


def _in_dim_bound(i, n, default):
    if i is None:
        return default
    i = int(i)
    return min(max(i + n if i < 0 else i, 0), n)


def slice_in_dim(operand, start_index, limit_index, stride=1, axis=0):
    """operand[..., start:limit:stride, ...] along `axis` (negative bounds count from
    the end; None means the full extent)."""
    shape = core.get_aval(operand).shape
    axis = int(axis) + len(shape) if int(axis) < 0 else int(axis)
    n = shape[axis]
    starts = [0] * len(shape)
    limits = list(shape)
    strides = [1] * len(shape)
    starts[axis] = _in_dim_bound(start_index, n, 0)
    limits[axis] = max(starts[axis], _in_dim_bound(limit_index, n, n))
    strides[axis] = int(stride)
    return slice(operand, starts, limits, strides)


def index_in_dim(operand, index, axis=0, keepdims=True):
    shape = core.get_aval(operand).shape
    axis = int(axis) + len(shape) if int(axis) < 0 else int(axis)
    index = int(index)
    if not -shape[axis] <= index < shape[axis]:
        raise IndexError(f"index {index} is out of bounds for axis {axis} with size "
                         f"{shape[axis]}")
    index = index + shape[axis] if index < 0 else index
    out = slice_in_dim(operand, index, index + 1, 1, axis)
    return out if keepdims else squeeze(out, (axis,))


# --- dynamic index helpers --------------------------------------------------
def _index_list(start_indices):
    """A sequence of scalar indices from a list/tuple or a rank-1 array."""
    if isinstance(start_indices, (list, tuple)):
        return list(start_indices)
    aval = core.get_aval(start_indices)
    if aval.ndim != 1:
        raise TypeError(f"start_indices must be a sequence of scalars or a rank-1 array, got "
                        f"shape {aval.shape}")
    return [reshape(slice(start_indices, (i,), (i + 1,)), ()) for i in range(aval.shape[0])]


def _normalize_index(i, n, allow_negative):
    """Wrap a negative index once (static ints statically, traced ones with a select)."""
    if isinstance(i, (int, np.integer)) or (
            isinstance(i, np.ndarray) and i.ndim == 0 and is_int(i.dtype)):
        i = int(i)
        if allow_negative and i < 0:
            i += n
        return np.asarray(i, dtypes.default_int_dtype())
    if not allow_negative:
        return i
    return select_n(ew.lt(i, 0), i, ew.add(i, n))


def _dynamic_indices(name, operand, start_indices, allow_negative_indices):
    shape = core.get_aval(operand).shape
    idx = _index_list(start_indices)
    if len(idx) != len(shape):
        raise TypeError(f"{name}: got {len(idx)} start indices for an operand of rank "
                        f"{len(shape)} (shape {shape})")
    allow = (allow_negative_indices if isinstance(allow_negative_indices, (list, tuple))
             else [allow_negative_indices] * len(shape))
    return [_normalize_index(i, n, a) for i, n, a in zip(idx, shape, allow)]


def _check_scalar_indices(name, indices):
    for i in indices:
        check_dtype(f"{name} (start index)", is_int, i.dtype)
        if i.shape != ():
            raise TypeError(f"{name}: start indices must be scalars, got shape {i.shape}")


def _clamped_starts(indices, shape, sizes):
    return tuple(int(np.clip(int(i), 0, n - s)) for i, n, s in zip(indices, shape, sizes))


def _stacked_indices(indices, dims, size):
    """A (size, n) index array from n scalar indices, some batched (shape (size,))."""
    dt = next((core.get_aval(i).dtype for i, d in zip(indices, dims) if d is not None),
              np.dtype(np.int32))
    cols = []
    for i, d in zip(indices, dims):
        i = convert_element_type(i, dt)
        i = broadcast_in_dim(i, (size, 1), (0,)) if d is not None else \
            broadcast_in_dim(i, (size, 1), ())
        cols.append(i)
    return concatenate(cols, 1) if cols else full((size, 0), 0, dt)


def _zero_index_like(indices):
    dt = core.get_aval(indices[0]).dtype if indices else np.dtype(np.int32)
    return np.zeros((), dt)


# --- dynamic_slice: linear in the operand ----------------------------------------
dynamic_slice_p = Primitive("dynamic_slice")


def _dynamic_slice_impl(x, *indices, slice_sizes):
    starts = _clamped_starts(indices, x.shape, slice_sizes)
    return x[tuple(_pyslice(s, s + n) for s, n in zip(starts, slice_sizes))]


def _dynamic_slice_abstract(x, *indices, slice_sizes):
    if len(indices) != x.ndim or len(slice_sizes) != x.ndim:
        raise TypeError(f"dynamic_slice: expected {x.ndim} start indices and slice sizes for "
                        f"operand shape {x.shape}, got {len(indices)} indices and slice_sizes "
                        f"{slice_sizes}")
    _check_scalar_indices("dynamic_slice", indices)
    for s, n in zip(slice_sizes, x.shape):
        if not 0 <= s <= n:
            raise TypeError(f"dynamic_slice: slice_sizes {slice_sizes} must be non-negative "
                            f"and fit in the operand shape {x.shape}")
    return ShapedArray(tuple(slice_sizes), x.dtype, x.weak_type)


def _dynamic_slice_transpose(ct, x, *indices, slice_sizes):
    zeros = ad.zeros_like_aval(x.aval)
    return dynamic_update_slice_p.bind(zeros, ct, *indices)


def _dynamic_slice_batch(args, dims, *, slice_sizes):
    x, *indices = args
    xd, *ids = dims
    if all(d is None for d in ids):
        x = batching.moveaxis(x, xd, 0)
        size = core.get_aval(x).shape[0]
        return dynamic_slice_p.bind(x, _zero_index_like(indices), *indices,
                                    slice_sizes=(size,) + tuple(slice_sizes)), 0
    # Batched starts: one clamped window per batch member is a CLIP gather.
    size = next(core.get_aval(i).shape[d] for i, d in zip(indices, ids) if d is not None)
    stacked = _stacked_indices([batching.moveaxis(i, d, 0) if d is not None else i
                                for i, d in zip(indices, ids)], ids, size)
    n = len(indices)
    if xd is None:
        dn = GatherDimensionNumbers(offset_dims=tuple(range(1, n + 1)), collapsed_slice_dims=(),
                                    start_index_map=tuple(range(n)))
        sizes = tuple(slice_sizes)
    else:
        x = batching.moveaxis(x, xd, 0)
        dn = GatherDimensionNumbers(offset_dims=tuple(range(1, n + 1)), collapsed_slice_dims=(),
                                    start_index_map=tuple(range(1, n + 1)),
                                    operand_batching_dims=(0,), start_indices_batching_dims=(0,))
        sizes = (1,) + tuple(slice_sizes)
    return gather_p.bind(x, stacked, dimension_numbers=dn, slice_sizes=sizes,
                         unique_indices=False, indices_are_sorted=False,
                         mode=GatherScatterMode.CLIP, fill_value=None), 0


dynamic_slice_p.impl = _dynamic_slice_impl
dynamic_slice_p.abstract_eval = _dynamic_slice_abstract
ad.deflinear1(dynamic_slice_p, _dynamic_slice_transpose)
dynamic_slice_p.batch = _dynamic_slice_batch


def dynamic_slice(operand, start_indices, slice_sizes, *, allow_negative_indices=True):
    idx = _dynamic_indices("dynamic_slice", operand, start_indices, allow_negative_indices)
    return dynamic_slice_p.bind(operand, *idx, slice_sizes=tuple(int(s) for s in slice_sizes))


def dynamic_slice_in_dim(operand, start_index, slice_size, axis=0, *,
                         allow_negative_indices=True):
    shape = core.get_aval(operand).shape
    axis = int(axis) + len(shape) if int(axis) < 0 else int(axis)
    starts = [0] * len(shape)
    sizes = list(shape)
    starts[axis] = start_index
    sizes[axis] = int(slice_size)
    allow = [True] * len(shape)
    allow[axis] = allow_negative_indices
    return dynamic_slice(operand, starts, sizes, allow_negative_indices=allow)


def dynamic_index_in_dim(operand, index, axis=0, keepdims=True, *,
                         allow_negative_indices=True):
    out = dynamic_slice_in_dim(operand, index, 1, axis,
                               allow_negative_indices=allow_negative_indices)
    if keepdims:
        return out
    nd = core.get_aval(operand).ndim
    return squeeze(out, (int(axis) + nd if int(axis) < 0 else int(axis),))


# --- dynamic_update_slice: linear in (operand, update) jointly --------------------
dynamic_update_slice_p = Primitive("dynamic_update_slice")


def _dus_impl(x, update, *indices):
    starts = _clamped_starts(indices, x.shape, update.shape)
    out = np.array(x, copy=True)
    out[tuple(_pyslice(s, s + n) for s, n in zip(starts, update.shape))] = update
    return out


def _dus_abstract(x, update, *indices):
    if len(indices) != x.ndim:
        raise TypeError(f"dynamic_update_slice: expected {x.ndim} start indices for operand "
                        f"shape {x.shape}, got {len(indices)}")
    _check_scalar_indices("dynamic_update_slice", indices)
    if update.dtype != x.dtype:
        raise TypeError(f"dynamic_update_slice requires operand and update to have the same "
                        f"dtype, got {x.dtype.name} and {update.dtype.name}")
    if update.ndim != x.ndim or any(u > n for u, n in zip(update.shape, x.shape)):
        raise TypeError(f"dynamic_update_slice: update shape {update.shape} must have the "
                        f"operand's rank and fit in its shape {x.shape}")
    return ShapedArray(x.shape, x.dtype, x.weak_type)


def _dus_jvp(primals, tangents):
    x, update, *indices = primals
    tx, tu = tangents[:2]
    out = dynamic_update_slice_p.bind(x, update, *indices)
    if type(tx) is Zero and type(tu) is Zero:
        return out, Zero.from_primal_value(out)
    return out, dynamic_update_slice_p.bind(ad.instantiate_zeros(tx), ad.instantiate_zeros(tu),
                                            *indices)


def _dus_transpose(ct, x, update, *indices):
    if type(ct) is Zero:
        return [None] * (2 + len(indices))
    u_aval = update.aval if is_undefined_primal(update) else core.get_aval(update)
    ct_x = dynamic_update_slice_p.bind(ct, ad.zeros_like_aval(u_aval), *indices) \
        if is_undefined_primal(x) else None
    ct_u = dynamic_slice_p.bind(ct, *indices, slice_sizes=u_aval.shape) \
        if is_undefined_primal(update) else None
    return [ct_x, ct_u] + [None] * len(indices)


def _dus_batch(args, dims):
    x, update, *indices = args
    xd, ud, *ids = dims
    size = next(core.get_aval(v).shape[d] for v, d in zip(args, dims) if d is not None)
    x = batching.moveaxis(x, xd, 0, size)
    update = batching.moveaxis(update, ud, 0, size)
    if all(d is None for d in ids):
        return dynamic_update_slice_p.bind(x, update, _zero_index_like(indices), *indices), 0
    # Batched starts: one clamped window per batch member is a CLIP scatter.
    stacked = _stacked_indices([batching.moveaxis(i, d, 0) if d is not None else i
                                for i, d in zip(indices, ids)], ids, size)
    n = len(indices)
    dn = ScatterDimensionNumbers(update_window_dims=tuple(range(1, n + 1)),
                                 inserted_window_dims=(),
                                 scatter_dims_to_operand_dims=tuple(range(1, n + 1)),
                                 operand_batching_dims=(0,), scatter_indices_batching_dims=(0,))
    return scatter_p.bind(x, stacked, update, dimension_numbers=dn, indices_are_sorted=True,
                          unique_indices=True, mode=GatherScatterMode.CLIP), 0


dynamic_update_slice_p.impl = _dus_impl
dynamic_update_slice_p.abstract_eval = _dus_abstract
dynamic_update_slice_p.jvp = _dus_jvp
dynamic_update_slice_p.transpose = _dus_transpose
dynamic_update_slice_p.batch = _dus_batch


def dynamic_update_slice(operand, update, start_indices, *, allow_negative_indices=True):
    idx = _dynamic_indices("dynamic_update_slice", operand, start_indices,
                           allow_negative_indices)
    return dynamic_update_slice_p.bind(operand, update, *idx)


def dynamic_update_slice_in_dim(operand, update, start_index, axis, *,
                                allow_negative_indices=True):
    nd = core.get_aval(operand).ndim
    axis = int(axis) + nd if int(axis) < 0 else int(axis)
    starts = [0] * nd
    starts[axis] = start_index
    allow = [True] * nd
    allow[axis] = allow_negative_indices
    return dynamic_update_slice(operand, update, starts, allow_negative_indices=allow)


def dynamic_update_index_in_dim(operand, update, index, axis, *, allow_negative_indices=True):
    nd = core.get_aval(operand).ndim
    axis = int(axis) + nd if int(axis) < 0 else int(axis)
    if core.get_aval(update).ndim == nd - 1:
        shape = list(core.get_aval(update).shape)
        shape.insert(axis, 1)
        update = reshape(update, shape)
    return dynamic_update_slice_in_dim(operand, update, index, axis,
                                       allow_negative_indices=allow_negative_indices)




__all__ = [
    "dynamic_index_in_dim",
    "dynamic_slice",
    "dynamic_slice_in_dim",
    "dynamic_slice_p",
    "dynamic_update_index_in_dim",
    "dynamic_update_slice",
    "dynamic_update_slice_in_dim",
    "dynamic_update_slice_p",
    "index_in_dim",
    "slice",
    "slice_in_dim",
    "slice_p",
] + list(_gather_all) + list(_scatter_all)
