"""jnp reductions (sum, mean, max, var, argmax, cumsum, ...), lowered to lax's
reduce_* / argmax / cumulative primitives with JAX's dtype rules:

* sum and prod promote small integer and bool inputs to the default int (int32, or
  int64 with x64) unless `dtype` is given (`promote_integers=True`, as JAX);
* mean/var/std of integers give the default float;
* results are strongly typed (the input is converted with convert_element_type);
* max/min have no identity: an empty reduction needs `initial`, and so does `where`.
"""
from __future__ import annotations

import builtins
import math
import operator
from typing import Callable

import numpy as np

from purejax._src import core, dtypes
from purejax._src import lax
from purejax._src.array import Array
from purejax._src.numpy import util
from purejax._src.numpy.util import (canonicalize_axis, canonicalize_operand, check_arraylike,
                                     check_user_dtype_supported, expand_dims_lax, shape_of)

_all = builtins.all


def _lax(name: str):
    fn = getattr(lax, name, None)
    if fn is None:
        raise NotImplementedError(f"lax.{name} is not implemented yet in purejax")
    return fn


def _reduction_dims(a, axis) -> tuple:
    nd = len(shape_of(a))
    if axis is None:
        return tuple(range(nd))
    if not isinstance(axis, (tuple, list, np.ndarray)):
        axis = (axis,)
    dims = tuple(canonicalize_axis(x, nd) for x in axis)
    if len(dims) != len(set(dims)):
        raise ValueError(f"duplicate value in 'axis': {axis}")
    return tuple(sorted(dims))


def _ensure_axes(axis):
    if axis is None:
        return None
    axis = core.concrete_or_error(axis, "The axis argument must be known statically.")
    try:
        return operator.index(axis)
    except TypeError:
        return tuple(operator.index(i) for i in axis)


def _promote_integer_dtype(dt: np.dtype) -> np.dtype:
    if dt == np.bool_:
        return dtypes.default_int_dtype()
    if dtypes.issubdtype(dt, np.unsignedinteger):
        u = dtypes.default_uint_dtype()
        return u if dt.itemsize < u.itemsize else dt
    if dtypes.issubdtype(dt, np.integer):
        i = dtypes.default_int_dtype()
        return i if dt.itemsize < i.itemsize else dt
    return dt


def _upcast_f16(dt: np.dtype) -> np.dtype:
    return np.dtype(np.float32) if dt == np.float16 else dt


def _reduction_init_val(dt: np.dtype, init_val) -> np.ndarray:
    if dt == np.bool_:
        return np.array(init_val > 0, dtype=dt)
    try:
        with np.errstate(all="ignore"):
            if dtypes.is_integer(dt) and np.isinf(init_val):
                raise OverflowError
            return np.array(init_val, dtype=dt)
    except OverflowError:
        info = dtypes.iinfo(dt)
        return np.array(info.min if np.sign(init_val) < 0 else info.max, dtype=dt)


def _cast_to_bool(x):
    return lax.convert_element_type(x, np.dtype(np.bool_))


def _cast_to_numeric(x):
    return util.promote_dtypes_numeric(x)[0]


def _reduction(a, name: str, reducer: str, binop: Callable, init_val, *,
               has_identity: bool = True, preproc: Callable | None = None,
               bool_reducer: str | None = None, bool_binop: Callable | None = None,
               upcast_f16_for_computation: bool = False, axis=None, dtype=None, out=None,
               keepdims: bool = False, initial=None, where_=None,
               promote_integers: bool = False):
    if (dtype is None and out is None and initial is None and where_ is None and not keepdims
            and (preproc is None or preproc is _cast_to_numeric)
            and (type(a) is Array or isinstance(a, core.Tracer))):
        fast = _fast_reduction(a, reducer, has_identity, axis)
        if fast is not None:
            return fast
    if out is not None:
        raise NotImplementedError(f"The 'out' argument to jnp.{name} is not supported.")
    check_arraylike(name, a)
    check_user_dtype_supported(dtype, name)
    axis = _ensure_axes(axis)
    if initial is None and not has_identity and where_ is not None:
        raise ValueError(f"reduction operation {name} does not have an identity, so to use a "
                         "where mask one has to specify 'initial'")
    a = canonicalize_operand(a)
    if preproc is not None:
        a = preproc(a)
    dims = _reduction_dims(a, axis)
    shape = shape_of(a)
    if initial is None and not has_identity and not _all(shape[d] >= 1 for d in dims):
        raise ValueError(f"zero-size array to reduction operation {name} which has no "
                         "identity")
    result_dtype = dtypes.canonicalize_dtype(dtype) if dtype is not None else a.dtype
    if dtype is None and promote_integers:
        result_dtype = _promote_integer_dtype(result_dtype)
    result_dtype = dtypes.canonicalize_dtype(result_dtype)
    comp_dtype = _upcast_f16(result_dtype) if (upcast_f16_for_computation and
                                               dtypes.is_inexact(result_dtype)) else result_dtype
    a = lax.convert_element_type(a, comp_dtype)
    if comp_dtype == np.bool_:
        reducer = bool_reducer or reducer
        binop = bool_binop or binop
    if where_ is not None:
        init = Array(_reduction_init_val(comp_dtype, init_val))
        a = util.where(where_, a, init)
        if shape_of(a) != shape:
            raise ValueError(f"jnp.{name}: where mask of shape {shape_of(where_)} does not "
                             f"broadcast to the input's shape {shape}")
    result = _lax(reducer)(a, dims) if dims else a
    if initial is not None:
        check_arraylike(name, initial)
        initial_arr = util.convert(initial, comp_dtype)
        if shape_of(initial_arr) != ():
            raise ValueError("initial value must be a scalar. Got array of shape "
                             f"{shape_of(initial_arr)}")
        result = binop(initial_arr, result)
    if keepdims:
        result = expand_dims_lax(result, dims)
    return lax.convert_element_type(result, result_dtype)


# Float and complex dtypes that are canonical (per x64 mode) and need no float16
# upcast: reducing them keeps the dtype, so the general path's promotions are no-ops.
_FAST_REDUCE_DTYPES = {
    False: frozenset(map(np.dtype, ("float32", "complex64"))),
    True: frozenset(map(np.dtype, ("float32", "float64", "complex64", "complex128"))),
}


def _fast_reduction(a, reducer: str, has_identity: bool, axis):
    """`_reduction` for its most common call: a float/complex Array or tracer, axis None
    or an int, and no dtype, initial, where, keepdims or out. It is what the general
    path amounts to there (the weak type dropped, then the lax reduction), without its
    checks that cannot fail. None when the call is not of that kind."""
    aval = a.aval
    if aval.dtype not in _FAST_REDUCE_DTYPES[dtypes.x64_enabled()]:
        return None
    shape = aval.shape
    if axis is None:
        dims = tuple(range(len(shape)))
    elif type(axis) is int:
        dims = (canonicalize_axis(axis, len(shape)),)
    else:
        return None
    if not has_identity and 0 in shape:
        return None  # the general path raises the right error (or reduces no empty axis)
    if aval.weak_type:
        a = lax.convert_element_type(a, aval.dtype)
    return _lax(reducer)(a, dims) if dims else a


def _or(x, y):
    return (getattr(lax, "bitwise_or", None) or _lax("or_"))(x, y)


def _and(x, y):
    return (getattr(lax, "bitwise_and", None) or _lax("and_"))(x, y)


def _min_binop(x, y):
    return _lax("min")(x, y)


def sum(a, axis=None, dtype=None, out=None, keepdims: bool = False, initial=None,
        where=None, promote_integers: bool = True):
    return _reduction(a, "sum", "reduce_sum", lax.add, 0, preproc=_cast_to_numeric,
                      bool_reducer="reduce_or", bool_binop=_or,
                      upcast_f16_for_computation=True, axis=axis, dtype=dtype, out=out,
                      keepdims=keepdims, initial=initial, where_=where,
                      promote_integers=promote_integers)


def prod(a, axis=None, dtype=None, out=None, keepdims: bool = False, initial=None,
         where=None, promote_integers: bool = True):
    return _reduction(a, "prod", "reduce_prod", lax.mul, 1, preproc=_cast_to_numeric,
                      bool_reducer="reduce_and", bool_binop=_and,
                      upcast_f16_for_computation=True, axis=axis, dtype=dtype, out=out,
                      keepdims=keepdims, initial=initial, where_=where,
                      promote_integers=promote_integers)


def max(a, axis=None, out=None, keepdims: bool = False, initial=None, where=None):
    return _reduction(a, "max", "reduce_max", lax.max, -np.inf, has_identity=False,
                      axis=axis, out=out, keepdims=keepdims, initial=initial, where_=where)


def min(a, axis=None, out=None, keepdims: bool = False, initial=None, where=None):
    return _reduction(a, "min", "reduce_min", _min_binop, np.inf, has_identity=False,
                      axis=axis, out=out, keepdims=keepdims, initial=initial, where_=where)


amax = max
amin = min


def all(a, axis=None, out=None, keepdims: bool = False, *, where=None):
    return _reduction(a, "all", "reduce_and", _and, True, preproc=_cast_to_bool,
                      axis=axis, out=out, keepdims=keepdims, where_=where)


def any(a, axis=None, out=None, keepdims: bool = False, *, where=None):
    return _reduction(a, "any", "reduce_or", _or, False, preproc=_cast_to_bool,
                      axis=axis, out=out, keepdims=keepdims, where_=where)


def _axis_size(a, dims) -> int:
    s = shape_of(a)
    return math.prod(s[d] for d in dims)


def mean(a, axis=None, dtype=None, out=None, keepdims: bool = False, *, where=None):
    check_arraylike("mean", a)
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.mean is not supported.")
    axis = _ensure_axes(axis)
    a = canonicalize_operand(a)
    if dtype is None:
        result_dtype = util.to_inexact_dtype(dtypes.canonicalize_dtype(a.dtype))
    else:
        check_user_dtype_supported(dtype, "mean")
        result_dtype = dtypes.canonicalize_dtype(dtype)
    comp = _upcast_f16(result_dtype) if dtypes.is_inexact(result_dtype) else result_dtype
    if where is None:
        normalizer = util.convert(_axis_size(a, _reduction_dims(a, axis)), comp)
    else:
        normalizer = sum(util.broadcast_to_shape(canonicalize_operand(where), shape_of(a)),
                         axis, dtype=comp, keepdims=keepdims)
    total = sum(a, axis, dtype=comp, keepdims=keepdims, where=where)
    return lax.convert_element_type(lax.div(total, normalizer), result_dtype)


def _complex_elem_type(dt: np.dtype) -> np.dtype:
    return np.dtype(np.array(0, dt).real.dtype)


def _var_promote_types(a_dtype: np.dtype, dtype) -> tuple[np.dtype, np.dtype]:
    if dtype:
        dtype = dtypes.canonicalize_dtype(dtype)
        if not dtypes.is_complex(dtype) and dtypes.is_complex(a_dtype):
            raise ValueError("jax.numpy.var does not yet support real dtype parameters when "
                             "computing the variance of an array of complex values.")
        comp = dtype
    else:
        if not dtypes.is_inexact(a_dtype):
            dtype = util.to_inexact_dtype(a_dtype)
            comp = dtype
        else:
            dtype = _complex_elem_type(a_dtype)
            comp = a_dtype
    return _upcast_f16(comp), np.dtype(dtype)


def var(a, axis=None, dtype=None, out=None, ddof: int = 0, keepdims: bool = False, *,
        where=None, correction=None):
    """Variance; the divisor is N - ddof (`correction` is the Array API name). A
    non-positive divisor gives NaN, as in JAX."""
    if correction is None:
        correction = ddof
    elif not isinstance(ddof, int) or ddof != 0:
        raise ValueError("ddof and correction can't be provided simultaneously.")
    check_arraylike("var", a)
    check_user_dtype_supported(dtype, "var")
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.var is not supported.")
    axis = _ensure_axes(axis)
    a = canonicalize_operand(a)
    comp, dtype = _var_promote_types(dtypes.canonicalize_dtype(a.dtype), dtype)
    a = lax.convert_element_type(a, comp)
    a_mean = mean(a, axis, dtype=comp, keepdims=True, where=where)
    centered = lax.sub(a, util.broadcast_to_shape(a_mean, shape_of(a)))
    if dtypes.is_complex(comp):
        centered = lax.real(lax.mul(centered, lax.conj(centered)))
        comp = _dtype(centered)
    else:
        centered = lax.mul(centered, centered)
    if where is None:
        normalizer = util.convert(_axis_size(a, _reduction_dims(a, axis)), comp)
    else:
        normalizer = sum(util.broadcast_to_shape(canonicalize_operand(where), shape_of(a)),
                         axis, dtype=comp, keepdims=keepdims)
    normalizer = lax.sub(normalizer, util.convert(correction, comp))
    result = sum(centered, axis, dtype=comp, keepdims=keepdims, where=where)
    result = lax.convert_element_type(lax.div(result, normalizer), dtype)
    return util.where(lax.gt(normalizer, util.lax_const(normalizer, 0)), result,
                      Array(np.asarray(np.nan, dtype)))


def _dtype(x):
    return core.get_aval(x).dtype


def std(a, axis=None, dtype=None, out=None, ddof: int = 0, keepdims: bool = False, *,
        where=None, correction=None):
    if dtype is not None and not dtypes.is_inexact(dtypes.canonicalize_dtype(dtype)):
        raise ValueError(f"dtype argument to jnp.std must be inexact; got {dtype}")
    return lax.sqrt(var(a, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims,
                        where=where, correction=correction))


def average(a, axis=None, weights=None, returned: bool = False, keepdims: bool = False):
    axis = _ensure_axes(axis)
    if weights is None:
        check_arraylike("average", a)
        (a,) = util.promote_dtypes_inexact(a)
        avg = mean(a, axis=axis, keepdims=keepdims)
        dims = _reduction_dims(a, axis)
        weights_sum = lax.full_like(avg, _axis_size(a, dims))
    else:
        check_arraylike("average", a, weights)
        a, weights = util.promote_dtypes_inexact(a, weights)
        a_shape, w_shape = shape_of(a), shape_of(weights)
        if a_shape != w_shape:
            if len(w_shape) != 1:
                raise ValueError("1D weights expected when shapes of a and weights differ.")
            if axis is None:
                raise ValueError("Axis must be specified when shapes of a and weights differ.")
            if isinstance(axis, tuple):
                raise ValueError("Single axis expected when shapes of a and weights differ")
            ax = canonicalize_axis(axis, len(a_shape))
            if w_shape[0] != a_shape[ax]:
                raise ValueError("Length of weights not compatible with specified axis.")
            weights = lax.broadcast_in_dim(weights, a_shape, (ax,))
        from purejax._src.numpy import ufuncs
        weights_sum = sum(weights, axis=axis, keepdims=keepdims)
        avg = ufuncs.true_divide(sum(ufuncs.multiply(a, weights), axis=axis,
                                     keepdims=keepdims), weights_sum)
    if returned:
        if shape_of(avg) != shape_of(weights_sum):
            weights_sum = util.broadcast_to_shape(weights_sum, shape_of(avg))
        return avg, weights_sum
    return avg


def ptp(a, axis=None, out=None, keepdims: bool = False):
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.ptp is not supported.")
    return lax.sub(max(a, axis=axis, keepdims=keepdims), min(a, axis=axis, keepdims=keepdims))


def count_nonzero(a, axis=None, keepdims: bool = False):
    check_arraylike("count_nonzero", a)
    a = canonicalize_operand(a)
    return sum(lax.ne(a, util.lax_const(a, 0)), axis=axis, dtype=dtypes.default_int_dtype(),
               keepdims=keepdims)


def _nan_reduction(a, name, reduction, init_val, nan_if_all_nan, axis=None,
                   keepdims=False, **kwargs):
    check_arraylike(name, a)
    a = canonicalize_operand(a)
    if not dtypes.is_inexact(a.dtype):
        return reduction(a, axis=axis, keepdims=keepdims, **kwargs)
    from purejax._src.numpy import ufuncs
    isnan = ufuncs.isnan(a)
    out = reduction(util.where(isnan, Array(_reduction_init_val(a.dtype, init_val)), a),
                    axis=axis, keepdims=keepdims, **kwargs)
    if nan_if_all_nan:
        return util.where(all(isnan, axis=axis, keepdims=keepdims),
                          util.lax_const(out, np.nan), out)
    return out


def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    return _nan_reduction(a, "nansum", sum, 0, False, axis=axis, keepdims=keepdims,
                          dtype=dtype, out=out, initial=initial, where=where)


def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    return _nan_reduction(a, "nanprod", prod, 1, False, axis=axis, keepdims=keepdims,
                          dtype=dtype, out=out, initial=initial, where=where)


def nanmax(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    return _nan_reduction(a, "nanmax", max, -np.inf, initial is None, axis=axis,
                          keepdims=keepdims, out=out, initial=initial, where=where)


def nanmin(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    return _nan_reduction(a, "nanmin", min, np.inf, initial is None, axis=axis,
                          keepdims=keepdims, out=out, initial=initial, where=where)


def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, where=None):
    check_arraylike("nanmean", a)
    a = canonicalize_operand(a)
    if not dtypes.is_inexact(a.dtype):
        return mean(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims, where=where)
    from purejax._src.numpy import ufuncs
    not_nan = ufuncs.logical_not(ufuncs.isnan(a))
    if where is not None:
        not_nan = ufuncs.logical_and(not_nan, where)
    normalizer = sum(not_nan, axis=axis, dtype=dtype, keepdims=keepdims)
    td = nansum(a, axis=axis, dtype=dtype, keepdims=keepdims, where=where)
    return ufuncs.true_divide(td, normalizer)


# ---------------------------------------------------------------------------
# Index reductions

def _arg_reduce(name: str, lax_name: str, a, axis, out, keepdims):
    if out is not None:
        raise NotImplementedError(f"The 'out' argument to jnp.{name} is not supported.")
    check_arraylike(name, a)
    a = canonicalize_operand(a)
    axis = _ensure_axes(axis)
    nd = len(shape_of(a))
    if axis is None:
        dims = tuple(range(nd))
        a = lax.reshape(a, (math.prod(shape_of(a)),))
        ax = 0
    else:
        ax = canonicalize_axis(axis, nd)
        dims = (ax,)
    if shape_of(a)[ax] == 0:
        raise ValueError(f"attempt to get {name} of an empty sequence")
    result = _lax(lax_name)(a, ax, dtypes.default_int_dtype())
    return expand_dims_lax(result, dims) if keepdims else result


def argmax(a, axis=None, out=None, keepdims=None):
    return _arg_reduce("argmax", "argmax", a, axis, out, keepdims)


def argmin(a, axis=None, out=None, keepdims=None):
    return _arg_reduce("argmin", "argmin", a, axis, out, keepdims)


# ---------------------------------------------------------------------------
# Cumulative reductions

def _cumulative(name: str, lax_name: str, a, axis, dtype, out=None, fill_nan=False,
                fill_value=0):
    if out is not None:
        raise NotImplementedError(f"The 'out' argument to jnp.{name} is not supported.")
    check_arraylike(name, a)
    check_user_dtype_supported(dtype, name)
    a = canonicalize_operand(a)
    axis = _ensure_axes(axis)
    if axis is None or len(shape_of(a)) == 0:
        a = lax.reshape(a, (math.prod(shape_of(a)),))
    axis = canonicalize_axis(0 if axis is None else axis, len(shape_of(a)))
    if fill_nan:
        from purejax._src.numpy import ufuncs
        a = util.where(ufuncs.isnan(a), util.lax_const(a, fill_value), a)
    if dtype is None:
        result_dtype = dtypes.default_int_dtype() if a.dtype == np.bool_ else a.dtype
        comp_dtype = result_dtype
    elif dtypes.canonicalize_dtype(dtype) == np.bool_:
        # As JAX: accumulate nonzero-ness in the default int, so [-1, 1] cannot cancel.
        result_dtype = np.dtype(np.bool_)
        if a.dtype != np.bool_:
            a = lax.ne(a, util.lax_const(a, 0))
        comp_dtype = dtypes.default_int_dtype()
    else:
        result_dtype = comp_dtype = dtypes.canonicalize_dtype(dtype)
    # As JAX, the operand is converted to a strong type: cumsum of a weak input is strong.
    a = lax.convert_element_type(a, comp_dtype)
    return lax.convert_element_type(_lax(lax_name)(a, axis=axis), result_dtype)


def cumsum(a, axis=None, dtype=None, out=None):
    return _cumulative("cumsum", "cumsum", a, axis, dtype, out)


def cumprod(a, axis=None, dtype=None, out=None):
    return _cumulative("cumprod", "cumprod", a, axis, dtype, out)


def nancumsum(a, axis=None, dtype=None, out=None):
    return _cumulative("nancumsum", "cumsum", a, axis, dtype, out, fill_nan=True,
                       fill_value=0)


def nancumprod(a, axis=None, dtype=None, out=None):
    return _cumulative("nancumprod", "cumprod", a, axis, dtype, out, fill_nan=True,
                       fill_value=1)


cumulative_sum = cumsum
cumulative_prod = cumprod
