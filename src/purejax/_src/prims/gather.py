"""XLA's general gather, and the pieces its scatter counterpart shares: the
dimension-number records, the out-of-bounds modes and the index-grid builder.

Semantics (index vector = last axis of the indices, as in JAX). For an output
position, its batch part G (the positions not in offset_dims) picks the index
vector indices[G]; each entry k lands on operand dimension start_index_map[k];
each operand batching dim takes G's coordinate along its paired indices batching
dim; other dims start at 0. That start is clamped (CLIP, PROMISE_IN_BOUNDS) or,
when any part of the window falls outside (FILL_OR_DROP), the whole window is
replaced by fill_value. The offset part of the position walks the window over the
operand dims that are neither collapsed nor batching dims, in increasing order.

Batching (vmap) uses the batching-dimension fields: a batch axis carried only by
the operand becomes a full-size leading window dim; one carried only by the
indices becomes a leading output batch dim; one carried by both becomes an
operand_batching_dims / start_indices_batching_dims pair. No iota index column and
no copies of the operand are needed.
"""
from __future__ import annotations

import enum
from typing import NamedTuple

import numpy as np

from purejax._src import core
from purejax._src.core import Primitive, ShapedArray
from purejax._src.interpreters import ad, batching
from purejax._src.interpreters.ad import Zero, is_undefined_primal
from purejax._src.prims._util import check_dtype, is_int


class GatherScatterMode(enum.Enum):
    """How gather and scatter treat windows that are not fully in bounds.

    CLIP: the start is clamped so the whole window is in bounds.
    FILL_OR_DROP: a gathered window that is partly out of bounds is all fill_value;
        such a scattered window is dropped.
    PROMISE_IN_BOUNDS: the caller promises in-bounds indices; out of bounds, gather
        clamps and scatter drops (XLA's native behaviour), and gradients may be wrong.
    """
    CLIP = enum.auto()
    FILL_OR_DROP = enum.auto()
    PROMISE_IN_BOUNDS = enum.auto()

    @staticmethod
    def from_any(s) -> "GatherScatterMode":
        if isinstance(s, GatherScatterMode):
            return s
        if s == "clip":
            return GatherScatterMode.CLIP
        if s is None or s in ("fill", "drop"):
            return GatherScatterMode.FILL_OR_DROP
        if s == "promise_in_bounds":
            return GatherScatterMode.PROMISE_IN_BOUNDS
        raise ValueError(f'Unknown gather/scatter mode "{s}": expected "clip", "fill", "drop", '
                         '"promise_in_bounds" or a GatherScatterMode')


class GatherDimensionNumbers(NamedTuple):
    offset_dims: tuple
    collapsed_slice_dims: tuple
    start_index_map: tuple
    operand_batching_dims: tuple = ()
    start_indices_batching_dims: tuple = ()


class ScatterDimensionNumbers(NamedTuple):
    update_window_dims: tuple
    inserted_window_dims: tuple
    scatter_dims_to_operand_dims: tuple
    operand_batching_dims: tuple = ()
    scatter_indices_batching_dims: tuple = ()


def _tuple_fields(nt):
    return type(nt)(*(tuple(int(d) for d in f) for f in nt))


def default_fill_value(dtype):
    """JAX's fill for FILL_OR_DROP gathers: NaN, the most negative signed int, the
    largest unsigned int, or True."""
    dtype = np.dtype(dtype)
    if np.issubdtype(dtype, np.inexact):
        return float("nan")
    if np.issubdtype(dtype, np.signedinteger):
        return int(np.iinfo(dtype).min)
    if np.issubdtype(dtype, np.unsignedinteger):
        return int(np.iinfo(dtype).max)
    if dtype == np.bool_:
        return True
    raise ValueError(f"Unsupported dtype for gather fill_value {dtype}")


# ---------------------------------------------------------------------------
# Index grids shared with scatter

def window_dims(ndim, collapsed, batching_dims):
    """Operand dims that a window walks over (in increasing order)."""
    return tuple(d for d in range(ndim) if d not in collapsed and d not in batching_dims)


def window_locations(operand_shape, indices, index_map, operand_batching_dims,
                     indices_batching_dims, slice_sizes, wdims, clip):
    """Operand index arrays for every (batch position, window offset) pair.

    Returns (idx, valid): idx is a tuple of one integer array per operand dim,
    broadcastable together to batch_shape + window_shape; valid is None (clip) or a
    batch_shape bool array marking the windows fully in bounds."""
    ndim = len(operand_shape)
    batch_shape = indices.shape[:-1]
    nb = len(batch_shape)
    starts = np.zeros(batch_shape + (ndim,), np.int64)
    if index_map:
        starts[..., list(index_map)] = indices
    for od, idim in zip(operand_batching_dims, indices_batching_dims):
        shape = [1] * nb
        shape[idim] = batch_shape[idim]
        starts[..., od] = np.arange(batch_shape[idim]).reshape(shape)
    upper = np.asarray(operand_shape, np.int64) - np.asarray(slice_sizes, np.int64)
    valid = None
    if not clip:
        valid = np.all((starts >= 0) & (starts <= upper), axis=-1)
    starts = np.clip(starts, 0, np.maximum(upper, 0))  # always safe to index with
    window_shape = tuple(slice_sizes[d] for d in wdims)
    nw = len(window_shape)
    idx = []
    for d in range(ndim):
        ix = starts[..., d].reshape(batch_shape + (1,) * nw)
        if d in wdims:
            k = wdims.index(d)
            ramp_shape = [1] * (nb + nw)
            ramp_shape[nb + k] = window_shape[k]
            ix = ix + np.arange(window_shape[k]).reshape(ramp_shape)
        idx.append(ix)
    return tuple(idx), valid


def _check_in_range_unique(name, field, dims, bound, what):
    dims = tuple(dims)
    if any(not 0 <= d < bound for d in dims):
        raise TypeError(f"{name}: {field} {dims} must be in the range [0, {bound}) of the "
                        f"{what}")
    if len(set(dims)) != len(dims):
        raise TypeError(f"{name}: {field} {dims} must not repeat")


def _check_ascending(name, field, dims):
    if tuple(sorted(dims)) != tuple(dims):
        raise TypeError(f"{name}: {field} must be sorted in ascending order, got {tuple(dims)}")


def check_indices_common(name, operand, indices, index_map, obd, ibd, map_field, ibd_field):
    """The checks gather and scatter share about indices and batching dims."""
    check_dtype(f"{name} (indices)", is_int, indices.dtype)
    if indices.ndim < 1:
        raise TypeError(f"{name}: indices must have rank >= 1 (the last axis is the index "
                        f"vector), got shape {indices.shape}")
    nb = indices.ndim - 1
    if len(index_map) != indices.shape[-1]:
        raise TypeError(f"{name}: {map_field} {tuple(index_map)} must have one entry per index "
                        f"vector element: indices shape {indices.shape} has "
                        f"{indices.shape[-1]}")
    _check_in_range_unique(name, map_field, index_map, operand.ndim, "operand rank")
    _check_in_range_unique(name, "operand_batching_dims", obd, operand.ndim, "operand rank")
    _check_ascending(name, "operand_batching_dims", obd)
    _check_in_range_unique(name, ibd_field, ibd, nb, "indices batch rank")
    if len(obd) != len(ibd):
        raise TypeError(f"{name}: operand_batching_dims {tuple(obd)} and {ibd_field} "
                        f"{tuple(ibd)} must have the same length")
    if set(obd) & set(index_map):
        raise TypeError(f"{name}: {map_field} {tuple(index_map)} and operand_batching_dims "
                        f"{tuple(obd)} must be disjoint")
    for od, idim in zip(obd, ibd):
        if operand.shape[od] != indices.shape[idim]:
            raise TypeError(f"{name}: operand batching dim {od} (size {operand.shape[od]}) and "
                            f"indices batching dim {idim} (size {indices.shape[idim]}) must "
                            "have equal sizes")


# --- gather: linear in the operand; transposes into scatter-add --------------------
gather_p = Primitive("gather")


def _gather_impl(operand, indices, *, dimension_numbers, slice_sizes, unique_indices,
                 indices_are_sorted, mode, fill_value):
    dn = dimension_numbers
    wdims = window_dims(operand.ndim, dn.collapsed_slice_dims, dn.operand_batching_dims)
    idx, valid = window_locations(operand.shape, indices, dn.start_index_map,
                                  dn.operand_batching_dims, dn.start_indices_batching_dims,
                                  slice_sizes, wdims, clip=mode is not GatherScatterMode.FILL_OR_DROP)
    batch_shape = indices.shape[:-1]
    window_shape = tuple(slice_sizes[d] for d in wdims)
    out = np.broadcast_to(operand[idx], batch_shape + window_shape)
    if valid is not None and not valid.all():
        fill = default_fill_value(operand.dtype) if fill_value is None else fill_value
        mask = valid.reshape(batch_shape + (1,) * len(window_shape))
        out = np.where(mask, out, np.asarray(fill).astype(operand.dtype))
    # batch axes then window axes -> the output layout (window axes at offset_dims)
    nb = len(batch_shape)
    src, b = [], 0
    for pos in range(nb + len(window_shape)):
        if pos in dn.offset_dims:
            src.append(nb + dn.offset_dims.index(pos))
        else:
            src.append(b)
            b += 1
    return np.transpose(out, src)


def _gather_abstract(operand, indices, *, dimension_numbers, slice_sizes, unique_indices,
                     indices_are_sorted, mode, fill_value):
    name = "gather"
    dn = dimension_numbers
    if not isinstance(dn, GatherDimensionNumbers):
        raise TypeError(f"gather: dimension_numbers must be a GatherDimensionNumbers, got "
                        f"{type(dn).__name__}")
    if not isinstance(mode, GatherScatterMode):
        raise TypeError(f"gather: mode must be a GatherScatterMode, got {mode!r}")
    check_indices_common(name, operand, indices, dn.start_index_map, dn.operand_batching_dims,
                         dn.start_indices_batching_dims, "start_index_map",
                         "start_indices_batching_dims")
    nb = indices.ndim - 1
    out_rank = nb + len(dn.offset_dims)
    _check_in_range_unique(name, "offset_dims", dn.offset_dims, out_rank, "output rank")
    _check_ascending(name, "offset_dims", dn.offset_dims)
    _check_in_range_unique(name, "collapsed_slice_dims", dn.collapsed_slice_dims, operand.ndim,
                         "operand rank")
    _check_ascending(name, "collapsed_slice_dims", dn.collapsed_slice_dims)
    if set(dn.collapsed_slice_dims) & set(dn.operand_batching_dims):
        raise TypeError(f"gather: collapsed_slice_dims {dn.collapsed_slice_dims} and "
                        f"operand_batching_dims {dn.operand_batching_dims} must be disjoint")
    if len(slice_sizes) != operand.ndim:
        raise TypeError(f"gather: slice_sizes {tuple(slice_sizes)} must have one entry per "
                        f"operand dimension, operand shape {operand.shape}")
    for d, (s, n) in enumerate(zip(slice_sizes, operand.shape)):
        if not 0 <= s <= n:
            raise TypeError(f"gather: slice_sizes {tuple(slice_sizes)} must lie within the "
                            f"operand shape {operand.shape} (dimension {d})")
    for d in dn.collapsed_slice_dims + dn.operand_batching_dims:
        if slice_sizes[d] > 1:
            raise TypeError(f"gather: collapsed and batching dims need slice size 1, but "
                            f"slice_sizes[{d}] = {slice_sizes[d]}")
    wdims = window_dims(operand.ndim, dn.collapsed_slice_dims, dn.operand_batching_dims)
    if len(wdims) != len(dn.offset_dims):
        raise TypeError(f"gather: expected len(offset_dims) == operand rank - "
                        f"len(collapsed_slice_dims) - len(operand_batching_dims) = "
                        f"{len(wdims)}, got offset_dims {dn.offset_dims}")
    batch = iter(indices.shape[:-1])
    window = iter(slice_sizes[d] for d in wdims)
    shape = tuple(next(window) if p in dn.offset_dims else next(batch) for p in range(out_rank))
    return ShapedArray(shape, operand.dtype, operand.weak_type)


def scatter_dnums_for_gather(dn: GatherDimensionNumbers) -> ScatterDimensionNumbers:
    """The scatter that puts each gathered window back where it came from."""
    return ScatterDimensionNumbers(
        update_window_dims=dn.offset_dims, inserted_window_dims=dn.collapsed_slice_dims,
        scatter_dims_to_operand_dims=dn.start_index_map,
        operand_batching_dims=dn.operand_batching_dims,
        scatter_indices_batching_dims=dn.start_indices_batching_dims)


def _gather_jvp(primals, tangents, *, mode, fill_value, **params):
    (x, idx), (t, _) = primals, tangents
    out = gather_p.bind(x, idx, mode=mode, fill_value=fill_value, **params)
    if type(t) is Zero:
        return out, Zero.from_primal_value(out)
    # A filled window is a constant: its tangent is 0, not the primal's fill.
    t_fill = 0 if mode is GatherScatterMode.FILL_OR_DROP else None
    return out, gather_p.bind(t, idx, mode=mode, fill_value=t_fill, **params)


def _gather_transpose(ct, x, idx, *, dimension_numbers, slice_sizes, unique_indices,
                      indices_are_sorted, mode, fill_value):
    from purejax._src.prims.scatter import scatter_add_p
    assert is_undefined_primal(x) and not is_undefined_primal(idx)
    if type(ct) is Zero:
        return [None, None]
    zeros = ad.zeros_like_aval(x.aval)
    # PROMISE_IN_BOUNDS gathers clamp, so their exact adjoint is a clamping scatter
    # (JAX leaves out-of-bounds gradients undefined here; ours stay correct).
    scatter_mode = GatherScatterMode.CLIP if mode is GatherScatterMode.PROMISE_IN_BOUNDS \
        else mode
    return [scatter_add_p.bind(zeros, idx, ct,
                               dimension_numbers=scatter_dnums_for_gather(dimension_numbers),
                               indices_are_sorted=indices_are_sorted,
                               unique_indices=unique_indices, mode=scatter_mode), None]


def _shift(dims, by=1):
    return tuple(d + by for d in dims)


def _gather_batch(args, dims, *, dimension_numbers, slice_sizes, **params):
    (operand, indices), (od, idd) = args, dims
    dn = dimension_numbers
    if idd is None:
        # The batch axis is one more full-size window dim, first in the output.
        operand = batching.moveaxis(operand, od, 0)
        size = core.get_aval(operand).shape[0]
        new = GatherDimensionNumbers(
            offset_dims=(0,) + _shift(dn.offset_dims),
            collapsed_slice_dims=_shift(dn.collapsed_slice_dims),
            start_index_map=_shift(dn.start_index_map),
            operand_batching_dims=_shift(dn.operand_batching_dims),
            start_indices_batching_dims=dn.start_indices_batching_dims)
        sizes = (size,) + tuple(slice_sizes)
    elif od is None:
        # The batch axis is one more batch dim of the indices, first in the output.
        indices = batching.moveaxis(indices, idd, 0)
        new = dn._replace(offset_dims=_shift(dn.offset_dims),
                          start_indices_batching_dims=_shift(dn.start_indices_batching_dims))
        sizes = tuple(slice_sizes)
    else:
        # Both batched: pair the two batch axes as batching dims.
        operand = batching.moveaxis(operand, od, 0)
        indices = batching.moveaxis(indices, idd, 0)
        new = GatherDimensionNumbers(
            offset_dims=_shift(dn.offset_dims),
            collapsed_slice_dims=_shift(dn.collapsed_slice_dims),
            start_index_map=_shift(dn.start_index_map),
            operand_batching_dims=(0,) + _shift(dn.operand_batching_dims),
            start_indices_batching_dims=(0,) + _shift(dn.start_indices_batching_dims))
        sizes = (1,) + tuple(slice_sizes)
    return gather_p.bind(operand, indices, dimension_numbers=new, slice_sizes=sizes,
                         **params), 0


gather_p.impl = _gather_impl
gather_p.abstract_eval = _gather_abstract
gather_p.jvp = _gather_jvp
gather_p.transpose = _gather_transpose
gather_p.batch = _gather_batch


def _hashable_scalar(v):
    if v is None:
        return None
    if isinstance(v, np.generic) or (isinstance(v, np.ndarray) and v.ndim == 0):
        return v.item()
    if isinstance(v, (bool, int, float, complex)):
        return v
    raise TypeError(f"gather: fill_value must be a static scalar, got {type(v).__name__}")


def gather(operand, start_indices, dimension_numbers, slice_sizes, *, unique_indices=False,
           indices_are_sorted=False, mode=None, fill_value=None):
    """XLA's gather. mode=None means PROMISE_IN_BOUNDS (out-of-bounds starts are
    clamped), as in current JAX; with FILL_OR_DROP, fill_value defaults by dtype."""
    mode = (GatherScatterMode.PROMISE_IN_BOUNDS if mode is None
            else GatherScatterMode.from_any(mode))
    if mode is GatherScatterMode.FILL_OR_DROP:
        fill_value = (default_fill_value(core.get_aval(operand).dtype) if fill_value is None
                      else _hashable_scalar(fill_value))
    else:
        fill_value = None
    return gather_p.bind(operand, start_indices,
                         dimension_numbers=_tuple_fields(GatherDimensionNumbers(*dimension_numbers)),
                         slice_sizes=tuple(int(s) for s in slice_sizes),
                         unique_indices=bool(unique_indices),
                         indices_are_sorted=bool(indices_are_sorted), mode=mode,
                         fill_value=fill_value)


__all__ = [
    "GatherDimensionNumbers",
    "GatherScatterMode",
    "ScatterDimensionNumbers",
    "gather",
    "gather_p",
]
