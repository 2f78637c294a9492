"""NumPy indexing for Arrays and tracers (`x[idx]`, `x.at[idx].set(v)`, take, ...).

Lowering, from the cheapest form to the most general:

* basic indexing with static ints and slices (any step) and None: lax.slice,
  lax.rev, lax.squeeze and broadcast_in_dim (for None);
* basic indexing with traced (or out-of-range) scalar integers: the static part as
  above, then lax.dynamic_slice, which clamps the start like JAX's gather does; a
  negative traced index is wrapped with select(i < 0, i + n, i);
* anything with integer arrays (advanced indexing, NumPy's rules for where the
  advanced axes go) or a 'fill'/'drop' mode: lax.gather, built as JAX builds it
  (index_to_gather below);
* `.at[idx]` updates: the same gather description transposed into lax.scatter,
  scatter_add, scatter_mul, scatter_min or scatter_max.

Boolean masks must be concrete (they decide the output's shape): under jit/vmap
they raise NonConcreteBooleanIndexError, an IndexError, as JAX does.
Out-of-bounds semantics are JAX's: gathers clamp (mode=None), scatters drop
out-of-bounds updates (mode=None), take/take_along_axis fill (mode='fill').
"""
from __future__ import annotations

import math
import operator
from typing import Any, NamedTuple, Sequence

import numpy as np

from purejax._src import core, dtypes
from purejax._src import lax
from purejax._src.prims.gather import GatherScatterMode
from purejax._src.array import Array
from purejax._src.core import Tracer
from purejax._src.numpy import util
from purejax._src.numpy.util import canonicalize_axis, canonicalize_operand, shape_of

_INDEX_DTYPE = np.dtype(np.int32)


class NonConcreteBooleanIndexError(IndexError):
    """A boolean mask used as an index is not concrete (its number of True entries,
    hence the output shape, is unknown while tracing)."""


def _lax(name: str):
    fn = getattr(lax, name, None)
    if fn is None:
        raise NotImplementedError(f"lax.{name} is not implemented yet in purejax (needed "
                                  "for this kind of indexing)")
    return fn


# ---------------------------------------------------------------------------
# Index normalization

def _is_int_scalar(x) -> bool:
    """Static Python/NumPy integer (not bool)."""
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def _aval_or_none(x):
    if isinstance(x, (Array, Tracer, np.ndarray, np.generic)):
        return core.get_aval(x)
    return None


def _eliminate_list_index(idx) -> tuple:
    if isinstance(idx, tuple):
        return idx
    if isinstance(idx, Sequence) and not isinstance(idx, str):
        nested = any(isinstance(i, (Sequence, slice)) or i is Ellipsis or i is None or
                     (isinstance(i, (np.ndarray, Array, Tracer)) and np.ndim(i) != 0)
                     for i in idx)
        hint = "arr[tuple(seq)]" if nested else "arr[array(seq)]"
        raise TypeError("Using a non-tuple sequence for multidimensional indexing is not "
                        f"allowed; use `{hint}` instead of `arr[seq]`. See "
                        "https://github.com/jax-ml/jax/issues/4564 for more information.")
    return (idx,)


def _is_bool_array(x) -> bool:
    aval = _aval_or_none(x)
    return aval is not None and aval.dtype == np.bool_


def _expand_bool_indices(idx: tuple, shape: tuple) -> tuple:
    """Concrete boolean arrays become integer index arrays (NumPy's nonzero);
    rank-0 booleans become Python bools (handled later)."""
    out = []
    n_ellipsis = sum(e is Ellipsis for e in idx)
    if n_ellipsis > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    total = len(shape)
    if n_ellipsis:
        total = sum(np.ndim(e) if _is_bool_array(e) else 1 for e in idx
                    if e is not None and e is not Ellipsis)
    ellipsis_offset = 0
    newaxis_offset = 0
    for pos, i in enumerate(idx):
        if isinstance(i, list) and i and all(isinstance(e, (bool, np.bool_)) for e in i):
            i = np.asarray(i)
        if isinstance(i, (bool, np.bool_)):
            out.append(bool(i))
        elif _is_bool_array(i):
            if isinstance(i, Tracer) and not core.is_concrete(i):
                raise NonConcreteBooleanIndexError(
                    f"Array boolean indices must be concrete; got {core.get_aval(i)!r}\n\n"
                    "A boolean mask selects a number of elements that depends on its "
                    "values, so the output shape is unknown while tracing (jit, vmap, "
                    "make_jaxpr). Use jnp.where(mask, x, fill) to keep the shape, or "
                    "jnp.nonzero(mask, size=...) for a fixed number of indices. See "
                    "https://jax.readthedocs.io/en/latest/errors.html"
                    "#jax.errors.NonConcreteBooleanIndexError")
            val = np.asarray(core.concrete_or_error(i))
            if val.ndim == 0:
                out.append(bool(val))
            else:
                start = len(out) + ellipsis_offset - newaxis_offset
                expected = shape[start:start + val.ndim]
                if len(expected) != val.ndim:
                    raise IndexError(f"too many boolean indices at index {pos}: got mask of "
                                     f"shape {val.shape}, but only {len(expected)} "
                                     "dimensions remain.")
                if not all(s1 in (0, s2) for s1, s2 in zip(val.shape, expected)):
                    raise IndexError("boolean index did not match shape of indexed array in "
                                     f"index {pos}: got {val.shape}, expected {expected}")
                out.extend(Array(v.astype(_INDEX_DTYPE)) for v in np.nonzero(val))
        else:
            out.append(i)
        if i is Ellipsis:
            ellipsis_offset = len(shape) - total - 1
        if i is None:
            newaxis_offset += 1
    return tuple(out)


def _check_index_types(idx: tuple) -> tuple:
    out = []
    for pos, i in enumerate(idx):
        if isinstance(i, str):
            raise TypeError(f"JAX does not support string indexing; got idx={idx}")
        if isinstance(i, (list, tuple)):
            i = Array(np.asarray(i, dtype=None if len(i) else np.int32))
        if i is None or i is Ellipsis or isinstance(i, (slice, bool)) or _is_int_scalar(i):
            out.append(i)
            continue
        aval = _aval_or_none(i)
        if aval is None and isinstance(i, (float, complex)):
            aval = core.get_aval(i)
        if aval is None:
            raise IndexError(f"Indexing mode not yet supported. Got unsupported indexer at "
                             f"position {pos}: {i!r}")
        if not (dtypes.is_integer(aval.dtype) or aval.dtype == np.bool_):
            raise TypeError("Indexer must have integer or boolean type, got indexer with type "
                            f"{aval.dtype.name} at position {pos}, indexer value {i}")
        out.append(i)
    return tuple(out)


def _canonicalize_tuple_index(ndim: int, idx: tuple) -> tuple:
    """Remove the Ellipsis and add the implicit trailing full slices."""
    consumed = sum(not (e is None or e is Ellipsis or isinstance(e, bool)) for e in idx)
    if consumed > ndim:
        word = "index" if consumed == 1 else "indices"
        raise IndexError(f"Too many indices: {ndim}-dimensional array indexed with "
                         f"{consumed} regular {word}.")
    colons = (slice(None),) * (ndim - consumed)
    if Ellipsis in [e for e in idx if e is Ellipsis]:
        k = next(n for n, e in enumerate(idx) if e is Ellipsis)
        return idx[:k] + colons + idx[k + 1:]
    return tuple(idx) + colons


def _is_advanced(e) -> bool:
    return (e is not None and e is not Ellipsis and not isinstance(e, slice)
            and not isinstance(e, bool))


def _has_array_index(idx: tuple) -> bool:
    for e in idx:
        if isinstance(e, (Array, Tracer, np.ndarray)) and np.ndim(e) > 0:
            return True
    return False


class _Prepared(NamedTuple):
    idx: tuple                 # Ellipsis removed, trailing slices added
    advanced_contiguous: bool  # NumPy's rule, decided before the Ellipsis is removed
    bool_dims: tuple           # operand dims inserted for scalar boolean indices


def _prepare(idx: Any, shape: tuple) -> _Prepared:
    idx = _eliminate_list_index(idx)
    if any(isinstance(i, str) for i in idx):
        raise TypeError(f"JAX does not support string indexing; got idx={idx}")
    idx = _expand_bool_indices(idx, shape)
    idx = _check_index_types(idx)
    has_bool = any(isinstance(e, bool) for e in idx)
    adv = [n for n, e in enumerate(idx) if _is_advanced(e) or isinstance(e, bool)]
    contiguous = bool(np.all(np.diff(adv) == 1)) if adv else True
    idx = _canonicalize_tuple_index(len(shape), idx)
    bool_dims = []
    if has_bool:
        # A scalar boolean adds a dimension of size 1 and indexes it with [0] (True)
        # or [] (False), which NumPy treats as an advanced index.
        new, x_dim = [], 0
        for e in idx:
            if isinstance(e, bool):
                bool_dims.append(x_dim)
                new.append(Array(np.arange(int(e), dtype=_INDEX_DTYPE)))
                x_dim += 1
            else:
                new.append(e)
                if e is not None:
                    x_dim += 1
        idx = tuple(new)
    return _Prepared(idx, contiguous, tuple(bool_dims))


def _static_int(x):
    """A Python int for static scalar integers (incl. rank-0 NumPy arrays), else None."""
    if _is_int_scalar(x):
        return int(x)
    if isinstance(x, np.ndarray) and x.ndim == 0 and dtypes.is_integer(x.dtype):
        return int(x)
    return None


def _slice_bounds(s: slice, n: int) -> tuple[int, int, int]:
    def conc(v, what):
        if v is None:
            return None
        if isinstance(v, Tracer) and not core.is_concrete(v):
            raise IndexError(
                "Array slice indices must have static start/stop/step to be used with NumPy "
                f"indexing syntax. Found slice({s.start}, {s.stop}, {s.step}). To index a "
                "statically sized array at a dynamic position, try lax.dynamic_slice/"
                "dynamic_update_slice (JAX does not support dynamically sized arrays within "
                "JIT compiled functions).")
        return operator.index(np.asarray(core.concrete_or_error(v)).item()
                              if not _is_int_scalar(v) else v)
    return slice(conc(s.start, "start"), conc(s.stop, "stop"), conc(s.step, "step")).indices(n)


# ---------------------------------------------------------------------------
# Basic indexing without gather

def _normalize_dynamic_index(i, n: int):
    """An int32 index array with negative entries wrapped once (i + n)."""
    if not isinstance(i, Tracer):
        # Concrete indices are normalized now, so no select is staged for them.
        val = np.asarray(i._value if type(i) is Array else i)
        if not dtypes.issubdtype(val.dtype, np.unsignedinteger):
            val = np.where(val < 0, val + n, val)
        return Array(np.asarray(val, _INDEX_DTYPE))
    i = util.convert(i, _INDEX_DTYPE, False)
    if dtypes.issubdtype(core.get_aval(i).dtype, np.unsignedinteger):
        return i
    return lax.select_n(lax.lt(i, util.lax_const(i, 0)), i, lax.add(i, util.lax_const(i, n)))


def _index_operand(i):
    """A scalar start index for dynamic_slice, in the default int dtype (the dtype of
    the static zeros lax uses for the other dimensions)."""
    i = canonicalize_operand(i)
    aval = core.get_aval(i)
    return util.convert(i, dtypes.default_int_dtype(), aval.weak_type)


def _basic_index(arr, idx: tuple, mode):
    """arr[idx] with slices/rev/dynamic_slice/squeeze, or None when a gather is needed."""
    shape = shape_of(arr)
    starts, limits, strides, revs = [], [], [], []
    int_dims, dynamic = [], []
    x_dim = 0
    for e in idx:
        if e is None:
            continue
        n = shape[x_dim]
        if isinstance(e, slice):
            start, stop, step = _slice_bounds(e, n)
            length = len(range(start, stop, step))
            if step > 0:
                lo, hi, st = start, (start + (length - 1) * step + 1) if length else start, step
            else:
                lo = start + (length - 1) * step if length else 0
                hi, st = (start + 1) if length else 0, -step
                if length > 1:
                    revs.append(x_dim)
            starts.append(lo)
            limits.append(hi)
            strides.append(st)
        else:
            i = _static_int(e)
            if n == 0:
                raise IndexError(f"index is out of bounds for axis {x_dim} with size 0")
            if i is not None and -n <= i < n:
                i = i + n if i < 0 else i
                starts.append(i)
                limits.append(i + 1)
                strides.append(1)
            else:
                if mode not in (None, "clip", "promise_in_bounds"):
                    return None
                dynamic.append((x_dim, e))
                starts.append(0)
                limits.append(n)
                strides.append(1)
            int_dims.append(x_dim)
        x_dim += 1
    y = arr
    if (tuple(starts) != (0,) * len(shape) or tuple(limits) != shape
            or any(s != 1 for s in strides)):
        y = lax.slice(y, tuple(starts), tuple(limits),
                      None if all(s == 1 for s in strides) else tuple(strides))
    if revs:
        y = lax.rev(y, tuple(revs))
    if dynamic:
        y_shape = shape_of(y)
        start_idx: list = [0] * len(y_shape)
        sizes = list(y_shape)
        for d, e in dynamic:
            # lax.dynamic_slice wraps a negative start once (select(i < 0, i + n, i))
            # and clamps it into range, as JAX's does.
            start_idx[d] = _index_operand(e)
            sizes[d] = 1
        y = lax.dynamic_slice(y, start_idx, tuple(sizes))
    if int_dims:
        y = lax.squeeze(y, tuple(int_dims))
    newaxis = []
    out_pos = 0
    for e in idx:
        if e is None:
            newaxis.append(out_pos)
            out_pos += 1
        elif isinstance(e, slice):
            out_pos += 1
    if newaxis:
        y = util.expand_dims_lax(y, tuple(newaxis))
    return y


# ---------------------------------------------------------------------------
# The general case: a gather (shared with the scatter of .at[] updates)

class _Indexer(NamedTuple):
    slice_shape: tuple          # shape of the result (including newaxis dims)
    gather_slice_shape: tuple   # slice_sizes for lax.gather
    gather_indices: Any         # int32 array, index vector in the last dimension
    dnums: Any                  # lax.GatherDimensionNumbers
    unique_indices: bool
    indices_are_sorted: bool
    reversed_y_dims: tuple
    newaxis_dims: tuple


def _index_to_gather(x_shape: tuple, idx: tuple, advanced_contiguous: bool,
                     normalize_indices: bool = True) -> _Indexer:
    """Describe x[idx] as one lax.gather, following JAX's construction."""
    advanced = None
    idx_advanced_axes: list[int] = []
    x_advanced_axes: list[int] = []
    if _has_array_index(idx):
        pairs = []
        j = 0
        for i, e in enumerate(idx):
            if e is None:
                continue
            if not isinstance(e, slice):
                arr = canonicalize_operand(e)
                if normalize_indices:
                    arr = _normalize_dynamic_index(arr, x_shape[j])
                else:
                    arr = lax.convert_element_type(arr, _INDEX_DTYPE)
                pairs.append((arr, i, j))
            j += 1
        advanced = [p[0] for p in pairs]
        idx_advanced_axes = [p[1] for p in pairs]
        x_advanced_axes = [p[2] for p in pairs]

    x_axis = y_axis = collapsed_y_axis = 0
    offset_dims: list[int] = []
    collapsed_slice_dims: list[int] = []
    start_index_map: list[int] = []
    gather_indices: list[tuple[Any, int]] = []
    gather_indices_shape: list[int] = []
    slice_shape: list[int] = []
    newaxis_dims: list[int] = []
    reversed_y_dims: list[int] = []
    gather_slice_shape: list[int] = []

    for idx_pos, i in enumerate(idx):
        if advanced is not None and (
                (advanced_contiguous and idx_pos == idx_advanced_axes[0]) or
                (not advanced_contiguous and idx_pos == 0)):
            arrs = util.broadcast_arrays(*advanced)
            shape = shape_of(arrs[0])
            start_dim = len(gather_indices_shape)
            gather_indices.extend((a, start_dim) for a in arrs)
            gather_indices_shape.extend(shape)
            start_index_map.extend(x_advanced_axes)
            collapsed_slice_dims.extend(x_advanced_axes)
            slice_shape.extend(shape)
            y_axis += len(shape)
            collapsed_y_axis += len(shape)
        if idx_pos in idx_advanced_axes:
            x_axis += 1
            gather_slice_shape.append(1)
            continue
        if i is None:
            slice_shape.append(1)
            newaxis_dims.append(y_axis)
            y_axis += 1
        elif isinstance(i, slice):
            n = x_shape[x_axis]
            start, stop, step = _slice_bounds(i, n)
            size = len(range(start, stop, step))
            slice_shape.append(size)
            if step == 1:
                if size != n:
                    gather_indices.append((Array(np.asarray(start, _INDEX_DTYPE)),
                                           len(gather_indices_shape)))
                    start_index_map.append(x_axis)
                gather_slice_shape.append(size)
                offset_dims.append(collapsed_y_axis)
            else:
                positions = np.arange(start, stop, step, dtype=_INDEX_DTYPE)
                if step < 0:
                    # gather ascending (sorted) indices, then reverse the result
                    reversed_y_dims.append(collapsed_y_axis)
                    positions = positions[::-1].copy()
                gather_slice_shape.append(1)
                gather_indices.append((Array(positions), len(gather_indices_shape)))
                start_index_map.append(x_axis)
                gather_indices_shape.append(size)
                collapsed_slice_dims.append(x_axis)
            collapsed_y_axis += 1
            y_axis += 1
            x_axis += 1
        else:
            # a scalar integer without any array index: basic integer indexing
            n = x_shape[x_axis]
            if n == 0:
                raise IndexError(f"index is out of bounds for axis {x_axis} with size 0")
            iv = _static_int(i)
            if iv is not None:
                iv = iv + n if (normalize_indices and iv < 0) else iv
                g = Array(np.asarray(iv, _INDEX_DTYPE))
            elif normalize_indices:
                g = _normalize_dynamic_index(i, n)
            else:
                g = lax.convert_element_type(canonicalize_operand(i), _INDEX_DTYPE)
            gather_indices.append((g, len(gather_indices_shape)))
            collapsed_slice_dims.append(x_axis)
            gather_slice_shape.append(1)
            start_index_map.append(x_axis)
            x_axis += 1

    if not gather_indices:
        gather_indices_array = Array(np.zeros((0,), _INDEX_DTYPE))
    elif not any(isinstance(g, Tracer) for g, _ in gather_indices):
        # All indices are constants: assemble the index array now, in NumPy.
        full_shape = tuple(gather_indices_shape)
        cols = []
        for g, i in gather_indices:
            v = np.asarray(g._value if type(g) is Array else g, _INDEX_DTYPE)
            v = v.reshape((1,) * i + v.shape + (1,) * (len(full_shape) - i - v.ndim))
            cols.append(np.broadcast_to(v, full_shape)[..., None])
        gather_indices_array = Array(np.concatenate(cols, axis=-1))
    elif len(gather_indices) == 1:
        g, _ = gather_indices[0]
        gather_indices_array = util.expand_dims_lax(g, (len(shape_of(g)),))
    else:
        last = len(gather_indices_shape)
        full_shape = tuple(gather_indices_shape) + (1,)
        gather_indices_array = lax.concatenate(
            [lax.broadcast_in_dim(g, full_shape, tuple(range(i, i + len(shape_of(g)))))
             for g, i in gather_indices], last)
    dnums = lax.GatherDimensionNumbers(
        offset_dims=tuple(offset_dims),
        collapsed_slice_dims=tuple(sorted(collapsed_slice_dims)),
        start_index_map=tuple(start_index_map))
    return _Indexer(tuple(slice_shape), tuple(gather_slice_shape), gather_indices_array,
                    dnums, advanced is None, advanced is None, tuple(reversed_y_dims),
                    tuple(newaxis_dims))


def _check_fill_value(fill_value):
    if fill_value is None:
        return None
    val = core.concrete_or_error(fill_value, "fill_value argument to indexed get()")
    if np.ndim(val) != 0:
        raise ValueError("fill_value argument to indexed get() must be a scalar")
    return np.asarray(val).item()


def _gather(arr, prep: _Prepared, *, indices_are_sorted, unique_indices, mode, fill_value,
            normalize_indices=True):
    y = arr
    if prep.bool_dims:
        y = util.expand_dims_lax(y, prep.bool_dims)
    indexer = _index_to_gather(shape_of(y), prep.idx, prep.advanced_contiguous,
                               normalize_indices)
    fill_value = _check_fill_value(fill_value)
    if math.prod(indexer.slice_shape) == 0:
        return lax.full_like(y, 0, shape=indexer.slice_shape)
    if math.prod(shape_of(indexer.gather_indices)) != 0:
        kwargs = dict(unique_indices=unique_indices or indexer.unique_indices,
                      indices_are_sorted=indices_are_sorted or indexer.indices_are_sorted,
                      mode=mode)
        if fill_value is not None:
            kwargs["fill_value"] = fill_value
        y = _lax("gather")(y, indexer.gather_indices, indexer.dnums,
                           indexer.gather_slice_shape, **kwargs)
    if indexer.reversed_y_dims:
        y = lax.rev(y, indexer.reversed_y_dims)
    if indexer.newaxis_dims:
        y = util.expand_dims_lax(y, indexer.newaxis_dims)
    return y


def getitem(arr, idx, *, indices_are_sorted: bool = False, unique_indices: bool = False,
            mode: Any = None, fill_value: Any = None):
    """arr[idx] with NumPy's semantics (JAX's out-of-bounds rules)."""
    arr = canonicalize_operand(arr)
    if mode is not None and not isinstance(mode, str):
        mode = getattr(mode, "name", mode)
        mode = {"CLIP": "clip", "FILL_OR_DROP": "fill",
                "PROMISE_IN_BOUNDS": "promise_in_bounds"}.get(mode, mode)
    if mode is not None:
        GatherScatterMode.from_any(mode)  # an unknown mode is an error even where unused
    prep = _prepare(idx, shape_of(arr))
    if (not prep.bool_dims and not _has_array_index(prep.idx)
            and (fill_value is None or mode not in ("fill", "drop"))):
        out = _basic_index(arr, prep.idx, mode)
        if out is not None:
            return out
    return _gather(arr, prep, indices_are_sorted=indices_are_sorted,
                   unique_indices=unique_indices, mode=mode, fill_value=fill_value)


# ---------------------------------------------------------------------------
# Scatter: .at[idx].set/add/...

_SCATTER_OPS = {"set": "scatter", "add": "scatter_add", "mul": "scatter_mul",
                "min": "scatter_min", "max": "scatter_max"}


def _combine_whole(op: str, x, y):
    """The update of every element at once (no index at all), without a scatter."""
    if op == "set":
        return y
    if op == "add":
        return lax.add(x, y)
    if op == "mul":
        return lax.mul(x, y)
    if op == "min":
        return _lax("min")(x, y)
    return lax.max(x, y)


def scatter_update(x, idx, y, op: str, *, indices_are_sorted: bool = False,
                   unique_indices: bool = False, mode: Any = None,
                   normalize_indices: bool = True):
    """x with x[idx] combined with y by `op` (set, add, mul, min, max)."""
    x = canonicalize_operand(x)
    if not isinstance(y, (list, tuple)):
        util.check_arraylike(f"at[...].{op}", y)
    y = util.asarray_lax(y)
    dtype, weak = x.dtype, x.weak_type
    prep = _prepare(idx, shape_of(x))
    xx = util.expand_dims_lax(x, prep.bool_dims) if prep.bool_dims else x
    indexer = _index_to_gather(shape_of(xx), prep.idx, prep.advanced_contiguous,
                               normalize_indices)
    if math.prod(indexer.slice_shape) == 0:
        return x
    xx, y = util.promote_dtypes(xx, y)
    y = _broadcast_update(y, indexer.slice_shape)
    if indexer.newaxis_dims:
        y = lax.squeeze(y, indexer.newaxis_dims)
    if indexer.reversed_y_dims:
        y = lax.rev(y, indexer.reversed_y_dims)
    if math.prod(shape_of(indexer.gather_indices)) == 0:
        out = _combine_whole(op, xx, y)
    else:
        dnums = lax.ScatterDimensionNumbers(
            update_window_dims=indexer.dnums.offset_dims,
            inserted_window_dims=indexer.dnums.collapsed_slice_dims,
            scatter_dims_to_operand_dims=indexer.dnums.start_index_map)
        out = _lax(_SCATTER_OPS[op])(
            xx, indexer.gather_indices, y, dnums,
            indices_are_sorted=indexer.indices_are_sorted or indices_are_sorted,
            unique_indices=indexer.unique_indices or unique_indices, mode=mode)
    if prep.bool_dims:
        out = lax.squeeze(out, prep.bool_dims)
    return lax.convert_element_type(out, dtype, weak)


def _broadcast_update(y, shape: tuple):
    y_shape = shape_of(y)
    if y_shape == shape:
        return y
    # NumPy lets an update carry extra leading dimensions of size 1.
    extra = len(y_shape) - len(shape)
    if extra > 0 and all(d == 1 for d in y_shape[:extra]):
        y = lax.reshape(y, y_shape[extra:])
    try:
        return util.broadcast_to_shape(y, shape)
    except ValueError:
        raise ValueError(f"shape mismatch: value array of shape {y_shape} could not be "
                         f"broadcast to indexing result of shape {shape}") from None


class _IndexUpdateHelper:
    """`x.at`: `x.at[idx]` gives an _IndexUpdateRef with set/add/... methods."""
    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array

    def __getitem__(self, index):
        return _IndexUpdateRef(self.array, index)

    def __repr__(self):
        return f"_IndexUpdateHelper({self.array!r})"


class _IndexUpdateRef:
    """Functional updates `x.at[idx].op(values)`; `x` itself never changes."""
    __slots__ = ("array", "index")

    def __init__(self, array, index):
        self.array = array
        self.index = index

    def __repr__(self):
        return f"_IndexUpdateRef({self.array!r}, {self.index!r})"

    def get(self, *, indices_are_sorted=False, unique_indices=False, mode=None,
            fill_value=None, out_sharding=None):
        return getitem(self.array, self.index, indices_are_sorted=indices_are_sorted,
                       unique_indices=unique_indices, mode=mode, fill_value=fill_value)

    def _scatter(self, values, op, indices_are_sorted, unique_indices, mode):
        return scatter_update(self.array, self.index, values, op,
                              indices_are_sorted=indices_are_sorted,
                              unique_indices=unique_indices, mode=mode)

    def set(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return self._scatter(values, "set", indices_are_sorted, unique_indices, mode)

    def add(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return self._scatter(values, "add", indices_are_sorted, unique_indices, mode)

    def subtract(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        from purejax._src.numpy import ufuncs
        return self._scatter(ufuncs.negative(values), "add", indices_are_sorted,
                             unique_indices, mode)

    def multiply(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return self._scatter(values, "mul", indices_are_sorted, unique_indices, mode)

    mul = multiply

    def divide(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        from purejax._src.numpy import array_creation, ufuncs
        ones = array_creation.ones_like(self.array)
        factor = scatter_update(ones, self.index, values, "mul",
                                indices_are_sorted=indices_are_sorted,
                                unique_indices=unique_indices, mode=mode)
        return ufuncs.divide(self.array, factor)

    def power(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        from purejax._src.numpy import array_creation, ufuncs
        ones = array_creation.ones_like(self.array)
        exponent = scatter_update(ones, self.index, values, "mul",
                                  indices_are_sorted=indices_are_sorted,
                                  unique_indices=unique_indices, mode=mode)
        return ufuncs.power(self.array, exponent)

    def min(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return self._scatter(values, "min", indices_are_sorted, unique_indices, mode)

    def max(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return self._scatter(values, "max", indices_are_sorted, unique_indices, mode)


# ---------------------------------------------------------------------------
# take, take_along_axis

def take(a, indices, axis: int | None = None, out=None, mode: str | None = None,
         unique_indices: bool = False, indices_are_sorted: bool = False,
         fill_value: Any = None):
    """Elements of `a` at `indices` along `axis` (the flattened array when None).
    Out-of-bounds indices give fill_value (NaN for floats) by default, as JAX."""
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.take is not supported.")
    util.check_arraylike("take", a, indices)
    a = canonicalize_operand(a)
    indices = canonicalize_operand(indices)
    if not dtypes.is_integer(indices.dtype):
        raise TypeError(f"take: indices must be integers, got {indices.dtype}")
    if axis is None:
        a = lax.reshape(a, (math.prod(shape_of(a)),))
        axis_idx = 0
    else:
        axis_idx = canonicalize_axis(axis, len(shape_of(a)))
    n = shape_of(a)[axis_idx]
    if mode is None or mode == "fill":
        gather_mode = "fill"
        indices = _normalize_dynamic_index(indices, n)
    elif mode == "raise":
        raise NotImplementedError("The 'raise' mode to jnp.take is not supported.")
    elif mode == "wrap":
        from purejax._src.numpy import ufuncs
        indices = lax.convert_element_type(ufuncs.remainder(indices, n), _INDEX_DTYPE)
        gather_mode = "promise_in_bounds"
    elif mode == "clip":
        indices = lax.convert_element_type(indices, _INDEX_DTYPE)
        gather_mode = "clip"
    else:
        raise ValueError(f"Invalid mode '{mode}' for np.take")
    index_dims = len(shape_of(indices))
    slice_sizes = list(shape_of(a))
    if slice_sizes[axis_idx] == 0:
        if math.prod(shape_of(indices)) != 0:
            raise IndexError("Cannot do a non-empty jnp.take() from an empty axis.")
        return a
    if math.prod(shape_of(indices)) == 0:
        out_shape = slice_sizes[:axis_idx] + list(shape_of(indices)) + slice_sizes[axis_idx + 1:]
        return lax.full_like(a, 0, shape=tuple(out_shape))
    slice_sizes[axis_idx] = 1
    nd = len(shape_of(a))
    dnums = lax.GatherDimensionNumbers(
        offset_dims=tuple(list(range(axis_idx)) +
                          list(range(axis_idx + index_dims, nd + index_dims - 1))),
        collapsed_slice_dims=(axis_idx,),
        start_index_map=(axis_idx,))
    kwargs = dict(mode=gather_mode, unique_indices=unique_indices,
                  indices_are_sorted=indices_are_sorted)
    fv = _check_fill_value(fill_value)
    if fv is not None:
        kwargs["fill_value"] = fv
    return _lax("gather")(a, util.expand_dims_lax(indices, (index_dims,)), dnums,
                          tuple(slice_sizes), **kwargs)


def take_along_axis(arr, indices, axis: int | None = -1, mode: str | None = None,
                    fill_value: Any = None):
    """arr's values at `indices` along `axis`, matching the other axes by
    broadcasting (NumPy's take_along_axis). Out-of-bounds indices fill by default."""
    util.check_arraylike("take_along_axis", arr, indices)
    a = canonicalize_operand(arr)
    indices = canonicalize_operand(indices)
    if not dtypes.is_integer(indices.dtype):
        raise TypeError(f"take_along_axis indices must be of integer type, got "
                        f"{indices.dtype}")
    if axis is None:
        if len(shape_of(indices)) != 1:
            raise ValueError("take_along_axis indices must be 1D if axis=None, got shape "
                             f"{shape_of(indices)}")
        a = lax.reshape(a, (math.prod(shape_of(a)),))
        axis = 0
    rank = len(shape_of(a))
    if rank != len(shape_of(indices)):
        raise ValueError("indices and arr must have the same number of dimensions; "
                         f"{len(shape_of(indices))} vs. {rank}")
    axis = canonicalize_axis(axis, rank)
    a_shape = shape_of(a)
    idx_shape = shape_of(indices)
    out_shape = util.broadcast_shapes(idx_shape, a_shape[:axis] + (1,) + a_shape[axis + 1:])
    if a_shape[axis] == 0:
        return lax.full(out_shape, 0, a.dtype)
    index = []
    for i in range(rank):
        if i == axis:
            index.append(indices)
        else:
            s = [1] * rank
            s[i] = a_shape[i]
            index.append(lax.broadcasted_iota(_INDEX_DTYPE, tuple(s), i))
    return getitem(a, tuple(index), mode="fill" if mode is None else mode,
                   fill_value=fill_value)
