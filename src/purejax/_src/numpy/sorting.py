"""jnp's sorting, searching and order statistics, built on lax.sort / lax.top_k as
JAX builds them (so ties, NaNs and dtypes come out as JAX's do):

sort, argsort, lexsort, sort_complex, partition, argpartition, searchsorted,
quantile, percentile, median and their nan-ignoring forms, and unique (with its
array-API forms unique_all / unique_counts / unique_inverse / unique_values).

Orders: lax.sort's (-0.0 equals 0.0, NaNs last, complex by real then imaginary
part, stable); `descending=True` reverses the sorted values, and argsort's
descending order keeps equal elements in input order (when stable). partition and
argpartition use lax.top_k, whose order is the IEEE total order.
"""
from __future__ import annotations

import math
import operator
from typing import Any, NamedTuple

import numpy as np

from purejax._src import core, dtypes
from purejax._src import lax
from purejax._src.array import Array
from purejax._src.numpy import util
from purejax._src.numpy.util import canonicalize_axis, canonicalize_operand, check_arraylike


def _operand(fun_name: str, a):
    check_arraylike(fun_name, a)
    return canonicalize_operand(a)


def _index_dtype_for(n: int, dtype=None) -> np.dtype:
    """JAX's index dtype for an axis of length n: the default int (int32, or int64
    with x64) unless n needs 64 bits; or a user-given dtype."""
    if dtype is not None:
        util.check_user_dtype_supported(dtype, "argsort")
        return dtypes.canonicalize_dtype(dtype)
    return dtypes.default_int_dtype() if n < 2 ** 31 else np.dtype(np.int64)


def _check_kind_order(name, kind, order):
    if kind is not None:
        raise TypeError(f"'kind' argument to {name} is not supported. Use stable=True or "
                        "stable=False to specify sort stability.")
    if order is not None:
        raise TypeError(f"'order' argument to {name} is not supported.")


# ---------------------------------------------------------------------------
# sort, argsort, lexsort, sort_complex

def _sort_operand(name, a, axis, kind, order):
    """(the operand, flattened when axis is None; the dimension to sort along)."""
    arr = _operand(name, a)
    _check_kind_order(name, kind, order)
    if axis is None:
        arr = lax.reshape(arr, (math.prod(arr.shape),))
        axis = 0
    return arr, canonicalize_axis(axis, arr.ndim)


def sort(a, axis: int | None = -1, *, kind=None, order=None, stable: bool = True,
         descending: bool = False):
    """Sorted copy of `a` along `axis` (None: flattened). Descending reverses the
    ascending result (so NaNs come first)."""
    arr, dimension = _sort_operand("sort", a, axis, kind, order)
    result = lax.sort(arr, dimension=dimension, is_stable=stable)
    return lax.rev(result, (dimension,)) if descending else result


def argsort(a, axis: int | None = -1, *, kind=None, order=None, stable: bool = True,
            descending: bool = False, dtype=None):
    """Indices that sort `a` along `axis`. With descending=True (and stable), equal
    elements keep their input order, as in JAX."""
    arr, dimension = _sort_operand("argsort", a, axis, kind, order)
    idx_dtype = _index_dtype_for(arr.shape[dimension], dtype)
    iota = lax.broadcasted_iota(idx_dtype, arr.shape, dimension)
    if descending and stable:
        arr = lax.rev(arr, (dimension,))
        iota = lax.rev(iota, (dimension,))
    _, indices = lax.sort_key_val(arr, iota, dimension=dimension, is_stable=stable)
    return lax.rev(indices, (dimension,)) if descending else indices


def lexsort(keys, axis: int = -1):
    """Indices that sort by several keys: the last key is the primary one."""
    key_arrays = tuple(keys)
    for k in key_arrays:
        check_arraylike("lexsort", k)
    key_arrays = tuple(canonicalize_operand(k) for k in key_arrays)
    if len(key_arrays) == 0:
        raise TypeError("need sequence of keys with len > 0 in lexsort")
    if len({tuple(k.shape) for k in key_arrays}) > 1:
        raise ValueError("all keys need to be the same shape")
    shape = tuple(key_arrays[0].shape)
    if len(shape) == 0:
        return lax.full((), 0, dtypes.default_int_dtype())
    axis = canonicalize_axis(axis, len(shape))
    iota = lax.broadcasted_iota(_index_dtype_for(shape[axis]), shape, axis)
    return lax.sort((*key_arrays[::-1], iota), dimension=axis,
                    num_keys=len(key_arrays))[-1]


def sort_complex(a):
    """Sorted (lexicographically by real, imaginary part) and converted to complex."""
    arr = _operand("sort_complex", a)
    arr = lax.sort(arr)
    return lax.convert_element_type(arr, util.to_complex_dtype(arr.dtype))


# ---------------------------------------------------------------------------
# partition, argpartition (through top_k, as JAX)

def _negate_for_bottom(arr):
    from purejax._src.numpy import ufuncs
    if np.issubdtype(arr.dtype, np.unsignedinteger):
        return ufuncs.negative(ufuncs.add(arr, 1))
    return ufuncs.negative(arr)


def _partition_operand(name, a, kth, axis):
    """(the operand with `axis` moved last, kth, axis), with JAX's checks."""
    from purejax._src.numpy import lax_numpy
    arr = _operand(name, a)
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise NotImplementedError(f"jnp.{name} for complex dtype is not implemented.")
    axis = canonicalize_axis(axis, arr.ndim)
    kth = canonicalize_axis(operator.index(kth), arr.shape[axis])
    return lax_numpy.swapaxes(arr, axis, -1), kth, axis


def partition(a, kth: int, axis: int = -1):
    """The kth smallest element at position kth, the smaller ones before it (sorted)
    and the larger ones after it (in top_k's descending order), as JAX."""
    from purejax._src.numpy import lax_numpy, ufuncs
    arr, kth, axis = _partition_operand("partition", a, kth, axis)
    bottom = ufuncs.negative(lax.top_k(_negate_for_bottom(arr), kth + 1)[0])
    if np.issubdtype(arr.dtype, np.unsignedinteger):
        bottom = ufuncs.subtract(bottom, 1)
    top = lax.top_k(arr, arr.shape[-1] - kth - 1)[0]
    out = lax.concatenate([bottom, top], arr.ndim - 1)
    return lax_numpy.swapaxes(out, -1, axis)


def argpartition(a, kth: int, axis: int = -1):
    """Indices that partition `a` (see partition), as JAX orders them."""
    from purejax._src.api import vmap
    from purejax._src.numpy import lax_numpy
    arr, kth, axis = _partition_operand("argpartition", a, kth, axis)
    bottom_ind = lax.top_k(_negate_for_bottom(arr), kth + 1)[1]

    def set_to_zero(p, i):
        return p.at[i].set(0)

    for _ in range(arr.ndim - 1):
        set_to_zero = vmap(set_to_zero)
    proxy = set_to_zero(lax.full(arr.shape, 1.0, np.float32), bottom_ind)
    top_ind = lax.top_k(proxy, arr.shape[-1] - kth - 1)[1]
    out = lax.concatenate([bottom_ind, top_ind], arr.ndim - 1)
    return lax_numpy.swapaxes(out, -1, axis)


# ---------------------------------------------------------------------------
# searchsorted: JAX's algorithms (they differ on unsorted input), in sort's order

def _float_keys(x):
    if np.issubdtype(x.dtype, np.complexfloating):
        return [lax.real(x), lax.imag(x)]
    return [x]


def _key_lt(x, y, or_equal: bool):
    """x < y (or <=) in sort's order: -0.0 == 0.0, NaN largest and equal to NaN."""
    if not np.issubdtype(x.dtype, np.inexact):
        if x.dtype == np.bool_:  # False < True
            return lax.bitwise_and(lax.bitwise_not(x), y) if not or_equal else \
                lax.bitwise_or(lax.bitwise_not(x), y)
        return lax.le(x, y) if or_equal else lax.lt(x, y)
    nan_x, nan_y = lax.ne(x, x), lax.ne(y, y)
    if or_equal:
        return lax.bitwise_or(lax.le(x, y), nan_y)
    return lax.bitwise_or(lax.lt(x, y), lax.bitwise_and(lax.bitwise_not(nan_x), nan_y))


def _key_eq(x, y):
    if not np.issubdtype(x.dtype, np.inexact):
        return lax.eq(x, y)
    return lax.bitwise_or(lax.eq(x, y), lax.bitwise_and(lax.ne(x, x), lax.ne(y, y)))


def _sort_compare(x, y, or_equal: bool):
    """JAX's sort comparator (lexicographic over real and imaginary parts)."""
    xs, ys = _float_keys(x), _float_keys(y)
    p = _key_lt(xs[-1], ys[-1], or_equal)
    for xk, yk in zip(xs[-2::-1], ys[-2::-1]):
        p = lax.bitwise_or(_key_lt(xk, yk, False), lax.bitwise_and(_key_eq(xk, yk), p))
    return p


def _gather_1d(a, idx):
    from purejax._src.prims.gather import GatherDimensionNumbers, gather
    dnums = GatherDimensionNumbers(offset_dims=(), collapsed_slice_dims=(0,),
                                   start_index_map=(0,))
    return gather(a, lax.expand_dims(idx, (idx.ndim,)), dnums, (1,))


def _searchsorted_scan(a, v, side, dtype):
    # JAX's scan: a fixed number of halvings of (low, high], returning high
    n = a.shape[0]
    op_or_equal = side == "left"  # left: go left while v <= a[mid]
    low = lax.full(v.shape, 0, np.uint32)
    high = lax.full(v.shape, n, np.uint32)
    two = lax.full((), 2, np.uint32)
    for _ in range(int(np.ceil(np.log2(n + 1)))):
        mid = lax.add(low, lax.div(lax.sub(high, low), two))
        go_left = _sort_compare(v, _gather_1d(a, mid), op_or_equal)
        low, high = lax.select(go_left, low, mid), lax.select(go_left, mid, high)
    return lax.convert_element_type(high, dtype)


def _searchsorted_compare_all(a, v, side, dtype):
    from purejax._src.numpy import reductions
    shape = (a.shape[0],) + tuple(v.shape)
    ab = lax.broadcast_in_dim(a, shape, (0,))
    vb = lax.broadcast_in_dim(v, shape, tuple(range(1, len(shape))))
    return reductions.sum(_sort_compare(ab, vb, side == "right"), axis=0, dtype=dtype)


def _searchsorted_sort(a, v, side, dtype):
    # JAX's co-sorting: the rank of each query among queries + a, minus its rank
    # among the queries
    working = np.int32 if a.shape[0] + v.size <= np.iinfo(np.int32).max else np.int64
    working = dtypes.canonicalize_dtype(working)

    def rank(x):
        idx = lax.iota(working, x.shape[0])
        return lax.full_like(idx, 0).at[lax.sort_key_val(x, idx)[1]].set(idx)

    flat = lax.reshape(v, (v.size,))
    if side == "left":
        index = rank(lax.concatenate([flat, a], 0))[:v.size]
    else:
        index = rank(lax.concatenate([a, flat], 0))[a.shape[0]:]
    return lax.convert_element_type(lax.reshape(lax.sub(index, rank(flat)), tuple(v.shape)),
                                    dtype)


_SEARCH_METHODS = {"compare_all": _searchsorted_compare_all, "scan": _searchsorted_scan,
                   "scan_unrolled": _searchsorted_scan, "sort": _searchsorted_sort}


def searchsorted(a, v, side: str = "left", sorter=None, *, method: str = "scan"):
    """Insertion indices of `v` into the sorted 1-D `a` (int32), by JAX's
    algorithms: with `method` 'scan' (default) / 'scan_unrolled', 'compare_all' or
    'sort'; they agree when `a` is sorted."""
    if sorter is None:
        check_arraylike("searchsorted", a, v)
    else:
        check_arraylike("searchsorted", a, v, sorter)
    if side not in ("left", "right"):
        raise ValueError(f"invalid argument side={side!r}, expected 'left' or 'right'")
    if method not in _SEARCH_METHODS:
        raise ValueError(f"invalid argument method={method!r}, expected one of "
                         f"{sorted(_SEARCH_METHODS)}")
    a, v = canonicalize_operand(a), canonicalize_operand(v)
    if a.ndim != 1:
        raise ValueError("a should be 1-dimensional")
    a, v = util.promote_dtypes(a, v)
    if sorter is not None:
        from purejax._src.numpy import indexing
        a = indexing.take(a, sorter, mode="clip")  # a[sorter] (JAX: in bounds)
    dtype = np.dtype(np.int32) if a.shape[0] < 2 ** 31 else dtypes.canonicalize_dtype(np.int64)
    if a.shape[0] == 0:
        return lax.full(tuple(v.shape), 0, dtype)
    return _SEARCH_METHODS[method](a, v, side, dtype)


# ---------------------------------------------------------------------------
# quantile and friends (JAX's _quantile: sort, then gather the two neighbours)

_QUANTILE_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(a, q, axis, method, keepdims, squash_nans):
    from purejax._src.numpy import lax_numpy, reductions, ufuncs
    if method not in _QUANTILE_METHODS + ("inverted_cdf",):
        raise ValueError("method can only be 'linear', 'lower', 'higher', 'midpoint', "
                         "'nearest' or 'inverted_cdf'")
    if method == "inverted_cdf":
        raise NotImplementedError("quantile method 'inverted_cdf' (and weights) is not "
                                  "implemented in purejax yet")
    a, = util.promote_dtypes_inexact(a)
    keepdim = []
    if np.issubdtype(a.dtype, np.complexfloating):
        raise ValueError("quantile does not support complex input, as the operation is "
                         "poorly defined.")
    if isinstance(axis, list):
        axis = tuple(axis)
    if axis is None:
        if keepdims:
            keepdim = [1] * a.ndim
        a = lax.reshape(a, (math.prod(a.shape),))
        axis = 0
    elif isinstance(axis, tuple):
        keepdim = list(a.shape)
        nd = a.ndim
        axis = tuple(canonicalize_axis(ax, nd) for ax in axis)
        if len(set(axis)) != len(axis):
            raise ValueError("repeated axis")
        for ax in axis:
            keepdim[ax] = 1
        keep = set(range(nd)) - set(axis)
        dimensions = list(range(nd))
        for i, s in enumerate(sorted(keep)):
            dimensions[i], dimensions[s] = dimensions[s], dimensions[i]
        kept_shape = tuple(x for i, x in enumerate(a.shape) if i not in axis)
        reduced_shape = tuple(x for i, x in enumerate(a.shape) if i in axis)
        a = lax.reshape(a, kept_shape + (math.prod(reduced_shape),), tuple(dimensions))
        axis = a.ndim - 1
    else:
        axis = canonicalize_axis(axis, a.ndim)
    q_shape = tuple(q.shape)
    q_ndim = len(q_shape)
    if q_ndim > 1:
        raise ValueError(f"q must be have rank <= 1, got shape {q_shape}")
    a_shape = tuple(a.shape)
    int_dtype = dtypes.default_int_dtype()

    def const(x, value):
        return util.lax_const(x, value)

    if squash_nans:
        a = util.where(ufuncs.isnan(a), np.nan, a)  # positive NaNs sort to the end
        a = lax.sort(a, dimension=axis)
        counts = reductions.sum(ufuncs.logical_not(ufuncs.isnan(a)), axis=axis,
                                dtype=q.dtype, keepdims=keepdims)
        shape_after = tuple(counts.shape)
        out_shape = q_shape + shape_after
        # (JAX's lax broadcasts size-1 dims here; ours wants equal shapes)
        q = util.broadcast_to_shape(
            lax.expand_dims(q, tuple(range(q_ndim, len(shape_after) + q_ndim))), out_shape)
        counts = util.broadcast_to_shape(lax.expand_dims(counts, tuple(range(q_ndim))),
                                         out_shape)
        q = lax.mul(q, lax.sub(counts, const(q, 1)))
        low, high = lax.floor(q), lax.ceil(q)
        high_weight = lax.sub(q, low)
        low_weight = lax.sub(const(high_weight, 1), high_weight)
        last = lax.sub(counts, const(counts, 1))
        low = lax.max(const(low, 0), lax.min(low, last))
        high = lax.max(const(high, 0), lax.min(high, last))
        low = lax.convert_element_type(low, int_dtype)
        high = lax.convert_element_type(high, int_dtype)
        index = [lax.broadcasted_iota(int_dtype, out_shape, dim + q_ndim)
                 for dim in range(len(shape_after))]
        if keepdims:
            index[axis] = low
        else:
            index.insert(axis, low)
        low_value = a[tuple(index)]
        index[axis] = high
        high_value = a[tuple(index)]
    else:
        has_nan = reductions.any(ufuncs.isnan(a), axis=axis, keepdims=True)
        a = util.where(has_nan, np.nan, a)
        a = lax.sort(a, dimension=axis)
        n = lax.convert_element_type(Array(np.asarray(a_shape[axis])), q.dtype)
        q = lax.mul(q, lax.sub(n, const(n, 1)))
        low, high = lax.floor(q), lax.ceil(q)
        high_weight = lax.sub(q, low)
        low_weight = lax.sub(const(high_weight, 1), high_weight)
        last = lax.sub(n, const(n, 1))
        low = lax.clamp(const(low, 0), low, last)
        high = lax.clamp(const(high, 0), high, last)
        low = lax.convert_element_type(low, int_dtype)
        high = lax.convert_element_type(high, int_dtype)
        low_value = _gather_at(a, low, axis, q_ndim, keepdims)
        high_value = _gather_at(a, high, axis, q_ndim, keepdims)
        if q_ndim == 1:
            low_weight = lax.broadcast_in_dim(low_weight, tuple(low_value.shape), (0,))
            high_weight = lax.broadcast_in_dim(high_weight, tuple(high_value.shape), (0,))

    if method == "linear":
        result = lax.add(lax.mul(lax.convert_element_type(low_value, q.dtype), low_weight),
                         lax.mul(lax.convert_element_type(high_value, q.dtype), high_weight))
    elif method == "lower":
        result = low_value
    elif method == "higher":
        result = high_value
    elif method == "nearest":
        pred = lax.le(high_weight, const(high_weight, 0.5))
        result = lax.select(pred, low_value, high_value)
    else:  # midpoint
        result = lax.mul(lax.add(low_value, high_value), const(low_value, 0.5))
    if keepdims and keepdim:
        if q_ndim > 0:
            keepdim = [q_shape[0], *keepdim]
        result = lax_numpy.reshape(result, tuple(keepdim))
    return lax.convert_element_type(result, a.dtype)


def _gather_at(a, idx, axis, q_ndim, keepdims):
    """a at index idx (shaped as q) along axis, for every position of the other axes:
    shape q.shape + a.shape (axis dropped unless keepdims)."""
    from purejax._src.prims.gather import GatherDimensionNumbers, gather
    ndim = a.ndim
    dnums = GatherDimensionNumbers(
        offset_dims=tuple(range(q_ndim, ndim + q_ndim if keepdims else ndim + q_ndim - 1)),
        collapsed_slice_dims=() if keepdims else (axis,), start_index_map=(axis,))
    slice_sizes = list(a.shape)
    slice_sizes[axis] = 1
    return gather(a, lax.expand_dims(idx, (idx.ndim,)), dnums, tuple(slice_sizes))


def _check_quantile_args(name, a, q, out, overwrite_input, weights):
    check_arraylike(name, a, q)
    if weights is not None:
        raise NotImplementedError(f"jnp.{name}: weights (method 'inverted_cdf') are not "
                                  "implemented in purejax yet")
    if overwrite_input or out is not None:
        raise ValueError(f"jax.numpy.{name} does not support overwrite_input=True or "
                         "out != None")
    return canonicalize_operand(a), canonicalize_operand(q)


def _static_axis(axis):
    if axis is None or isinstance(axis, (tuple, list)):
        return axis
    return operator.index(core.concrete_or_error(axis, "The axis argument must be static."))


def quantile(a, q, axis=None, out=None, overwrite_input: bool = False,
             method: str = "linear", keepdims: bool = False, *, weights=None):
    """The q-th quantiles (q in [0, 1], scalar or 1-D) along axis; a NaN in a slice
    makes its quantiles NaN."""
    a, q = _check_quantile_args("quantile", a, q, out, overwrite_input, weights)
    return _quantile(a, q, _static_axis(axis), method, keepdims, False)


def nanquantile(a, q, axis=None, out=None, overwrite_input: bool = False,
                method: str = "linear", keepdims: bool = False, *, weights=None):
    """quantile ignoring NaNs (an all-NaN slice gives NaN)."""
    a, q = _check_quantile_args("nanquantile", a, q, out, overwrite_input, weights)
    return _quantile(a, q, _static_axis(axis), method, keepdims, True)


def _percent_to_fraction(q):
    # q / 100 as XLA compiles it in JAX's jitted percentile: times the reciprocal
    q, = util.promote_dtypes_inexact(q)
    return lax.mul(q, util.lax_const(q, np.asarray(1, q.dtype) / np.asarray(100, q.dtype)))


def percentile(a, q, axis=None, out=None, overwrite_input: bool = False,
               method: str = "linear", keepdims: bool = False, *, weights=None):
    """quantile with q in [0, 100]."""
    a, q = _check_quantile_args("percentile", a, q, out, overwrite_input, weights)
    return _quantile(a, _percent_to_fraction(q), _static_axis(axis), method, keepdims,
                     False)


def nanpercentile(a, q, axis=None, out=None, overwrite_input: bool = False,
                  method: str = "linear", keepdims: bool = False, *, weights=None):
    """nanquantile with q in [0, 100]."""
    a, q = _check_quantile_args("nanpercentile", a, q, out, overwrite_input, weights)
    return _quantile(a, _percent_to_fraction(q), _static_axis(axis), method, keepdims,
                     True)


def median(a, axis=None, out=None, overwrite_input: bool = False, keepdims: bool = False):
    """The median along axis (JAX's: quantile 0.5 by the 'midpoint' method)."""
    check_arraylike("median", a)
    return quantile(a, 0.5, axis=axis, out=out, overwrite_input=overwrite_input,
                    keepdims=keepdims, method="midpoint")


def nanmedian(a, axis=None, out=None, overwrite_input: bool = False, keepdims: bool = False):
    """The median ignoring NaNs."""
    check_arraylike("nanmedian", a)
    return nanquantile(a, 0.5, axis=axis, out=out, overwrite_input=overwrite_input,
                       keepdims=keepdims, method="midpoint")


# ---------------------------------------------------------------------------
# unique (JAX's algorithm: lexsort the slices, mark the first of each run)

UNIQUE_SIZE_HINT = (
    "To make jnp.unique() compatible with JIT and other transforms, you can specify a "
    "concrete value for the size argument, which will determine the output size.")


def _unique_sorted_mask(ar, axis: int, equal_nan: bool):
    from purejax._src.numpy import array_creation, lax_numpy, reductions, ufuncs
    aux = lax_numpy.moveaxis(ar, axis, 0)
    if np.issubdtype(aux.dtype, np.complexfloating):
        aux = util.where(ufuncs.isnan(aux), util.lax_const(aux, np.nan), aux)
    size, *out_shape = aux.shape
    if math.prod(out_shape) == 0:
        size = 1
        perm = array_creation.zeros(1, dtype=int)
    else:
        cols = lax_numpy.transpose(lax_numpy.reshape(aux, (size, math.prod(out_shape))))
        perm = lexsort([cols[i] for i in range(cols.shape[0])][::-1])
    aux = aux[perm]
    if aux.size:
        if np.issubdtype(aux.dtype, np.inexact) and equal_nan:
            def neq(x, y):
                return ufuncs.logical_and(
                    lax.ne(x, y), ufuncs.logical_not(ufuncs.logical_and(ufuncs.isnan(x),
                                                                        ufuncs.isnan(y))))
        else:
            neq = lax.ne
        changed = reductions.any(neq(aux[1:], aux[:-1]), tuple(range(1, aux.ndim)))
        mask = array_creation.ones(size, dtype=bool).at[1:].set(changed)
    else:
        mask = array_creation.zeros(size, dtype=bool)
    return aux, mask, perm


def _unique(ar, axis: int, return_index=False, return_inverse=False, return_counts=False,
            equal_nan=True, size=None, fill_value=None):
    from purejax._src.numpy import array_creation, lax_numpy, reductions
    axis = canonicalize_axis(axis, ar.ndim)
    if ar.shape[axis] == 0 and size and fill_value is None:
        raise ValueError("jnp.unique: for zero-sized input with nonzero size argument, "
                         "fill_value must be specified")
    aux, mask, perm = _unique_sorted_mask(ar, axis, equal_nan)
    if size is None:
        ind = Array(np.nonzero(np.asarray(core.concrete_or_error(
            mask, "The error arose in jnp.unique(). " + UNIQUE_SIZE_HINT)))[0].astype(
                dtypes.default_int_dtype()))
    else:
        ind = lax_numpy.nonzero(mask, size=size)[0]
    result = aux[ind] if aux.size else aux
    if size is not None and fill_value is not None:
        fill = lax.convert_element_type(canonicalize_operand(fill_value), result.dtype)
        if result.shape[0]:
            valid = lax.expand_dims(
                lax.lt(array_creation.arange(size),
                       reductions.sum(mask, dtype=dtypes.default_int_dtype())),
                tuple(range(1, result.ndim)))
            result = util.where(valid, result, fill)
        else:
            result = array_creation.full_like(result, fill, shape=(size, *result.shape[1:]))
    result = lax_numpy.moveaxis(result, 0, axis)
    ret = (result,)
    if return_index:
        ret += (perm[ind] if aux.size else perm,)
    if return_inverse:
        if aux.size:
            imask = lax.sub(reductions.cumsum(mask), util.lax_const(
                reductions.cumsum(mask), 1))
            inv_idx = array_creation.zeros(mask.shape, dtype=int).at[perm].set(imask)
        else:
            inv_idx = array_creation.zeros(ar.shape[axis], dtype=int)
        ret += (inv_idx,)
    if return_counts:
        if aux.size:
            if size is None:
                idx = lax_numpy.concatenate(
                    [ind, Array(np.asarray([mask.shape[0]], ind.dtype))])
            else:
                idx = lax_numpy.nonzero(mask, size=size + 1)[0]
                tail = idx[1:]
                idx = idx.at[1:].set(util.where(tail, tail, mask.shape[0]))
            ret += (lax.sub(idx[1:], idx[:-1]),)
        elif ar.shape[axis]:
            ret += (array_creation.full((1,), ar.shape[axis], dtype=int),)
        else:
            ret += (array_creation.zeros(0, dtype=int),)
    return ret[0] if len(ret) == 1 else ret


def unique(ar, return_index: bool = False, return_inverse: bool = False,
           return_counts: bool = False, axis: int | None = None, *, equal_nan: bool = True,
           size: int | None = None, fill_value=None, sorted: bool = True):
    """The sorted unique elements (or slices along axis) of `ar`. Without `size` the
    input must be concrete; with it, the output has `size` entries (padded with
    fill_value, by default the smallest element), so it works under jit."""
    from purejax._src.numpy import lax_numpy
    del sorted  # unused, as in JAX
    check_arraylike("unique", ar)
    arr = canonicalize_operand(ar)
    if size is None:
        core.concrete_or_error(arr, "The error arose for the first argument of jnp.unique(). "
                               + UNIQUE_SIZE_HINT)
    else:
        size = operator.index(core.concrete_or_error(
            size, "The error arose for the size argument of jnp.unique(). " + UNIQUE_SIZE_HINT))
    arr_shape = tuple(arr.shape)
    if axis is None:
        axis_int = 0
        arr = lax_numpy.ravel(arr)
    else:
        axis_int = canonicalize_axis(axis, arr.ndim)
    result = _unique(arr, axis_int, return_index, return_inverse, return_counts,
                     equal_nan=equal_nan, size=size, fill_value=fill_value)
    if return_inverse and axis is None:
        i = 2 if return_index else 1
        result = (*result[:i], lax_numpy.reshape(result[i], arr_shape), *result[i + 1:])
    return result


class _UniqueAllResult(NamedTuple):
    values: Any
    indices: Any
    inverse_indices: Any
    counts: Any


class _UniqueCountsResult(NamedTuple):
    values: Any
    counts: Any


class _UniqueInverseResult(NamedTuple):
    values: Any
    inverse_indices: Any


def unique_all(x, /, *, size=None, fill_value=None):
    check_arraylike("unique_all", x)
    values, indices, inverse_indices, counts = unique(
        x, return_index=True, return_inverse=True, return_counts=True, equal_nan=False,
        size=size, fill_value=fill_value)
    return _UniqueAllResult(values, indices, inverse_indices, counts)


def unique_counts(x, /, *, size=None, fill_value=None):
    check_arraylike("unique_counts", x)
    values, counts = unique(x, return_counts=True, equal_nan=False, size=size,
                            fill_value=fill_value)
    return _UniqueCountsResult(values, counts)


def unique_inverse(x, /, *, size=None, fill_value=None):
    check_arraylike("unique_inverse", x)
    values, inverse_indices = unique(x, return_inverse=True, equal_nan=False, size=size,
                                     fill_value=fill_value)
    return _UniqueInverseResult(values, inverse_indices)


def unique_values(x, /, *, size=None, fill_value=None):
    check_arraylike("unique_values", x)
    return unique(x, equal_nan=False, size=size, fill_value=fill_value)
