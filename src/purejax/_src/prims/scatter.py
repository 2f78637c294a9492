"""XLA's general scatter in five flavours, named as JAX's primitives: `scatter`
(replace), `scatter-add`, `scatter-mul`, `scatter-min`, `scatter-max`.

Semantics mirror gather (see gather.py): an update position's non-window part G
picks the index vector indices[G] (entries land on scatter_dims_to_operand_dims,
operand batching dims take G's coordinate along the paired indices batching dim);
its window part walks the operand dims that are neither inserted nor batching dims.
Out of bounds: CLIP clamps the window start; FILL_OR_DROP and PROMISE_IN_BOUNDS
drop any window that is not fully in bounds (XLA's native behaviour).

The NumPy implementation computes every target index at once and applies the
update with np.add.at / np.multiply.at / np.minimum.at / np.maximum.at (unbuffered,
so duplicates accumulate). Replace is deterministic: among duplicates, the update
that comes last in row-major order of the update positions wins.

Batching uses the batching-dimension fields, as for gather: with unbatched indices
the batch axis is a leading window dim of operand and updates; with batched indices
it becomes an operand_batching_dims / scatter_indices_batching_dims pair.
"""
from __future__ import annotations

import numpy as np

from purejax._src import core
from purejax._src.core import Primitive, ShapedArray
from purejax._src.interpreters import ad, batching
from purejax._src.interpreters.ad import Zero, is_undefined_primal
from purejax._src.prims import elementwise as ew
from purejax._src.prims.gather import (GatherDimensionNumbers, GatherScatterMode,
                                       ScatterDimensionNumbers, _check_ascending,
                                       _check_in_range_unique, _shift, _tuple_fields,
                                       check_indices_common, gather_p, window_dims,
                                       window_locations)


# ---------------------------------------------------------------------------
# Shared implementation, shape rule and batching rule

def _set_last_wins(out, idx, upd):
    full = upd.shape
    flat = np.ravel_multi_index(tuple(np.broadcast_to(i, full).ravel() for i in idx), out.shape)
    vals = upd.ravel()
    # the last occurrence of each target = the first one in the reversed order
    _, first_rev = np.unique(flat[::-1], return_index=True)
    keep = flat.size - 1 - first_rev
    out.flat[flat[keep]] = vals[keep]  # .flat indexes in C order whatever the layout


def _scatter_impl(apply):
    def impl(operand, indices, updates, *, dimension_numbers, indices_are_sorted,
             unique_indices, mode):
        dn = dimension_numbers
        ndim = operand.ndim
        wdims = window_dims(ndim, dn.inserted_window_dims, dn.operand_batching_dims)
        scatter_axes = [d for d in range(updates.ndim) if d not in dn.update_window_dims]
        upd = np.transpose(updates, scatter_axes + list(dn.update_window_dims))
        nb = len(scatter_axes)
        window_shape = upd.shape[nb:]
        slice_sizes = [1] * ndim
        for k, d in enumerate(wdims):
            slice_sizes[d] = window_shape[k]
        idx, valid = window_locations(operand.shape, indices, dn.scatter_dims_to_operand_dims,
                                      dn.operand_batching_dims,
                                      dn.scatter_indices_batching_dims, slice_sizes, wdims,
                                      clip=mode is GatherScatterMode.CLIP)
        out = np.array(operand, copy=True, order="C").reshape(operand.shape if ndim else (1,))
        if not ndim:  # a rank-0 operand: every update targets its single element
            idx = (np.zeros(upd.shape, np.int64),)
        if valid is not None and not valid.all():
            mask = np.broadcast_to(valid.reshape(valid.shape + (1,) * len(window_shape)),
                                   upd.shape)
            idx = tuple(np.broadcast_to(i, upd.shape)[mask] for i in idx)
            upd = upd[mask]
        apply(out, idx, np.asarray(upd, out.dtype))
        return out.reshape(operand.shape)
    return impl


def _scatter_abstract(name):
    def abstract_eval(operand, indices, updates, *, dimension_numbers, indices_are_sorted,
                      unique_indices, mode):
        dn = dimension_numbers
        if not isinstance(dn, ScatterDimensionNumbers):
            raise TypeError(f"{name}: dimension_numbers must be a ScatterDimensionNumbers, got "
                            f"{type(dn).__name__}")
        if not isinstance(mode, GatherScatterMode):
            raise TypeError(f"{name}: mode must be a GatherScatterMode, got {mode!r}")
        if operand.dtype != updates.dtype:
            raise TypeError(f"{name} requires operand and updates to have the same dtype, got "
                            f"{operand.dtype.name} and {updates.dtype.name}")
        check_indices_common(name, operand, indices, dn.scatter_dims_to_operand_dims,
                             dn.operand_batching_dims, dn.scatter_indices_batching_dims,
                             "scatter_dims_to_operand_dims", "scatter_indices_batching_dims")
        _check_in_range_unique(name, "update_window_dims", dn.update_window_dims, updates.ndim,
                               "updates rank")
        _check_ascending(name, "update_window_dims", dn.update_window_dims)
        _check_in_range_unique(name, "inserted_window_dims", dn.inserted_window_dims,
                               operand.ndim, "operand rank")
        _check_ascending(name, "inserted_window_dims", dn.inserted_window_dims)
        if set(dn.inserted_window_dims) & set(dn.operand_batching_dims):
            raise TypeError(f"{name}: inserted_window_dims {dn.inserted_window_dims} and "
                            f"operand_batching_dims {dn.operand_batching_dims} must be disjoint")
        wdims = window_dims(operand.ndim, dn.inserted_window_dims, dn.operand_batching_dims)
        if len(wdims) != len(dn.update_window_dims):
            raise TypeError(f"{name}: expected len(update_window_dims) == operand rank - "
                            f"len(inserted_window_dims) - len(operand_batching_dims) = "
                            f"{len(wdims)}, got update_window_dims {dn.update_window_dims}")
        nb = indices.ndim - 1
        if updates.ndim != nb + len(dn.update_window_dims):
            raise TypeError(f"{name}: updates must have rank {nb + len(dn.update_window_dims)} "
                            f"(indices batch rank {nb} + {len(dn.update_window_dims)} window "
                            f"dims), got shape {updates.shape}")
        for k, (ud, od) in enumerate(zip(dn.update_window_dims, wdims)):
            if updates.shape[ud] > operand.shape[od]:
                raise TypeError(f"{name}: update window dim {ud} (size {updates.shape[ud]}) is "
                                f"larger than operand dim {od} (size {operand.shape[od]})")
        scatter_sizes = tuple(s for d, s in enumerate(updates.shape)
                              if d not in dn.update_window_dims)
        if scatter_sizes != indices.shape[:-1]:
            raise TypeError(f"{name}: the non-window dims of updates {updates.shape} must "
                            f"match the indices batch shape {indices.shape[:-1]}")
        return ShapedArray(operand.shape, operand.dtype, operand.weak_type)
    return abstract_eval


def _scatter_batch(prim):
    def rule(args, dims, *, dimension_numbers, **params):
        (operand, indices, updates), (od, idd, ud) = args, dims
        size = next(core.get_aval(x).shape[d] for x, d in zip(args, dims) if d is not None)
        dn = dimension_numbers
        operand = batching.moveaxis(operand, od, 0, size)
        updates = batching.moveaxis(updates, ud, 0, size)
        if idd is None:
            new = ScatterDimensionNumbers(
                update_window_dims=(0,) + _shift(dn.update_window_dims),
                inserted_window_dims=_shift(dn.inserted_window_dims),
                scatter_dims_to_operand_dims=_shift(dn.scatter_dims_to_operand_dims),
                operand_batching_dims=_shift(dn.operand_batching_dims),
                scatter_indices_batching_dims=dn.scatter_indices_batching_dims)
        else:
            indices = batching.moveaxis(indices, idd, 0)
            new = ScatterDimensionNumbers(
                update_window_dims=_shift(dn.update_window_dims),
                inserted_window_dims=_shift(dn.inserted_window_dims),
                scatter_dims_to_operand_dims=_shift(dn.scatter_dims_to_operand_dims),
                operand_batching_dims=(0,) + _shift(dn.operand_batching_dims),
                scatter_indices_batching_dims=(0,) + _shift(dn.scatter_indices_batching_dims))
        return prim.bind(operand, indices, updates, dimension_numbers=new, **params), 0
    return rule


def _scatter_prim(name, apply):
    p = Primitive(name)
    p.impl = _scatter_impl(apply)
    p.abstract_eval = _scatter_abstract(name)
    p.batch = _scatter_batch(p)
    return p


def gather_for_scatter(ct, indices, dimension_numbers, updates_shape, mode,
                       indices_are_sorted=False, unique_indices=False):
    """Read back, for every update element, the operand element it targets (a dropped
    window reads 0): the gather mirroring a scatter. PROMISE_IN_BOUNDS scatters drop
    out-of-bounds windows, so they are mirrored by a filling gather (exact adjoint)."""
    if mode is GatherScatterMode.PROMISE_IN_BOUNDS:
        mode = GatherScatterMode.FILL_OR_DROP
    return _gather_at_updates(ct, indices, dimension_numbers, updates_shape, mode,
                              0 if mode is GatherScatterMode.FILL_OR_DROP else None,
                              indices_are_sorted, unique_indices)


def _aval(x):
    return x.aval if is_undefined_primal(x) else core.get_aval(x)


def _zeros(x):
    return ad.zeros_like_aval(_aval(x))


# --- scatter-add: linear in (operand, updates) -------------------------------------
scatter_add_p = _scatter_prim("scatter-add", lambda out, idx, upd: np.add.at(out, idx, upd))


def _scatter_add_jvp(primals, tangents, **params):
    (x, idx, y), (tx, _, ty) = primals, tangents
    out = scatter_add_p.bind(x, idx, y, **params)
    if type(tx) is Zero and type(ty) is Zero:
        return out, Zero.from_primal_value(out)
    return out, scatter_add_p.bind(ad.instantiate_zeros(tx), idx, ad.instantiate_zeros(ty),
                                   **params)


def _scatter_add_transpose(ct, x, idx, y, *, dimension_numbers, indices_are_sorted,
                           unique_indices, mode):
    if type(ct) is Zero:
        return [None, None, None]
    ct_x = ct if is_undefined_primal(x) else None
    ct_y = gather_for_scatter(ct, idx, dimension_numbers, _aval(y).shape, mode,
                              indices_are_sorted, unique_indices) \
        if is_undefined_primal(y) else None
    return [ct_x, None, ct_y]


scatter_add_p.jvp = _scatter_add_jvp
scatter_add_p.transpose = _scatter_add_transpose


# --- scatter-mul: linear in the operand; in the updates only for unique indices -----
scatter_mul_p = _scatter_prim("scatter-mul",
                              lambda out, idx, upd: np.multiply.at(out, idx, upd))


def _scatter_mul_jvp(primals, tangents, **params):
    (x, idx, y), (tx, _, ty) = primals, tangents
    out = scatter_mul_p.bind(x, idx, y, **params)
    t_out = Zero.from_primal_value(out)
    if type(tx) is not Zero:
        t_out = ad.add_tangents(t_out, scatter_mul_p.bind(tx, idx, y, **params))
    if type(ty) is not Zero:
        if not params["unique_indices"]:
            # As JAX: with duplicates, each update's derivative is the product of the
            # others, which has no division-free closed form here.
            raise NotImplementedError(
                "scatter_mul gradients with respect to updates are only implemented if "
                "`unique_indices=True`")
        t_out = ad.add_tangents(t_out, ew.mul(x, scatter_add_p.bind(_zeros(x), idx, ty,
                                                                    **params)))
    return out, t_out


def _scatter_mul_transpose(ct, x, idx, y, **params):
    if is_undefined_primal(y):
        raise NotImplementedError("scatter_mul is not linear in its updates; only its "
                                  "operand can be transposed")
    if type(ct) is Zero:
        return [None, None, None]
    # operand elements are scaled by the product of their updates: self-adjoint
    return [scatter_mul_p.bind(ct, idx, y, **params), None, None]


scatter_mul_p.jvp = _scatter_mul_jvp
scatter_mul_p.transpose = _scatter_mul_transpose


# --- scatter-min, scatter-max: winners share the tangent equally -------------------
# JAX's `_scatter_extremal_jvp`, op for op (so values, nan patterns and rounding
# agree): every update that equals the result gets 1/k of the tangent, k counting the
# winning updates plus the operand when it also equals the result; the operand's own
# tangent is removed by adding -(1 - its share) / (number of updates at the target)
# once per update there. Where nothing equals the result (a nan result from a nan
# update) the operand tangent is cancelled, so the tangent is 0, as in JAX.
def _gather_at_updates(x, idx, dimension_numbers, updates_shape, mode, fill_value=None,
                       indices_are_sorted=False, unique_indices=False):
    """For every update element, the element of x it targets (the gather mirroring
    the scatter), out-of-bounds windows handled as `mode` and `fill_value` say."""
    dn = dimension_numbers
    ndim = core.get_aval(x).ndim
    wdims = window_dims(ndim, dn.inserted_window_dims, dn.operand_batching_dims)
    slice_sizes = [1] * ndim
    for k, d in enumerate(wdims):
        slice_sizes[d] = updates_shape[dn.update_window_dims[k]]
    gdn = GatherDimensionNumbers(
        offset_dims=dn.update_window_dims, collapsed_slice_dims=dn.inserted_window_dims,
        start_index_map=dn.scatter_dims_to_operand_dims,
        operand_batching_dims=dn.operand_batching_dims,
        start_indices_batching_dims=dn.scatter_indices_batching_dims)
    return gather_p.bind(x, idx, dimension_numbers=gdn, slice_sizes=tuple(slice_sizes),
                         unique_indices=unique_indices, indices_are_sorted=indices_are_sorted,
                         mode=mode, fill_value=fill_value)


def _scatter_extremal_jvp(prim):
    def jvp(primals, tangents, *, dimension_numbers, indices_are_sorted, unique_indices,
            mode):
        from purejax._src.prims.shape import full_like, select_n
        params = dict(dimension_numbers=dimension_numbers,
                      indices_are_sorted=indices_are_sorted, unique_indices=unique_indices,
                      mode=mode)
        (x, idx, y), (tx, _, ty) = primals, tangents
        out = prim.bind(x, idx, y, **params)
        if type(tx) is Zero and type(ty) is Zero:
            return out, Zero.from_primal_value(out)
        tx, ty = ad.instantiate_zeros(tx), ad.instantiate_zeros(ty)
        y_shape = core.get_aval(y).shape

        def at_updates(v):  # JAX's plain lax.gather: PROMISE_IN_BOUNDS, which clamps
            return _gather_at_updates(v, idx, dimension_numbers, y_shape,
                                      GatherScatterMode.PROMISE_IN_BOUNDS)

        def count(v):  # a plain lax.scatter_add: FILL_OR_DROP, no index promises
            return at_updates(scatter_add_p.bind(
                _zeros(x), idx, v, dimension_numbers=dimension_numbers,
                indices_are_sorted=False, unique_indices=False,
                mode=GatherScatterMode.FILL_OR_DROP))

        def const(like, v):
            return full_like(like, v)

        initial = at_updates(x)
        target = at_updates(out)
        successful = ew.eq(y, target)
        retained = ew.eq(initial, target)
        num_updates = count(select_n(successful, const(y, 0), const(y, 1)))
        num_refs = count(const(y, 1))
        share_with_operand = ew.div(const(num_updates, 1.0),
                                    ew.add(num_updates, const(num_updates, 1.0)))
        updates_normalizer = select_n(retained,
                                      ew.div(const(num_updates, 1.0), num_updates),
                                      share_with_operand)
        updates_coef = select_n(successful, const(y, 0), updates_normalizer)
        operand_normalizer = select_n(retained, const(num_updates, 0), share_with_operand)
        operand_coef = ew.div(ew.add(const(operand_normalizer, -1.0), operand_normalizer),
                              num_refs)
        # The operand tangent is read with a FILL_OR_DROP gather (0 out of bounds): in
        # bounds the same as JAX's clamping gather; out of bounds its transpose drops the
        # cotangent, as XLA's transposed gather does in JAX (purejax's PROMISE_IN_BOUNDS
        # gather transposes to a clamping scatter, which would bring a -inf coefficient
        # of an out-of-bounds update back to the operand as nan).
        tx_at_updates = _gather_at_updates(tx, idx, dimension_numbers, y_shape,
                                           GatherScatterMode.FILL_OR_DROP, 0)
        t_updates = ew.add(ew.mul(tx_at_updates, operand_coef), ew.mul(ty, updates_coef))
        return out, scatter_add_p.bind(tx, idx, t_updates, **params)
    return jvp


scatter_min_p = _scatter_prim("scatter-min",
                              lambda out, idx, upd: np.minimum.at(out, idx, upd))
scatter_min_p.jvp = _scatter_extremal_jvp(scatter_min_p)
scatter_max_p = _scatter_prim("scatter-max",
                              lambda out, idx, upd: np.maximum.at(out, idx, upd))
scatter_max_p.jvp = _scatter_extremal_jvp(scatter_max_p)


# --- scatter (replace) -----------------------------------------------------------
# With unique indices it is linear in (operand, updates). Otherwise the JVP first
# finds the winning update of every target by scattering update ids (1-based; 0 means
# "operand kept"), masks the losers out, and adds the survivors with scatter-add,
# which is linear and so transposable.
scatter_p = _scatter_prim("scatter", _set_last_wins)


def _scatter_jvp(primals, tangents, *, dimension_numbers, indices_are_sorted, unique_indices,
                 mode):
    from purejax._src.prims.shape import (broadcast_in_dim, full, full_like, iota, reshape,
                                          select_n)
    params = dict(dimension_numbers=dimension_numbers, indices_are_sorted=indices_are_sorted,
                  unique_indices=unique_indices, mode=mode)
    (x, idx, y), (tx, _, ty) = primals, tangents
    if type(tx) is Zero and type(ty) is Zero:
        out = scatter_p.bind(x, idx, y, **params)
        return out, Zero.from_primal_value(out)
    tx, ty = ad.instantiate_zeros(tx), ad.instantiate_zeros(ty)
    if unique_indices:
        return scatter_p.bind(x, idx, y, **params), scatter_p.bind(tx, idx, ty, **params)
    dn = dimension_numbers
    x_shape, y_shape = core.get_aval(x).shape, core.get_aval(y).shape
    scatter_axes = tuple(d for d in range(len(y_shape)) if d not in dn.update_window_dims)
    scatter_shape = tuple(y_shape[d] for d in scatter_axes)
    n = int(np.prod(scatter_shape, dtype=np.int64))
    ids = broadcast_in_dim(reshape(ew.add(iota(np.int32, n), 1), scatter_shape), y_shape,
                           scatter_axes)
    target_ids = scatter_p.bind(full(x_shape, 0, np.int32), idx, ids, **params)
    ids_seen = gather_for_scatter(target_ids, idx, dn, y_shape, mode, indices_are_sorted,
                                  unique_indices)
    keep_x = ew.eq(target_ids, 0)
    keep_y = ew.eq(ids_seen, ids)

    def masked(v, keep):
        return select_n(keep, full_like(v, 0), v)

    out = scatter_add_p.bind(masked(x, keep_x), idx, masked(y, keep_y), **params)
    t_out = scatter_add_p.bind(masked(tx, keep_x), idx, masked(ty, keep_y), **params)
    return out, t_out


def _scatter_transpose(ct, x, idx, y, *, dimension_numbers, indices_are_sorted,
                       unique_indices, mode):
    if not unique_indices:
        raise NotImplementedError("scatter transpose is only implemented where "
                                  "unique_indices=True")
    if type(ct) is Zero:
        return [None, None, None]
    params = dict(dimension_numbers=dimension_numbers, indices_are_sorted=indices_are_sorted,
                  unique_indices=unique_indices, mode=mode)
    ct_x = scatter_p.bind(ct, idx, _zeros(y), **params) if is_undefined_primal(x) else None
    ct_y = gather_for_scatter(ct, idx, dimension_numbers, _aval(y).shape, mode,
                              indices_are_sorted, unique_indices) \
        if is_undefined_primal(y) else None
    return [ct_x, None, ct_y]


scatter_p.jvp = _scatter_jvp
scatter_p.transpose = _scatter_transpose




# --- lax functions -------------------------------------------------------------
def _scatter_fn(prim, doc):
    def fn(operand, scatter_indices, updates, dimension_numbers, *, indices_are_sorted=False,
           unique_indices=False, mode=None):
        return prim.bind(operand, scatter_indices, updates,
                         dimension_numbers=_tuple_fields(
                             ScatterDimensionNumbers(*dimension_numbers)),
                         indices_are_sorted=bool(indices_are_sorted),
                         unique_indices=bool(unique_indices),
                         mode=GatherScatterMode.from_any(mode))
    fn.__doc__ = doc + " mode=None means FILL_OR_DROP (out-of-bounds windows are dropped)."
    return fn


scatter = _scatter_fn(scatter_p, "XLA scatter where updates replace operand values.")
scatter.__name__ = "scatter"
scatter_add = _scatter_fn(scatter_add_p, "XLA scatter combining with addition.")
scatter_add.__name__ = "scatter_add"
scatter_mul = _scatter_fn(scatter_mul_p, "XLA scatter combining with multiplication.")
scatter_mul.__name__ = "scatter_mul"
scatter_min = _scatter_fn(scatter_min_p, "XLA scatter combining with minimum.")
scatter_min.__name__ = "scatter_min"
scatter_max = _scatter_fn(scatter_max_p, "XLA scatter combining with maximum.")
scatter_max.__name__ = "scatter_max"


__all__ = [
    "scatter",
    "scatter_add",
    "scatter_add_p",
    "scatter_max",
    "scatter_max_p",
    "scatter_min",
    "scatter_min_p",
    "scatter_mul",
    "scatter_mul_p",
    "scatter_p",
]
