"""Shape and type primitives: convert_element_type, broadcast_in_dim, reshape,
transpose, select_n, and the constant builders on top of them."""
from __future__ import annotations

import warnings

import numpy as np

from purejax._src import core, dtypes
from purejax._src.core import Primitive, ShapedArray
from purejax._src.interpreters import ad, batching
from purejax._src.interpreters.ad import Zero, is_undefined_primal
from purejax._src.prims._util import check_dtype, is_int_or_bool


# --- convert_element_type ---------------------------------------------------
convert_element_type_p = Primitive("convert_element_type")


def _convert_impl(x, *, new_dtype, weak_type):
    if x.dtype == new_dtype:
        return x
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
        if np.issubdtype(x.dtype, np.complexfloating) and not np.issubdtype(new_dtype, np.complexfloating):
            x = np.real(x)
        if np.issubdtype(x.dtype, np.floating) and np.issubdtype(new_dtype, np.integer):
            # float -> int truncates toward zero; nan/inf give 0 / saturate like XLA on CPU
            with np.errstate(invalid="ignore"):
                info = np.iinfo(new_dtype)
                x = np.where(np.isnan(x), 0, np.clip(np.trunc(x), info.min, info.max))
        return np.asarray(x).astype(new_dtype)


convert_element_type_p.impl = _convert_impl
convert_element_type_p.abstract_eval = lambda x, *, new_dtype, weak_type: ShapedArray(
    x.shape, new_dtype, weak_type)
convert_element_type_p.weak_type_rule = lambda w, *, new_dtype, weak_type: weak_type


def _convert_jvp(primals, tangents, *, new_dtype, weak_type):
    (x,), (t,) = primals, tangents
    out = convert_element_type_p.bind(x, new_dtype=new_dtype, weak_type=weak_type)
    if type(t) is Zero or not dtypes.is_inexact(new_dtype) or not dtypes.is_inexact(
            core.get_aval(x).dtype):
        return out, Zero.from_primal_value(out)
    return out, convert_element_type_p.bind(t, new_dtype=new_dtype, weak_type=weak_type)


def _convert_transpose(ct, x, *, new_dtype, weak_type):
    if type(ct) is Zero:
        return [None]
    old = x.aval
    return [convert_element_type_p.bind(ct, new_dtype=old.dtype, weak_type=old.weak_type)]


convert_element_type_p.jvp = _convert_jvp
convert_element_type_p.transpose = _convert_transpose
batching.defvectorized(convert_element_type_p)


def convert_element_type(x, new_dtype, weak_type: bool = False):
    new_dtype = dtypes.canonicalize_dtype(new_dtype)
    if dtypes.is_python_scalar(x):
        from purejax._src.array import Array
        return Array(np.asarray(x, dtype=new_dtype), weak_type)
    aval = core.get_aval(x)
    if aval.dtype == new_dtype and aval.weak_type == weak_type:
        return x
    return convert_element_type_p.bind(x, new_dtype=new_dtype, weak_type=weak_type)


# --- broadcast_in_dim -------------------------------------------------------
broadcast_in_dim_p = Primitive("broadcast_in_dim")


def _bid_impl(x, *, shape, broadcast_dimensions):
    expanded = [1] * len(shape)
    for i, d in enumerate(broadcast_dimensions):
        expanded[d] = x.shape[i]
    return np.broadcast_to(np.reshape(x, expanded), shape)


def _bid_abstract(x, *, shape, broadcast_dimensions):
    if len(broadcast_dimensions) != x.ndim:
        raise TypeError(f"broadcast_in_dim: broadcast_dimensions {broadcast_dimensions} must "
                        f"have one entry per operand dimension, operand shape {x.shape}")
    for i, d in enumerate(broadcast_dimensions):
        if not (0 <= d < len(shape)) or x.shape[i] not in (1, shape[d]):
            raise TypeError(f"broadcast_in_dim: operand shape {x.shape} cannot be broadcast "
                            f"to {shape} with broadcast_dimensions {broadcast_dimensions}")
    return ShapedArray(tuple(shape), x.dtype, x.weak_type)


def _bid_transpose(ct, x, *, shape, broadcast_dimensions):
    from purejax._src.prims.reductions import reduce_sum
    in_shape = x.aval.shape
    summed = tuple(i for i in range(len(shape)) if i not in broadcast_dimensions)
    kept_ones = tuple(d for i, d in enumerate(broadcast_dimensions)
                      if in_shape[i] == 1 and shape[d] != 1)
    ct = reduce_sum(ct, tuple(sorted(summed + kept_ones)))
    return [reshape(ct, in_shape)]


def _bid_batch(args, dims, *, shape, broadcast_dimensions):
    (x,), (d,) = args, dims
    x = batching.moveaxis(x, d, 0)
    size = core.get_aval(x).shape[0]
    return broadcast_in_dim(x, (size,) + tuple(shape),
                            (0,) + tuple(b + 1 for b in broadcast_dimensions)), 0


broadcast_in_dim_p.impl = _bid_impl
broadcast_in_dim_p.abstract_eval = _bid_abstract
ad.deflinear1(broadcast_in_dim_p, lambda ct, x, **p: _bid_transpose(ct, x, **p)[0])
broadcast_in_dim_p.batch = _bid_batch


def broadcast_in_dim(x, shape, broadcast_dimensions):
    shape = tuple(int(s) for s in shape)
    aval = core.get_aval(x)
    if aval.shape == shape and tuple(broadcast_dimensions) == tuple(range(len(shape))):
        return x
    return broadcast_in_dim_p.bind(x, shape=shape,
                                   broadcast_dimensions=tuple(broadcast_dimensions))


# --- reshape ----------------------------------------------------------------
reshape_p = Primitive("reshape")
reshape_p.impl = lambda x, *, new_sizes, dimensions: np.reshape(x, new_sizes)


def _reshape_abstract(x, *, new_sizes, dimensions):
    if int(np.prod(new_sizes, dtype=np.int64)) != x.size:
        raise TypeError(f"reshape total size must be unchanged, got new_sizes {new_sizes} "
                        f"for shape {x.shape}.")
    return ShapedArray(tuple(new_sizes), x.dtype, x.weak_type)


def _reshape_batch(args, dims, *, new_sizes, dimensions):
    (x,), (d,) = args, dims
    x = batching.moveaxis(x, d, 0)
    return reshape(x, (core.get_aval(x).shape[0],) + tuple(new_sizes)), 0


reshape_p.abstract_eval = _reshape_abstract
ad.deflinear1(reshape_p, lambda ct, x, **p: reshape(ct, x.aval.shape))
reshape_p.batch = _reshape_batch


def reshape(x, new_sizes, dimensions=None):
    new_sizes = tuple(int(s) for s in new_sizes)
    if dimensions is not None:
        x = transpose(x, tuple(dimensions))
    if core.get_aval(x).shape == new_sizes:
        return x
    return reshape_p.bind(x, new_sizes=new_sizes, dimensions=None)


# --- transpose --------------------------------------------------------------
transpose_p = Primitive("transpose")
transpose_p.impl = lambda x, *, permutation: np.transpose(x, permutation)


def _transpose_abstract(x, *, permutation):
    if sorted(permutation) != list(range(x.ndim)):
        raise TypeError(f"transpose permutation {permutation} is not a permutation of the "
                        f"operand's {x.ndim} dimensions")
    return ShapedArray(tuple(x.shape[p] for p in permutation), x.dtype, x.weak_type)


def _transpose_batch(args, dims, *, permutation):
    (x,), (d,) = args, dims
    x = batching.moveaxis(x, d, 0)
    return transpose(x, (0,) + tuple(p + 1 for p in permutation)), 0


transpose_p.abstract_eval = _transpose_abstract
ad.deflinear1(transpose_p,
              lambda ct, x, *, permutation: transpose(ct, tuple(np.argsort(permutation))))
transpose_p.batch = _transpose_batch


def transpose(x, permutation):
    permutation = tuple(int(p) for p in permutation)
    if permutation == tuple(range(len(permutation))):
        return x
    return transpose_p.bind(x, permutation=permutation)


# --- select_n: cases[which] elementwise; which is bool (2 cases) or int32 -----
select_n_p = Primitive("select_n")


def _select_n_impl(which, *cases):
    if which.dtype == np.bool_:
        return np.where(which, cases[1], cases[0])
    return np.choose(which, cases, mode="clip") if len(cases) > 1 else cases[0]


def _select_n_abstract(which, *cases):
    if not cases:
        raise TypeError("select_n requires at least one case")
    check_dtype("select_n (which)", is_int_or_bool, which.dtype)
    if which.dtype == np.bool_ and len(cases) > 2:
        raise TypeError("select_n with a bool predicate takes at most 2 cases")
    c0 = cases[0]
    for c in cases[1:]:
        if c.shape != c0.shape or c.dtype != c0.dtype:
            raise TypeError(f"select_n cases must have the same shapes and dtypes, got "
                            f"{', '.join(c.str_short() for c in cases)}")
    if which.shape not in ((), c0.shape):
        raise TypeError(f"select_n `which` must be scalar or have the cases' shape "
                        f"{c0.shape}, got {which.shape}")
    return ShapedArray(c0.shape, c0.dtype, all(c.weak_type for c in cases))


def _select_n_jvp(primals, tangents):
    which, *cases = primals
    out = select_n_p.bind(which, *cases)
    ts = tangents[1:]
    if all(type(t) is Zero for t in ts):
        return out, Zero.from_primal_value(out)
    return out, select_n_p.bind(which, *map(ad.instantiate_zeros, ts))


def _select_n_transpose(ct, which, *cases):
    assert not is_undefined_primal(which)
    if type(ct) is Zero:
        return [None] * (1 + len(cases))
    zeros = full_like(ct, 0)
    outs = [None]
    for i, c in enumerate(cases):
        if is_undefined_primal(c):
            branch = [zeros] * len(cases)
            branch[i] = ct
            outs.append(select_n_p.bind(which, *branch))
        else:
            outs.append(None)
    return outs


select_n_p.impl = _select_n_impl
select_n_p.abstract_eval = _select_n_abstract
select_n_p.weak_type_rule = lambda w: all(w[1:])
select_n_p.jvp = _select_n_jvp
select_n_p.transpose = _select_n_transpose
batching.defbroadcasting(select_n_p)


def select_n(which, *cases):
    return select_n_p.bind(which, *cases)


# --- constants ----------------------------------------------------------------
def full(shape, fill_value, dtype=None):
    shape = tuple(int(s) for s in shape)
    if dtype is None:
        dtype = dtypes.dtype(fill_value, canonicalize=True)
        weak = dtypes.is_weakly_typed(fill_value)
    else:
        weak = False
    x = convert_element_type(fill_value, dtypes.canonicalize_dtype(dtype), weak)
    return broadcast_in_dim(x, shape, ()) if shape else x


def full_like(x, fill_value, dtype=None, shape=None):
    aval = core.get_aval(x)
    dt = aval.dtype if dtype is None else dtypes.canonicalize_dtype(dtype)
    weak = aval.weak_type if dtype is None else False
    val = convert_element_type(fill_value, dt, weak)
    shape = aval.shape if shape is None else tuple(shape)
    return broadcast_in_dim(val, shape, ()) if shape else val


__all__ = [
    "broadcast_in_dim",
    "broadcast_in_dim_p",
    "convert_element_type",
    "convert_element_type_p",
    "full",
    "full_like",
    "reshape",
    "reshape_p",
    "select_n",
    "select_n_p",
    "transpose",
    "transpose_p",
]
