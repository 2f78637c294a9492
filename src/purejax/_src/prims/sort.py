"""Sorting: the variadic `sort` primitive (several operands sorted together by the
first `num_keys` of them) and `top_k`, with their lax functions.

Orders (JAX's, checked against JAX 0.10.2):

* sort: ascending; -0.0 and 0.0 are equal, every NaN (either sign, any payload) is
  greater than +inf and equal to the other NaNs; float32 and float64 subnormals
  compare equal to zero (XLA's CPU comparisons treat them as zero; float16's do
  not); complex numbers compare lexicographically by (real, imag), each part
  ordered as a float. Equal keys keep their input order (the sort is stable;
  `is_stable=False` gives the same answer).
* top_k: the k largest along `axis` in the IEEE total order (+NaN > +inf > ... >
  +0.0 > -0.0 > ... > -inf > -NaN, subnormals included); equal elements come
  lowest index first.

Implementation (NumPy): a sort of values only is `np.sort` (the fast unstable one),
after which the runs of equal-but-different elements (zeros of both signs with the
subnormals, see _DAZ, and NaNs) are put back in input order when there are any. A
permutation of a key of at most 32 bits is one `np.sort` of int64 words holding
(order-preserving key, index), which is stable by construction and several times
faster than NumPy's stable argsort; wider single keys use `np.argsort(kind="stable")`
(NumPy's float comparison already has JAX's order once subnormals are flushed) and
several keys `np.lexsort`. No codegen rule: the jit backend calls the impls.
"""
from __future__ import annotations

import operator
from collections.abc import Sequence

import numpy as np

from purejax._src import core, dtypes
from purejax._src.core import Primitive, ShapedArray
from purejax._src.interpreters.ad import Zero

_LOW32 = np.int64(0xFFFFFFFF)
_SIGNED = {2: np.int16, 4: np.int32, 8: np.int64}


# ---------------------------------------------------------------------------
# Order-preserving integer keys (NumPy helpers for the impls)

def _float_total_key(x: np.ndarray) -> np.ndarray:
    """Signed integers in the IEEE total order of the floats x (same width)."""
    it = _SIGNED[x.dtype.itemsize]
    bits = x.view(it)
    return bits ^ ((bits >> (8 * x.dtype.itemsize - 1)) & np.iinfo(it).max)


def _key_int64(x: np.ndarray, canonical: bool) -> np.ndarray:
    """int64 keys (a new array) ordered as x, for dtypes of at most 32 bits. With
    `canonical`, floats get sort's order (-0.0 == 0.0, NaNs equal and last); without,
    the total order (top_k's)."""
    if x.dtype.kind == "u" and x.dtype.itemsize == 4:
        return x.astype(np.int64) - 2 ** 31  # centred: a shift by 32 bits must not overflow
    if x.dtype.kind != "f":
        return x.astype(np.int64)
    key = _float_total_key(x).astype(np.int64)
    if canonical:
        # zeros of either sign, and (float32: XLA's CPU compares with subnormals as
        # zero) the subnormals, become +0.0; -0.0 is the only float whose key is -1
        if _DAZ(x.dtype):
            n = 1 << (np.finfo(x.dtype).nmant)  # keys of the subnormals: [-n, n)
            key[(key >= -n) & (key < n)] = 0
        else:
            key[key == -1] = 0
        nan = np.isnan(x)
        if nan.any():
            key[nan] = int(_float_total_key(np.array(np.inf, x.dtype))) + 1
    return key


def _DAZ(dtype) -> bool:
    """Whether JAX's sort compares subnormals of this float dtype as zero (XLA's CPU
    does for float32 and float64, and not for float16, which it widens first)."""
    return dtype.kind == "f" and dtype.itemsize >= 4


def _flush_subnormals(x: np.ndarray) -> np.ndarray:
    """x with its subnormals replaced by zeros (x itself when it has none)."""
    if not _DAZ(x.dtype):
        return x
    sub = np.abs(x) < np.finfo(x.dtype).tiny
    sub &= x != 0
    return np.where(sub, x.dtype.type(0), x) if sub.any() else x


def _iota_along(n: int, axis: int, ndim: int) -> np.ndarray:
    shape = [1] * ndim
    shape[axis] = n
    return np.arange(n, dtype=np.int64).reshape(shape)


def _head(x: np.ndarray, k: int, axis: int) -> np.ndarray:
    return x[(slice(None),) * axis + (slice(0, k),)]


def _packed_fits(x: np.ndarray, axis: int) -> bool:
    """(key, index) fits one int64 word: a key of at most 32 bits, indices below 2**32."""
    return x.dtype.itemsize <= 4 and x.dtype.kind in "biuf" and x.shape[axis] < 2 ** 32


def _sort_permutation(keys: Sequence[np.ndarray], axis: int) -> np.ndarray:
    """The stable permutation that sorts `keys` (lexicographically) along axis."""
    if len(keys) == 1 and keys[0].dtype.kind != "c":
        k = keys[0]
        if _packed_fits(k, axis):
            packed = (_key_int64(k, True) << 32) | _iota_along(k.shape[axis], axis, k.ndim)
            packed.sort(axis=axis)
            return packed & _LOW32
        return np.argsort(_flush_subnormals(k), axis=axis, kind="stable")
    columns = []
    for k in keys:
        if k.dtype.kind == "c":
            columns += [_flush_subnormals(k.real), _flush_subnormals(k.imag)]
        else:
            columns.append(_flush_subnormals(k))
    # np.lexsort sorts by its last key first; its float comparison is NaN-aware
    return np.lexsort(columns[::-1], axis=axis)


def _sorted_values(x: np.ndarray, axis: int) -> np.ndarray:
    if x.dtype.kind == "c":
        return np.take_along_axis(x, _sort_permutation([x], axis), axis=axis)
    out = np.sort(x, axis=axis)
    if x.dtype.kind == "f":
        # np.sort is unstable and orders -0.0 before 0.0 (and subnormals apart from
        # zero): restore the input order of the elements sort counts as equal although
        # their bits differ, the zeros (with the subnormals, see _DAZ) and the NaNs.
        # Per row, each class is one run of the same length in the input and output.
        xs, outs = np.moveaxis(x, axis, -1), np.moveaxis(out, axis, -1)
        if _DAZ(x.dtype):
            tiny = np.finfo(x.dtype).tiny
            zero = np.abs(xs) < tiny
            if zero.any():
                zs = xs[zero]
                if (zs != 0).any() or np.signbit(zs).any():
                    outs[np.abs(outs) < tiny] = zs
        else:
            zero = xs == 0
            if zero.any() and np.signbit(xs[zero]).any():
                outs[outs == 0] = xs[zero]
        nan = np.isnan(xs)
        if nan.any():
            outs[np.isnan(outs)] = xs[nan]
    return out


# ---------------------------------------------------------------------------
# sort: sorts its operands together by the first num_keys; JVP gathers the tangents
# through the permutation (sorted along with an iota)

sort_p = Primitive("sort", multiple_results=True)


def _sort_impl(*operands, dimension, is_stable, num_keys):
    if len(operands) == 1:
        return [_sorted_values(operands[0], dimension)]
    perm = _sort_permutation(operands[:num_keys], dimension)
    return [np.take_along_axis(x, perm, axis=dimension) for x in operands]


def _sort_abstract(*avals, dimension, is_stable, num_keys):
    if not avals:
        raise TypeError("sort requires at least one operand")
    if any(a.shape != avals[0].shape for a in avals[1:]):
        raise TypeError("Arguments to sort must have equal shapes, got: "
                        + " ".join(str(a.shape) for a in avals))
    ndim = avals[0].ndim
    if ndim == 0:
        raise TypeError("sort requires operands of rank >= 1, got a rank-0 operand")
    if not 0 <= dimension < ndim:
        raise ValueError(f"sort: dimension {dimension} is out of bounds for operands of rank "
                         f"{ndim}")
    if not 1 <= num_keys <= len(avals):
        raise ValueError(f"num_keys={num_keys} must be between 1 and len(operand)={len(avals)}")
    return list(avals)


def _index_dtype(n: int) -> np.dtype:
    return np.dtype(np.int32) if n < 2 ** 31 else dtypes.canonicalize_dtype(np.int64)


def gather_along(x, idx, axis: int):
    """x[..., idx[...], ...] along `axis` (idx has x's shape except along axis): the
    gather JAX's sort and top_k JVPs use, with every other dim a batching dim."""
    from purejax._src.prims.gather import (GatherDimensionNumbers, GatherScatterMode,
                                           gather)
    from purejax._src.prims.shape import expand_dims
    rank = core.get_aval(idx).ndim
    others = tuple(i for i in range(rank) if i != axis)
    dnums = GatherDimensionNumbers(offset_dims=(), collapsed_slice_dims=(axis,),
                                   start_index_map=(axis,), operand_batching_dims=others,
                                   start_indices_batching_dims=others)
    return gather(x, expand_dims(idx, (rank,)), dnums, (1,) * rank,
                  mode=GatherScatterMode.PROMISE_IN_BOUNDS)


def _sort_jvp(primals, tangents, *, dimension, is_stable, num_keys):
    from purejax._src.prims.shape import broadcasted_iota
    shape = core.get_aval(primals[0]).shape
    iota = broadcasted_iota(_index_dtype(shape[dimension]), shape, dimension)
    outs = sort_p.bind(*primals, iota, dimension=dimension, is_stable=is_stable,
                       num_keys=num_keys)
    perm = outs[-1]
    tangents_out = [t if type(t) is Zero else gather_along(t, perm, dimension)
                    for t in tangents]
    return list(outs[:-1]), tangents_out


def _sort_batch(args, dims, *, dimension, is_stable, num_keys):
    from purejax._src.interpreters import batching
    from purejax._src.prims.shape import broadcast_in_dim
    proto, bdim = next((a, d) for a, d in zip(args, dims) if d is not None)
    shape = core.get_aval(proto).shape
    new_args = []
    for x, d in zip(args, dims):
        if d is None:
            kept = tuple(i for i in range(len(shape)) if i != bdim)
            new_args.append(broadcast_in_dim(x, shape, kept))
        else:
            new_args.append(batching.moveaxis(x, d, bdim))
    new_dimension = dimension + (bdim <= dimension)
    out = sort_p.bind(*new_args, dimension=new_dimension, is_stable=is_stable,
                      num_keys=num_keys)
    return out, [bdim] * len(out)


sort_p.impl = _sort_impl
sort_p.abstract_eval = _sort_abstract
sort_p.jvp = _sort_jvp
sort_p.batch = _sort_batch


def _canonical_dimension(dimension, ndim: int) -> int:
    d = operator.index(dimension)
    if not -ndim <= d < ndim:
        raise ValueError(f"axis {d} is out of bounds for array of dimension {ndim}")
    return d + ndim if d < 0 else d


def _as_operand(x):
    from purejax._src.array import Array
    if isinstance(x, (Array, core.Tracer)):
        return x
    if hasattr(x, "__jax_array__"):
        return x.__jax_array__()
    return Array(dtypes.coerce_to_array(x), dtypes.is_weakly_typed(x))


def sort(operand, dimension: int = -1, is_stable: bool = True, num_keys: int = 1):
    """Sorts `operand` along `dimension`; a sequence of operands is sorted together,
    lexicographically by its first `num_keys` operands (JAX's float order: -0.0 equals
    0.0, NaNs last; complex by real then imaginary part)."""
    if isinstance(operand, Sequence):
        operands = [_as_operand(x) for x in operand]
        if not operands:
            raise TypeError("Sort requires at least one operand")
        if not 1 <= num_keys <= len(operands):
            raise ValueError(f"num_keys={num_keys} must be between 1 and "
                             f"len(operand)={len(operands)}")
        dimension = _canonical_dimension(dimension, core.get_aval(operands[0]).ndim)
        return tuple(sort_p.bind(*operands, dimension=dimension, is_stable=bool(is_stable),
                                 num_keys=int(num_keys)))
    if num_keys != 1:
        raise ValueError(f"num_keys={num_keys} must equal 1 for a single operand.")
    operand = _as_operand(operand)
    dimension = _canonical_dimension(dimension, core.get_aval(operand).ndim)
    return sort_p.bind(operand, dimension=dimension, is_stable=bool(is_stable), num_keys=1)[0]


def sort_key_val(keys, values, dimension: int = -1, is_stable: bool = True):
    """Sorts `keys` along `dimension` and applies the same permutation to `values`."""
    keys, values = _as_operand(keys), _as_operand(values)
    dimension = _canonical_dimension(dimension, core.get_aval(keys).ndim)
    k, v = sort_p.bind(keys, values, dimension=dimension, is_stable=bool(is_stable),
                       num_keys=1)
    return k, v


# ---------------------------------------------------------------------------
# top_k: the k largest along axis (total order, lowest index first among equals),
# with int32 indices; JVP gathers the tangent at the indices

top_k_p = Primitive("top_k", multiple_results=True)


def _top_k_impl(x, *, k, axis):
    n = x.shape[axis]
    if k == 0 or x.size == 0:
        shape = x.shape[:axis] + (k,) + x.shape[axis + 1:]
        return [np.zeros(shape, x.dtype), np.zeros(shape, np.int32)]
    if _packed_fits(x, axis):
        # descending key (~ reverses an integer order exactly), then the index: distinct
        # words, so a partition followed by a sort of the first k is exact
        packed = (~_key_int64(x, False) << 32) | _iota_along(n, axis, x.ndim)
        if 4 * k < n:
            packed = _head(np.partition(packed, k - 1, axis=axis), k, axis)
        packed.sort(axis=axis)
        idx = _head(packed, k, axis) & _LOW32
    else:
        key = x.astype(np.uint8) if x.dtype == np.bool_ else (
            _float_total_key(x) if x.dtype.kind == "f" else x)
        idx = _head(np.argsort(~key, axis=axis, kind="stable"), k, axis)
    idx = idx.astype(np.int32)
    return [np.take_along_axis(x, idx, axis=axis), idx]


def _top_k_abstract(x, *, k, axis):
    if np.issubdtype(x.dtype, np.complexfloating):
        raise ValueError("top_k is not compatible with complex inputs.")
    if k < 0:
        raise ValueError(f"k argument to top_k must be nonnegative, got {k}")
    if x.ndim == 0:
        raise TypeError(f"top_k operand must have >= 1 dimension, got {x.shape}")
    if not 0 <= axis < x.ndim:
        raise ValueError(f"axis argument out of range: axis={axis} for operand.shape={x.shape}")
    shape = list(x.shape)
    if shape[axis] < k:
        raise ValueError("k argument to top_k must be no larger than size along axis; got "
                         f"k={k} with shape={shape} and axis={axis}")
    if shape[axis] > np.iinfo(np.int32).max + 1:
        raise ValueError("top_k returns int32 indices, which will overflow for array "
                         f"dimensions larger than the maximum int32. Got operand.shape={x.shape}")
    shape[axis] = k
    return [ShapedArray(tuple(shape), x.dtype, x.weak_type),
            ShapedArray(tuple(shape), np.dtype(np.int32), False)]


def _top_k_jvp(primals, tangents, *, k, axis):
    (x,), (t,) = primals, tangents
    values, idx = top_k_p.bind(x, k=k, axis=axis)
    t_values = Zero.from_primal_value(values) if type(t) is Zero else gather_along(t, idx, axis)
    return [values, idx], [t_values, Zero.from_primal_value(idx)]


def _top_k_batch(args, dims, *, k, axis):
    (x,), (d,) = args, dims
    if d <= axis:
        axis += 1
    return top_k_p.bind(x, k=k, axis=axis), [d, d]


top_k_p.impl = _top_k_impl
top_k_p.abstract_eval = _top_k_abstract
top_k_p.jvp = _top_k_jvp
top_k_p.batch = _top_k_batch


def top_k(operand, k: int, *, axis: int = -1):
    """The `k` largest entries along `axis` (default: the last) and their int32
    indices; equal entries come lowest index first."""
    k = operator.index(core.concrete_or_error(k, "The k argument of top_k must be static."))
    if k < 0:
        raise ValueError(f"k argument to top_k must be nonnegative, got {k}")
    operand = _as_operand(operand)
    axis = _canonical_dimension(axis, core.get_aval(operand).ndim)
    values, idx = top_k_p.bind(operand, k=k, axis=axis)
    return values, idx


__all__ = [
    "sort",
    "sort_key_val",
    "sort_p",
    "top_k",
    "top_k_p",
]
