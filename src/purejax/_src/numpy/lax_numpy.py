"""jnp shape manipulation (reshape, transpose, concatenate, split, tile, repeat,
flip, roll, ...) and selection (where, select, clip, nonzero), lowered to lax."""
from __future__ import annotations

import builtins
import math
from typing import Any, Sequence

import numpy as np

from purejax._src import core, dtypes
from purejax._src import lax
from purejax._src.array import Array
from purejax._src.core import Tracer
from purejax._src.errors import ConcretizationTypeError
from purejax._src.numpy import util
from purejax._src.numpy.util import (canonicalize_axis, canonicalize_operand,
                                     canonicalize_shape, check_arraylike,
                                     check_user_dtype_supported, expand_dims_lax, ndim_of,
                                     shape_of)

_max = builtins.max
_min = builtins.min


def _size(a: Any) -> int:
    return math.prod(shape_of(a))


def asarray(a: Any, dtype: Any = None):
    """jnp.asarray (defined in array_creation; imported lazily to avoid a cycle)."""
    from purejax._src.numpy.array_creation import asarray as _asarray
    return _asarray(a, dtype=dtype)


def _iscomplexobj(x: Any) -> bool:
    return x is not None and dtypes.is_complex(dtypes.dtype(x))

def _compute_newshape(a: Any, newshape: Any) -> tuple:
    if isinstance(newshape, (int, np.integer)) or (
            isinstance(newshape, (Array, np.ndarray)) and np.ndim(newshape) == 0):
        newshape = (newshape,)
    newshape = tuple(util.concrete_int(d, "reshape's new shape") for d in newshape)
    total = math.prod(shape_of(a))
    if builtins.sum(d == -1 for d in newshape) > 1:
        raise ValueError("can only specify one unknown dimension")
    if -1 in newshape:
        known = math.prod(d for d in newshape if d != -1)
        if known == 0 or total % known:
            raise TypeError(f"cannot reshape array of shape {shape_of(a)} (size {total}) into "
                            f"shape {newshape}")
        newshape = tuple(total // known if d == -1 else d for d in newshape)
    if math.prod(newshape) != total or builtins.any(d < 0 for d in newshape):
        raise TypeError(f"cannot reshape array of shape {shape_of(a)} (size {total}) into "
                        f"shape {newshape}")
    return newshape


def reshape(a: Any, shape: Any = None, order: str = "C", *, newshape: Any = None,
            copy: bool | None = None):
    if shape is None:
        if newshape is None:
            raise TypeError("reshape() missing required argument 'shape'")
        shape = newshape
    check_arraylike("reshape", a)
    a = canonicalize_operand(a)
    new = _compute_newshape(a, shape)
    if order == "C":
        return lax.reshape(a, new)
    if order == "F":
        nd = ndim_of(a)
        x = lax.transpose(a, tuple(range(nd - 1, -1, -1)))
        x = lax.reshape(x, new[::-1])
        return lax.transpose(x, tuple(range(len(new) - 1, -1, -1)))
    if order == "A":
        raise NotImplementedError("np.reshape order=A is not implemented.")
    raise ValueError(f"Unexpected value for 'order' argument: {order}.")


def ravel(a: Any, order: str = "C"):
    check_arraylike("ravel", a)
    if order == "K":
        raise NotImplementedError("Ravel not implemented for order='K'.")
    return reshape(a, (_size(a),), order)


def transpose(a: Any, axes: Sequence[int] | None = None):
    check_arraylike("transpose", a)
    a = canonicalize_operand(a)
    nd = ndim_of(a)
    if axes is None:
        perm = tuple(range(nd - 1, -1, -1))
    else:
        perm = tuple(canonicalize_axis(i, nd) for i in axes)
        if sorted(perm) != list(range(nd)):
            raise ValueError(f"axes {tuple(axes)} don't match array of dimension {nd}")
    return lax.transpose(a, perm)


def permute_dims(a: Any, axes: Sequence[int]):
    return transpose(a, axes)


def matrix_transpose(x: Any):
    nd = ndim_of(x)
    if nd < 2:
        raise ValueError(f"x must be at least two-dimensional for matrix_transpose; got "
                         f"ndim={nd}")
    return transpose(x, tuple(range(nd - 2)) + (nd - 1, nd - 2))


def _as_axes(x) -> tuple:
    return (x,) if isinstance(x, (int, np.integer)) else tuple(x)


def moveaxis(a: Any, source: Any, destination: Any):
    check_arraylike("moveaxis", a)
    a = canonicalize_operand(a)
    nd = ndim_of(a)
    src = tuple(canonicalize_axis(i, nd) for i in _as_axes(source))
    dst = tuple(canonicalize_axis(i, nd) for i in _as_axes(destination))
    if len(src) != len(dst):
        raise ValueError("Inconsistent number of elements: {} vs {}".format(len(src), len(dst)))
    perm = [i for i in range(nd) if i not in src]
    for d, s in sorted(zip(dst, src)):
        perm.insert(d, s)
    return lax.transpose(a, tuple(perm))


def swapaxes(a: Any, axis1: int, axis2: int):
    check_arraylike("swapaxes", a)
    a = canonicalize_operand(a)
    nd = ndim_of(a)
    perm = list(range(nd))
    i, j = canonicalize_axis(axis1, nd), canonicalize_axis(axis2, nd)
    perm[i], perm[j] = perm[j], perm[i]
    return lax.transpose(a, tuple(perm))


def squeeze(a: Any, axis: int | Sequence[int] | None = None):
    check_arraylike("squeeze", a)
    a = canonicalize_operand(a)
    s = shape_of(a)
    if axis is None:
        dims = tuple(i for i, d in enumerate(s) if d == 1)
    else:
        dims = tuple(sorted(canonicalize_axis(i, len(s)) for i in _as_axes(axis)))
        if builtins.any(s[d] != 1 for d in dims):
            raise ValueError("cannot select an axis to squeeze out which has size not equal "
                             f"to one, got shape={s} and dimensions={tuple(_as_axes(axis))}")
    if not dims:
        return a
    return lax.squeeze(a, dims)


def expand_dims(a: Any, axis: int | Sequence[int]):
    check_arraylike("expand_dims", a)
    return expand_dims_lax(canonicalize_operand(a), _as_axes(axis))


def broadcast_to(array: Any, shape: Any):
    check_arraylike("broadcast_to", array)
    arr = canonicalize_operand(array)
    shape = canonicalize_shape(shape, "broadcast_to")
    return util.broadcast_to_shape(arr, shape)


def broadcast_arrays(*args: Any) -> list:
    check_arraylike("broadcast_arrays", *args)
    return util.broadcast_arrays(*args)


def broadcast_shapes(*shapes: Any) -> tuple:
    return util.broadcast_shapes(*(canonicalize_shape(s) for s in shapes))


def _slice_axis(x: Any, start: int, stop: int, axis: int):
    """x[start:stop] along `axis` with static, in-bounds, ordered start <= stop."""
    s = shape_of(x)
    if start == 0 and stop == s[axis]:
        return x
    starts = [0] * len(s)
    limits = list(s)
    starts[axis], limits[axis] = start, stop
    return lax.slice(x, tuple(starts), tuple(limits))


def concatenate(arrays: Any, axis: int | None = 0, dtype: Any = None):
    if isinstance(arrays, (Array, Tracer, np.ndarray)):
        arrays = list(arrays)
    check_arraylike("concatenate", *arrays)
    if not len(arrays):
        raise ValueError("Need at least one array to concatenate.")
    if ndim_of(arrays[0]) == 0:
        raise ValueError("Zero-dimensional arrays cannot be concatenated.")
    if axis is None:
        return concatenate([ravel(a) for a in arrays], axis=0, dtype=dtype)
    axis = canonicalize_axis(axis, ndim_of(arrays[0]))
    if dtype is None:
        out = util.promote_dtypes(*arrays)
    else:
        out = [asarray(a, dtype=dtype) for a in arrays]
    if len(out) == 1:
        return out[0]
    ref = shape_of(out[0])
    for o in out[1:]:
        s = shape_of(o)
        if len(s) != len(ref) or builtins.any(a != b for i, (a, b) in enumerate(zip(s, ref))
                                             if i != axis):
            raise ValueError("All input array dimensions other than the concatenation axis "
                             f"must match exactly, got shapes {[shape_of(o) for o in out]} "
                             f"for axis {axis}.")
    return lax.concatenate(out, axis)


def concat(arrays: Any, /, *, axis: int | None = 0):
    return concatenate(arrays, axis=axis)


def stack(arrays: Any, axis: int = 0, out: None = None, dtype: Any = None):
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.stack is not supported.")
    if not len(arrays):
        raise ValueError("Need at least one array to stack.")
    if isinstance(arrays, (Array, Tracer, np.ndarray)):
        arrays = list(arrays)
    check_arraylike("stack", *arrays)
    shapes = {shape_of(a) for a in arrays}
    if len(shapes) != 1:
        raise ValueError("All input arrays must have the same shape.")
    axis = canonicalize_axis(axis, ndim_of(arrays[0]) + 1)
    new = [expand_dims_lax(canonicalize_operand(a), (axis,)) for a in arrays]
    return concatenate(new, axis=axis, dtype=dtype)


def atleast_1d(*arys: Any):
    out = [asarray(a) for a in arys]
    out = [a if ndim_of(a) >= 1 else lax.reshape(a, (1,)) for a in out]
    return out[0] if len(out) == 1 else out


def atleast_2d(*arys: Any):
    out = []
    for a in arys:
        a = asarray(a)
        nd = ndim_of(a)
        out.append(a if nd >= 2 else lax.reshape(a, (1, _size(a))))
    return out[0] if len(out) == 1 else out


def atleast_3d(*arys: Any):
    out = []
    for a in arys:
        a = asarray(a)
        nd = ndim_of(a)
        if nd == 0:
            a = lax.reshape(a, (1, 1, 1))
        elif nd == 1:
            a = expand_dims_lax(a, (0, 2))
        elif nd == 2:
            a = expand_dims_lax(a, (2,))
        out.append(a)
    return out[0] if len(out) == 1 else out


def _seq(tup: Any) -> list:
    if isinstance(tup, (Array, Tracer, np.ndarray)):
        return list(tup)
    return list(tup)


def hstack(tup: Any, dtype: Any = None):
    arrs = [atleast_1d(a) for a in _seq(tup)]
    return concatenate(arrs, axis=0 if ndim_of(arrs[0]) == 1 else 1, dtype=dtype)


def vstack(tup: Any, dtype: Any = None):
    return concatenate([atleast_2d(a) for a in _seq(tup)], axis=0, dtype=dtype)


def dstack(tup: Any, dtype: Any = None):
    return concatenate([atleast_3d(a) for a in _seq(tup)], axis=2, dtype=dtype)


def column_stack(tup: Any):
    arrs = []
    for a in _seq(tup):
        a = asarray(a)
        arrs.append(a if ndim_of(a) >= 2 else lax.reshape(a, (_size(a), 1)))
    return concatenate(arrs, axis=1)


def _split(op: str, ary: Any, indices_or_sections: Any, axis: int) -> list:
    check_arraylike(op, ary)
    ary = canonicalize_operand(ary)
    axis = canonicalize_axis(axis, ndim_of(ary))
    n = shape_of(ary)[axis]
    if isinstance(indices_or_sections, (tuple, list)) or (
            isinstance(indices_or_sections, (np.ndarray, Array))
            and np.ndim(indices_or_sections) > 0):
        idx = [util.concrete_int(i, f"indices argument of jnp.{op}")
               for i in indices_or_sections]
        bounds = [0] + idx + [n]
        pieces = []
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            lo_c = _min(_max(lo + n if lo < 0 else lo, 0), n)
            hi_c = _min(_max(hi + n if hi < 0 else hi, 0), n)
            pieces.append(_slice_axis(ary, lo_c, _max(lo_c, hi_c), axis))
        return pieces
    sections = util.concrete_int(indices_or_sections, f"sections argument of jnp.{op}")
    if sections <= 0:
        raise ValueError("number sections must be larger than 0.")
    part, r = divmod(n, sections)
    if r == 0:
        sizes = [part] * sections
    elif op == "array_split":
        sizes = [part + 1] * r + [part] * (sections - r)
    else:
        raise ValueError(f"array split does not result in an equal division: rest is {r}")
    out, start = [], 0
    for s in sizes:
        out.append(_slice_axis(ary, start, start + s, axis))
        start += s
    return out


def split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list:
    return _split("split", ary, indices_or_sections, axis)


def array_split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list:
    return _split("array_split", ary, indices_or_sections, axis)


def hsplit(ary: Any, indices_or_sections: Any) -> list:
    return split(ary, indices_or_sections, axis=0 if ndim_of(ary) == 1 else 1)


def vsplit(ary: Any, indices_or_sections: Any) -> list:
    return split(ary, indices_or_sections, axis=0)


def tile(A: Any, reps: Any):
    check_arraylike("tile", A)
    A = canonicalize_operand(A)
    reps_t = (util.concrete_int(reps, "reps of jnp.tile"),) if np.ndim(reps) == 0 else \
        tuple(util.concrete_int(r, "reps of jnp.tile") for r in reps)
    a_shape = (1,) * (len(reps_t) - ndim_of(A)) + shape_of(A)
    reps_t = (1,) * (len(a_shape) - len(reps_t)) + reps_t
    x = lax.reshape(A, tuple(j for i in a_shape for j in (1, i)))
    x = util.broadcast_to_shape(x, tuple(k for pair in zip(reps_t, a_shape) for k in pair))
    return lax.reshape(x, tuple(int(a * r) for a, r in zip(a_shape, reps_t)))


def repeat(a: Any, repeats: Any, axis: int | None = None, *,
           total_repeat_length: int | None = None):
    """Repeat elements; `repeats` must be concrete (a static int or array of ints)."""
    check_arraylike("repeat", a)
    a = canonicalize_operand(a)
    if axis is None:
        a = ravel(a)
        axis = 0
    axis = canonicalize_axis(axis, ndim_of(a))
    try:
        reps = np.asarray(core.concrete_or_error(repeats, "repeats argument of jnp.repeat"))
    except ConcretizationTypeError:
        raise ConcretizationTypeError(
            "jnp.repeat with traced `repeats` is not supported by purejax: the output "
            "shape depends on the values. Pass concrete repeats.") from None
    n = shape_of(a)[axis]
    if reps.ndim == 0:
        r = int(reps)
        in_shape = list(shape_of(a))
        x = expand_dims_lax(a, (axis + 1,))
        tshape = list(shape_of(x))
        tshape[axis + 1] = r
        x = util.broadcast_to_shape(x, tuple(tshape))
        in_shape[axis] *= r
        out = lax.reshape(x, tuple(in_shape))
    else:
        if reps.shape != (n,):
            raise ValueError(f"repeat: repeats must have shape ({n},) to match axis {axis}, "
                             f"got {reps.shape}")
        idx = np.repeat(np.arange(n), reps).astype(np.int32)
        from purejax._src.numpy import indexing
        out = indexing.take(a, Array(idx), axis=axis, mode="clip")
    if total_repeat_length is not None:
        length = shape_of(out)[axis]
        if length > total_repeat_length:
            out = _slice_axis(out, 0, total_repeat_length, axis)
        elif length < total_repeat_length:
            from purejax._src.numpy import indexing
            last = Array(np.full((total_repeat_length - length,), length - 1, np.int32))
            tail = indexing.take(out, last, axis=axis, mode="clip")
            out = concatenate([out, tail], axis=axis)
    return out


def flip(m: Any, axis: int | Sequence[int] | None = None):
    check_arraylike("flip", m)
    m = canonicalize_operand(m)
    nd = ndim_of(m)
    dims = tuple(range(nd)) if axis is None else \
        tuple(sorted(canonicalize_axis(i, nd) for i in _as_axes(axis)))
    return lax.rev(m, dims) if dims else m


def fliplr(m: Any):
    return flip(m, 1)


def flipud(m: Any):
    return flip(m, 0)


def rot90(m: Any, k: int = 1, axes: tuple[int, int] = (0, 1)):
    m = canonicalize_operand(m)
    ax1, ax2 = (canonicalize_axis(a, ndim_of(m)) for a in axes)
    k = k % 4
    if k == 0:
        return m
    if k == 2:
        return flip(flip(m, ax1), ax2)
    perm = list(range(ndim_of(m)))
    perm[ax1], perm[ax2] = perm[ax2], perm[ax1]
    return lax.transpose(flip(m, ax2), tuple(perm)) if k == 1 else \
        flip(lax.transpose(m, tuple(perm)), ax2)


def roll(a: Any, shift: Any, axis: int | Sequence[int] | None = None):
    check_arraylike("roll", a)
    a = canonicalize_operand(a)
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), shape_of(a))
    nd = ndim_of(a)
    axes = np.atleast_1d(np.asarray(axis))
    if core.is_concrete(shift):
        shifts = np.atleast_1d(np.asarray(core.concrete_or_error(shift)))
        axes_b, shifts_b = np.broadcast_arrays(axes, shifts)
        for ax, s in zip(axes_b.tolist(), shifts_b.tolist()):
            ax = canonicalize_axis(ax, nd)
            n = shape_of(a)[ax]
            if n == 0:
                continue
            i = (-int(s)) % n
            if i:
                a = lax.concatenate([_slice_axis(a, i, n, ax), _slice_axis(a, 0, i, ax)], ax)
        return a
    # Traced shift: take a window of the array concatenated with itself.
    shift = canonicalize_operand(shift)
    if ndim_of(shift) > 1:
        raise ValueError("jnp.roll: shift must be a scalar or 1-D")
    shift_arr = lax.reshape(shift, (_size(shift),)) if ndim_of(shift) else None
    nshift = _size(shift) if shift_arr is not None else 1
    axes_list = axes.tolist() * (nshift if len(axes) == 1 else 1)
    for j, ax in enumerate(axes_list):
        ax = canonicalize_axis(ax, nd)
        n = shape_of(a)[ax]
        if n == 0:
            continue
        s = shift if shift_arr is None else lax.squeeze(
            lax.slice(shift_arr, (j,), (j + 1,)), (0,))
        s = lax.convert_element_type(s, np.dtype(np.int32))
        from purejax._src.numpy import ufuncs
        s = ufuncs.remainder(s, n)
        doubled = lax.concatenate([a, a], ax)
        starts = [Array(np.asarray(0, np.int32))] * nd
        starts[ax] = lax.sub(Array(np.asarray(n, np.int32)), s)
        a = lax.dynamic_slice(doubled, starts, shape_of(a))
    return a


def astype(x: Any, dtype: Any, /, *, copy: bool = False, device: Any = None):
    check_arraylike("astype", x)
    check_user_dtype_supported(dtype, "astype")
    x = canonicalize_operand(x)
    dtype = dtypes.canonicalize_dtype(dtype)
    if dtype == np.bool_ and dtypes.is_complex(x.dtype):
        # As JAX: convert_element_type(complex, bool) looks only at the real part,
        # but astype means "nonzero", so 1j is True.
        x = lax.ne(x, lax.full((), 0, x.dtype))
    return lax.convert_element_type(x, dtype, False)


def nonzero(a: Any, *, size: int | None = None, fill_value: Any = None) -> tuple:
    """Indices of nonzero elements. Needs a concrete input (the output shape
    depends on the values) unless `size` is given."""
    check_arraylike("nonzero", a)
    a = canonicalize_operand(a)
    if ndim_of(a) == 0:
        raise ValueError("Calling nonzero on 0d arrays is not allowed. Use "
                         "jnp.atleast_1d(scalar).nonzero() instead.")
    idx_dtype = dtypes.default_int_dtype()
    if core.is_concrete(a):
        val = np.asarray(core.concrete_or_error(a))
        out = np.nonzero(val)
        if size is not None:
            size = util.concrete_int(size, "size argument of jnp.nonzero")
            fills = (0,) * len(out) if fill_value is None else (
                tuple(np.broadcast_to(np.asarray(fill_value), (len(out),)).tolist())
                if np.ndim(fill_value) <= 1 else fill_value)
            out = tuple(np.concatenate([o[:size], np.full(_max(0, size - len(o)), f, o.dtype)])
                        for o, f in zip(out, fills))
        return tuple(Array(o.astype(idx_dtype)) for o in out)
    if size is None:
        raise ConcretizationTypeError(
            "The size argument of jnp.nonzero must be statically specified to use "
            "jnp.nonzero within JAX transformations.")
    from purejax._src.numpy import reductions, ufuncs
    size = util.concrete_int(size, "size argument of jnp.nonzero")
    mask = a if a.dtype == np.bool_ else lax.ne(a, util.lax_const(a, 0))
    flat = ravel(mask)
    n = shape_of(flat)[0]
    # position k of the output holds the flat index of the k-th True: count, for each
    # output slot k, how many prefix sums are <= k.
    csum = reductions.cumsum(lax.convert_element_type(flat, idx_dtype))
    ks = lax.iota(idx_dtype, size)
    le = lax.le(util.broadcast_to_shape(expand_dims_lax(csum, (0,)), (size, n)),
                util.broadcast_to_shape(expand_dims_lax(ks, (1,)), (size, n)))
    flat_idx = reductions.sum(le, axis=1, dtype=idx_dtype)
    total = reductions.sum(flat, dtype=idx_dtype)
    valid = lax.lt(ks, lax.broadcast_in_dim(total, (size,), ()))
    strides = np.cumprod((1,) + shape_of(a)[::-1][:-1])[::-1]
    out = []
    fills = (0,) * ndim_of(a) if fill_value is None else np.broadcast_to(
        np.asarray(core.concrete_or_error(fill_value)), (ndim_of(a),)).tolist()
    for stride, dim, f in zip(strides.tolist(), shape_of(a), fills):
        coord = ufuncs.remainder(ufuncs.floor_divide(flat_idx, int(stride)), int(dim))
        out.append(util.where(valid, coord, Array(np.asarray(f, idx_dtype))))
    return tuple(out)


def flatnonzero(a: Any, *, size: int | None = None, fill_value: Any = None):
    return nonzero(ravel(a), size=size, fill_value=fill_value)[0]


def argwhere(a: Any, *, size: int | None = None, fill_value: Any = None):
    a = atleast_1d(a)
    res = nonzero(a, size=size, fill_value=fill_value)
    return stack(res, axis=1) if res else lax.full((0, 0), 0, dtypes.default_int_dtype())


def where(condition: Any, x: Any = None, y: Any = None, *, size: int | None = None,
          fill_value: Any = None):
    """where(c, x, y) selects elementwise; where(c) is nonzero(c).

    The value of the unselected branch never leaks into the result (a NaN there is
    harmless), but its gradient does: select's transpose sends a zero cotangent to
    the unselected branch, and 0 * inf = NaN in that branch's own derivative, as in
    JAX. Use the "double where" trick to avoid it."""
    if x is None and y is None:
        check_arraylike("where", condition)
        return nonzero(condition, size=size, fill_value=fill_value)
    if x is None or y is None:
        raise ValueError("Either both or neither of the x and y arguments should be "
                         f"provided to jax.numpy.where, got {x} and {y}.")
    return util.where(condition, x, y)


def select(condlist: Sequence, choicelist: Sequence, default: Any = 0):
    if len(condlist) != len(choicelist):
        raise ValueError(f"condlist must have length equal to choicelist ({len(condlist)} "
                         f"vs {len(choicelist)})")
    if len(condlist) == 0:
        raise ValueError("condlist must be non-empty")
    check_arraylike("select", *condlist, *choicelist, default)
    for c in condlist:
        if dtypes.dtype(c) != np.bool_:
            raise ValueError("condlist entries must be boolean arrays, got "
                             f"{dtypes.dtype(c)}")
    choices = util.promote_dtypes(default, *choicelist)
    out = choices[0]
    # The first true condition wins: fold from the last choice to the first.
    for c, v in reversed(list(zip(condlist, choices[1:]))):
        out = util.where(c, v, out)
    return out


def clip(arr: Any = None, /, min: Any = None, max: Any = None, *, a: Any = None,
         a_min: Any = None, a_max: Any = None):
    """Clip to [min, max] (either may be None). `a`, `a_min`, `a_max` are the older
    keyword names, accepted as in JAX."""
    from purejax._src.numpy import ufuncs
    if a is not None:
        if arr is not None:
            raise ValueError("clip: pass the array positionally or as `a`, not both")
        arr = a
    if a_min is not None:
        if min is not None:
            raise ValueError("clip: pass either min or a_min, not both")
        min = a_min
    if a_max is not None:
        if max is not None:
            raise ValueError("clip: pass either max or a_max, not both")
        max = a_max
    check_arraylike("clip", arr)
    if builtins.any(_iscomplexobj(t) for t in (arr, min, max)):
        raise ValueError(
            "Clip received a complex value either through the input or the min/max "
            "keywords. Complex values have no ordering and cannot be clipped. Please "
            "convert to a real value or array by taking the real or imaginary components "
            "via jax.numpy.real/imag respectively.")
    if min is not None:
        arr = ufuncs.maximum(min, arr)
    if max is not None:
        arr = ufuncs.minimum(max, arr)
    return asarray(arr)


def unravel_index(indices_: Any, shape_: Sequence[int]) -> tuple:
    from purejax._src.numpy import ufuncs
    check_arraylike("unravel_index", indices_)
    idx = canonicalize_operand(indices_)
    dims = canonicalize_shape(shape_, "unravel_index")
    total = math.prod(dims)
    idx = clip(idx, -total, total - 1)
    idx = util.where(lax.lt(idx, util.lax_const(idx, 0)), ufuncs.add(idx, total), idx)
    out = []
    for d in reversed(dims):
        out.append(ufuncs.remainder(idx, d))
        idx = ufuncs.floor_divide(idx, d)
    return tuple(reversed(out))


def ravel_multi_index(multi_index: Sequence, dims: Sequence[int], mode: str = "raise",
                      order: str = "C"):
    from purejax._src.numpy import ufuncs
    dims = canonicalize_shape(dims, "ravel_multi_index")
    if mode == "raise":
        raise NotImplementedError("The 'raise' mode to jnp.ravel_multi_index is not "
                                  "supported.")
    idx = [asarray(i) for i in multi_index]
    if mode == "wrap":
        idx = [ufuncs.remainder(i, d) for i, d in zip(idx, dims)]
    else:
        idx = [clip(i, 0, d - 1) for i, d in zip(idx, dims)]
    strides = np.cumprod((1,) + dims[::-1][:-1])[::-1] if order == "C" else \
        np.cumprod((1,) + dims[:-1])
    out = Array(np.asarray(0, dtypes.default_int_dtype()))
    for i, s in zip(idx, strides.tolist()):
        out = ufuncs.add(out, ufuncs.multiply(i, int(s)))
    return out

