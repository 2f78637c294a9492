"""jnp array creation (array, zeros, arange, linspace, eye, tri, diag, ...) and dtype
and shape queries, lowered to lax."""
from __future__ import annotations

import builtins
import math
from typing import Any, Sequence

import numpy as np

from purejax._src import core, dtypes
from purejax._src import lax
from purejax._src.array import Array
from purejax._src.core import Tracer
from purejax._src.numpy import util
from purejax._src.numpy.util import (canonicalize_axis, canonicalize_operand,
                                     canonicalize_shape, check_arraylike,
                                     check_user_dtype_supported, expand_dims_lax, ndim_of,
                                     shape_of)
from purejax._src.numpy.lax_numpy import (broadcast_to, concatenate, moveaxis, ravel,
                                          stack)

_max = builtins.max
_min = builtins.min

ndarray = Array
newaxis = None
pi = np.pi
e = np.e
euler_gamma = np.euler_gamma
inf = np.inf
nan = np.nan


def _default_float():
    return dtypes.default_float_dtype()


def _jnp_dtype(dtype: Any, fun_name: str) -> np.dtype:
    check_user_dtype_supported(dtype, fun_name)
    return _default_float() if dtype is None else dtypes.canonicalize_dtype(dtype)


# ---------------------------------------------------------------------------
# dtype and shape queries

def result_type(*args: Any) -> np.dtype:
    return dtypes.result_type(*args)


def promote_types(a: Any, b: Any) -> np.dtype:
    return dtypes.promote_types(a, b)


def issubdtype(arg1: Any, arg2: Any) -> bool:
    return dtypes.issubdtype(arg1, arg2)


def finfo(dt: Any):
    return dtypes.finfo(dt)


def iinfo(dt: Any):
    return dtypes.iinfo(dt)


def can_cast(from_: Any, to: Any, casting: str = "safe") -> bool:
    return bool(np.can_cast(dtypes.dtype(from_), dtypes.dtype(to), casting=casting))


def shape(a: Any) -> tuple:
    return shape_of(a)


def ndim(a: Any) -> int:
    return ndim_of(a)


def size(a: Any, axis: int | None = None) -> int:
    s = shape_of(a)
    if axis is None:
        return math.prod(s)
    return s[canonicalize_axis(axis, len(s))]


def iscomplexobj(x: Any) -> bool:
    if x is None:
        return False
    try:
        dt = x.dtype
    except AttributeError:
        dt = asarray(x).dtype
    return dtypes.is_complex(dt)


def isrealobj(x: Any) -> bool:
    return not iscomplexobj(x)


def isscalar(element: Any) -> bool:
    """True for Python and NumPy scalars and for rank-0 arrays (as modern JAX)."""
    if hasattr(element, "__jax_array__"):
        element = element.__jax_array__()
    if np.isscalar(element):
        return True
    if isinstance(element, (np.ndarray, Array, Tracer)):
        return element.ndim == 0
    return False


# ---------------------------------------------------------------------------
# Array creation

def _leaves(obj: Any):
    if isinstance(obj, (list, tuple)):
        for o in obj:
            yield from _leaves(o)
    else:
        yield obj


def array(object: Any, dtype: Any = None, copy: bool = True, order: str | None = "K",
          ndmin: int = 0):
    """Create an Array: Python scalars stay weakly typed; lists and NumPy values are
    strongly typed with JAX's canonical dtypes; lists of tracers are stacked."""
    if order is not None and order not in ("K", "C", "A"):
        raise NotImplementedError("Only implemented for order='K'")
    check_user_dtype_supported(dtype, "array")
    if hasattr(object, "__jax_array__"):
        object = object.__jax_array__()
    weak = dtype is None and dtypes.is_weakly_typed(object)
    target = None if dtype is None else dtypes.canonicalize_dtype(dtype)
    if isinstance(object, (Array, Tracer)):
        out = object if target is None else lax.convert_element_type(object, target, False)
    elif dtypes.is_python_scalar(object):
        out = Array(dtypes.coerce_to_array(object, target), weak)
    elif isinstance(object, (list, tuple)) and builtins.any(
            isinstance(leaf, Tracer) for leaf in _leaves(object)):
        leaves = list(_leaves(object))
        for leaf in leaves:
            check_arraylike("array", leaf)
        dt = target if target is not None else dtypes.result_type(*leaves)
        if not object:
            out = Array(np.zeros((0,), dt))
        else:
            out = stack([array(o, dtype=dt) for o in object])
        out = lax.convert_element_type(out, dt, False)
    else:
        try:
            val = dtypes.coerce_to_array(object, target)
        except TypeError as err:
            raise TypeError(f"array: {err}") from None
        if isinstance(object, np.ndarray) and np.shares_memory(val, object):
            val = val.copy()
        out = Array(np.asarray(val), False)
    nd = ndim_of(out)
    if ndmin > nd:
        out = lax.reshape(out, (1,) * (ndmin - nd) + shape_of(out))
    return out


def asarray(a: Any, dtype: Any = None, order: str | None = None, *, copy: bool | None = None):
    """Like array, but returns Arrays and tracers of the right dtype unchanged."""
    if isinstance(a, (Array, Tracer)) and (dtype is None or
                                           dtypes.canonicalize_dtype(dtype) == a.dtype):
        return a
    return array(a, dtype=dtype, copy=bool(copy), order=order)


def copy(a: Any, order: str | None = None):
    return array(a, copy=True, order=order)


def zeros(shape: Any, dtype: Any = None):
    return lax.full(canonicalize_shape(shape, "zeros"), 0, _jnp_dtype(dtype, "zeros"))


def ones(shape: Any, dtype: Any = None):
    return lax.full(canonicalize_shape(shape, "ones"), 1, _jnp_dtype(dtype, "ones"))


def empty(shape: Any, dtype: Any = None):
    """Zeros: purejax arrays are never uninitialised."""
    return lax.full(canonicalize_shape(shape, "empty"), 0, _jnp_dtype(dtype, "empty"))


def full(shape: Any, fill_value: Any, dtype: Any = None):
    check_user_dtype_supported(dtype, "full")
    check_arraylike("full", fill_value)
    shape = canonicalize_shape(shape, "full")
    if ndim_of(fill_value) == 0:
        return lax.full(shape, fill_value, None if dtype is None else
                        dtypes.canonicalize_dtype(dtype))
    return broadcast_to(asarray(fill_value, dtype=dtype), shape)


def _like_shape(shape):
    return None if shape is None else canonicalize_shape(shape)


def zeros_like(a: Any, dtype: Any = None, shape: Any = None):
    check_arraylike("zeros_like", a)
    check_user_dtype_supported(dtype, "zeros_like")
    return lax.full_like(canonicalize_operand(a), 0, dtype, _like_shape(shape))


def ones_like(a: Any, dtype: Any = None, shape: Any = None):
    check_arraylike("ones_like", a)
    check_user_dtype_supported(dtype, "ones_like")
    return lax.full_like(canonicalize_operand(a), 1, dtype, _like_shape(shape))


def empty_like(a: Any, dtype: Any = None, shape: Any = None):
    check_arraylike("empty_like", a)
    return zeros_like(a, dtype=dtype, shape=shape)


def full_like(a: Any, fill_value: Any, dtype: Any = None, shape: Any = None):
    check_arraylike("full_like", a, fill_value)
    check_user_dtype_supported(dtype, "full_like")
    a = canonicalize_operand(a)
    if ndim_of(fill_value) == 0:
        return lax.full_like(a, fill_value, dtype, _like_shape(shape))
    dt = a.dtype if dtype is None else dtype
    return broadcast_to(asarray(fill_value, dtype=dt), _like_shape(shape) or shape_of(a))


def _concrete_scalar(x: Any, what: str):
    val = core.concrete_or_error(x, f"It arose in the jnp.arange argument '{what}'")
    val = np.asarray(val)
    if val.ndim != 0:
        raise ValueError(f"jnp.arange: argument '{what}' must be a scalar, got shape "
                         f"{val.shape}")
    return val.item()


def arange(start: Any, stop: Any = None, step: Any = None, dtype: Any = None):
    """Evenly spaced values; start/stop/step must be concrete (the result's shape
    depends on them). Integers give int32 and floats float32, as in JAX."""
    check_user_dtype_supported(dtype, "arange")
    if dtype is None:
        dtype = dtypes.result_type(*(x for x in (start, stop, step) if x is not None))
    dtype = dtypes.canonicalize_dtype(dtype)
    start_v = _concrete_scalar(start, "start")
    stop_v = None if stop is None else _concrete_scalar(stop, "stop")
    step_v = None if step is None else _concrete_scalar(step, "step")
    if stop_v is None and step_v is None:
        n = int(np.ceil(start_v)) if not isinstance(start_v, int) else start_v
        return lax.iota(dtype, _max(n, 0))
    if stop_v is None:
        start_v, stop_v = 0, start_v
    if step_v is not None:
        # JAX 0.10 computes start + step * iota in a working dtype (float32 for floats
        # narrower than 32 bits), not NumPy's accumulated arange: the values differ in
        # the last bit, and an integer dtype truncates start and step first.
        wd = dtype
        if dtypes.is_float(dtype) and np.dtype(dtype).itemsize < 4:
            wd = np.dtype(np.float32)
        size = _max(0, int(np.ceil((stop_v - start_v) / step_v)))
        out = lax.add(lax.convert_element_type(start_v, wd),
                      lax.mul(lax.convert_element_type(step_v, wd), lax.iota(wd, size)))
        return lax.convert_element_type(out, dtype)
    if start_v == 0:
        n = int(np.ceil(stop_v)) if not isinstance(stop_v, int) else stop_v
        return lax.iota(dtype, _max(n, 0))
    size = _max(0, int(np.ceil(stop_v - start_v)))
    return lax.add(lax.convert_element_type(start_v, dtype), lax.iota(dtype, size))


def linspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True,
             retstep: bool = False, dtype: Any = None, axis: int = 0):
    """`num` evenly spaced values from start to stop (both may be traced arrays).

    JAX computes ``start * (1 - i * r) + i * (stop * r)`` with ``r = 1 / div`` (XLA
    turns the division by a constant into that product and reassociates ``stop * (i *
    r)``), and XLA:CPU contracts the final multiply-add into an FMA. With concrete
    bounds the values are computed the same way here (see _xla_linspace_body), bit
    for bit; traced bounds use the same formula without the FMA."""
    num = util.concrete_int(num, "'num' argument of jnp.linspace")
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    check_arraylike("linspace", start, stop)
    check_user_dtype_supported(dtype, "linspace")
    if dtype is None:
        dtype = util.to_inexact_dtype(dtypes.result_type(start, stop))
    dtype = dtypes.canonicalize_dtype(dtype)
    comp = dtypes.canonicalize_dtype(util.to_inexact_dtype(dtype))
    # As JAX: the bounds become arrays first (a Python float is float32 without x64),
    # then the computation dtype, so float16 bounds are rounded twice.
    start = lax.convert_element_type(canonicalize_operand(start), comp)
    stop = lax.convert_element_type(canonicalize_operand(stop), comp)
    bounds_shape = list(util.broadcast_shapes(shape_of(start), shape_of(stop)))
    bstart = broadcast_to(start, bounds_shape)
    bstop = broadcast_to(stop, bounds_shape)
    axis = len(bounds_shape) + axis + 1 if axis < 0 else axis
    bounds_shape.insert(axis, 1)
    div = (num - 1) if endpoint else num
    if num > 1:
        recip = Array(np.asarray(comp.type(1) / comp.type(div), comp))
        delta = lax.mul(lax.sub(stop, start), recip)
        iota_shape = [1] * len(bounds_shape)
        iota_shape[axis] = div
        lo = lax.reshape(bstart, tuple(bounds_shape))
        hi = lax.reshape(bstop, tuple(bounds_shape))
        if (comp in _FMA_LINSPACE_DTYPES and not isinstance(start, Tracer)
                and not isinstance(stop, Tracer)):
            out = Array(_xla_linspace_body(np.asarray(lo), np.asarray(hi), div,
                                           tuple(iota_shape), not bounds_shape[:axis] +
                                           bounds_shape[axis + 1:]))
        else:
            real_dt = np.dtype(comp.type(0).real.dtype)
            iota = lax.reshape(lax.iota(real_dt, div), tuple(iota_shape))
            step = lax.convert_element_type(
                lax.mul(iota, Array(np.asarray(real_dt.type(1) / real_dt.type(div), real_dt))),
                comp)
            iota = lax.convert_element_type(iota, comp)
            from purejax._src.numpy import ufuncs
            out = ufuncs.add(ufuncs.multiply(lo, ufuncs.subtract(1, step)),
                             ufuncs.multiply(iota, ufuncs.multiply(hi, recip)))
        if endpoint:
            out = concatenate([out, expand_dims_lax(bstop, (axis,))], axis=axis)
    elif num == 1:
        delta = Array(np.asarray(np.nan, comp)) if endpoint else lax.sub(stop, start)
        out = lax.reshape(bstart, tuple(bounds_shape))
    else:
        delta = Array(np.asarray(np.nan, comp))
        out = lax.full(tuple(bounds_shape[:axis] + [0] + bounds_shape[axis + 1:]), 0, comp)
    if dtypes.is_integer(dtype) and not dtypes.is_integer(comp):
        out = lax.floor(out)
    out = lax.convert_element_type(out, dtype)
    return (out, delta) if retstep else out


# XLA:CPU (on an x86 host with FMA, where JAX's reference values come from) fuses
# linspace into one loop. The constant 1 - i*r is folded at compile time (two
# roundings) where LLVM unrolls the loop fully, and computed by an FMA in the
# vectorised body of a long loop; the final add is an FMA on stop*r*i. Float16 is
# computed op by op in float16 (LLVM promotes each op), with no FMA.
_FMA_LINSPACE_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))
# Counts from which XLA emits a vectorised loop instead of straight-line code, and
# the elements per vector iteration (the rest is a scalar tail with folded constants).
_LOOP_FROM = {np.dtype(np.float32): 224, np.dtype(np.float64): 176}
_LOOP_LANES = {np.dtype(np.float32): 8, np.dtype(np.float64): 16}
# Up to this count the second element is scalar code, where LLVM folds i*(stop*r)
# with i == 1 to stop*r, so the FMA goes on start*(1 - r) instead.
_SCALAR_SECOND_UPTO = 33


def _xla_linspace_body(lo: np.ndarray, hi: np.ndarray, div: int, iota_shape: tuple,
                       scalar_bounds: bool) -> np.ndarray:
    """JAX's linspace values before the endpoint, as XLA:CPU computes them."""
    dt = lo.dtype
    one = dt.type(1)
    r = one / dt.type(div)
    i = np.arange(div).astype(dt)
    with np.errstate(all="ignore"):
        c = one - i * r
        hi_r = hi * r
        if dt == np.float16:
            return lo * c.reshape(iota_shape) + hi_r * i.reshape(iota_shape)
        if scalar_bounds and div >= _LOOP_FROM[dt]:
            body = div - div % _LOOP_LANES[dt]
            c[:body] = _fma(-i[:body], r, one)
        c, i = c.reshape(iota_shape), i.reshape(iota_shape)
        out = _fma(hi_r, i, lo * c)
        if scalar_bounds and 3 <= div <= _SCALAR_SECOND_UPTO:
            out[1] = _fma(lo.reshape(()), c.reshape(-1)[1], hi_r.reshape(()))
    return out


def _fma(a, b, c) -> np.ndarray:
    """a * b + c rounded once, elementwise, for float32 or float64 (NumPy has no fma).

    Boldo and Melquiond's emulation ("Emulation of FMA and correctly rounded sums",
    2008): an exact product (Veltkamp/Dekker), an exact sum, and an addition rounded
    to odd so that the final rounding is correct. Non-finite results fall back to
    a * b + c, which is what an FMA gives there too."""
    a, b, c = np.broadcast_arrays(np.asarray(a), np.asarray(b), np.asarray(c))
    dt = a.dtype
    with np.errstate(all="ignore"):
        split = dt.type(4097.0 if dt == np.float32 else 134217729.0)
        p = a * b
        t = split * a
        a_hi = t - (t - a)
        a_lo = a - a_hi
        t = split * b
        b_hi = t - (t - b)
        b_lo = b - b_hi
        p_err = ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
        s, s_err = _two_sum(c, p)
        v, v_err = _two_sum(s_err, p_err)
        uint = np.uint32 if dt == np.float32 else np.uint64
        inexact_even = (v_err != 0) & ((v.view(uint) & 1) == 0)
        v = np.where(inexact_even, np.nextafter(v, np.where(v_err > 0, np.inf, -np.inf)
                                                .astype(dt)), v)
        out = s + v
        return np.where(np.isfinite(out), out, a * b + c)


def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _eye_mask(n: int, m: int, k):
    i = lax.broadcasted_iota(np.dtype(np.int32), (n, m), 0)
    j = lax.broadcasted_iota(np.dtype(np.int32), (n, m), 1)
    if isinstance(k, Tracer):
        return lax.eq(lax.add(i, util.convert(k, np.dtype(np.int32))), j)
    return lax.eq(lax.add(i, k) if k else i, j)


def eye(N: int, M: int | None = None, k: int = 0, dtype: Any = None):
    n = util.concrete_int(N, "argument 'N' of jnp.eye()")
    m = n if M is None else util.concrete_int(M, "argument 'M' of jnp.eye()")
    if n < 0 or m < 0:
        raise ValueError(f"negative dimensions are not allowed, got {N} and {M}")
    if not (isinstance(k, Tracer) and k.shape == () and dtypes.is_integer(k.dtype)):
        k = util.concrete_int(k, "argument 'k' of jnp.eye()")
    return lax.convert_element_type(_eye_mask(n, m, k), _jnp_dtype(dtype, "eye"))


def identity(n: int, dtype: Any = None):
    return eye(n, dtype=dtype)


def _tri_mask(n: int, m: int, k: int):
    i = lax.broadcasted_iota(np.dtype(np.int32), (n, m), 0)
    j = lax.broadcasted_iota(np.dtype(np.int32), (n, m), 1)
    return lax.ge(lax.add(i, k) if k else i, j)


def tri(N: int, M: int | None = None, k: int = 0, dtype: Any = None):
    n = util.concrete_int(N, "argument 'N' of jnp.tri()")
    m = n if M is None else util.concrete_int(M, "argument 'M' of jnp.tri()")
    k = util.concrete_int(k, "argument 'k' of jnp.tri()")
    # JAX's default is float32 even under x64 (unlike eye and identity).
    dtype = np.dtype(np.float32) if dtype is None else _jnp_dtype(dtype, "tri")
    return lax.convert_element_type(_tri_mask(n, m, k), dtype)


def _tri_select(name: str, m: Any, k: int, lower: bool):
    check_arraylike(name, m)
    m = canonicalize_operand(m)
    s = shape_of(m)
    if len(s) < 2:
        raise ValueError(f"Argument to jax.numpy.{name} must be at least 2D")
    k = util.concrete_int(k, f"argument 'k' of jnp.{name}()")
    mask = _tri_mask(s[-2], s[-1], k if lower else k - 1)
    mask = util.broadcast_to_shape(mask, s)
    zeros_ = lax.full_like(m, 0)
    return lax.select_n(mask, zeros_, m) if lower else lax.select_n(mask, m, zeros_)


def tril(m: Any, k: int = 0):
    return _tri_select("tril", m, k, True)


def triu(m: Any, k: int = 0):
    return _tri_select("triu", m, k, False)


def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1):
    check_arraylike("diagonal", a)
    a = canonicalize_operand(a)
    nd = ndim_of(a)
    if nd < 2:
        raise ValueError("diagonal requires an array of at least two dimensions.")
    offset = util.concrete_int(offset, "argument 'offset' of jnp.diagonal()")
    a1, a2 = canonicalize_axis(axis1, nd), canonicalize_axis(axis2, nd)
    if a1 == a2:
        raise ValueError("axis1 and axis2 must not be equal")
    a = moveaxis(a, (a1, a2), (-2, -1))
    n, m = shape_of(a)[-2:]
    diag_size = _max(0, _min(n + _min(offset, 0), m - _max(offset, 0)))
    if diag_size == 0:
        return lax.full_like(a, 0, shape=shape_of(a)[:-2] + (0,))
    i = np.arange(diag_size)
    j = np.arange(abs(offset), abs(offset) + diag_size)
    from purejax._src.numpy import indexing
    idx = (Ellipsis, Array(i.astype(np.int32)), Array(j.astype(np.int32)))
    if offset < 0:
        idx = (Ellipsis, idx[2], idx[1])
    return indexing.getitem(a, idx)


def diag(v: Any, k: int = 0):
    check_arraylike("diag", v)
    v = canonicalize_operand(v)
    k = util.concrete_int(k, "argument 'k' of jnp.diag()")
    nd = ndim_of(v)
    if nd == 2:
        return diagonal(v, offset=k)
    if nd != 1:
        raise ValueError("diag input must be 1d or 2d")
    n = shape_of(v)[0] + abs(k)
    from purejax._src.numpy.pad import pad
    padded = pad(v, (0, abs(k)))
    vals = expand_dims_lax(padded, (1,)) if k >= 0 else expand_dims_lax(padded, (0,))
    vals = util.broadcast_to_shape(vals, (n, n))
    return lax.select_n(_eye_mask(n, n, k), lax.full_like(vals, 0), vals)


def diagflat(v: Any, k: int = 0):
    return diag(ravel(v), k)


def trace(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: Any = None,
          out: None = None):
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.trace is not supported.")
    from purejax._src.numpy import reductions
    return reductions.sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)



def meshgrid(*xi: Any, copy: bool = True, sparse: bool = False, indexing: str = "xy") -> list:
    check_arraylike("meshgrid", *xi)
    args = [asarray(x) for x in xi]
    if builtins.any(ndim_of(a) != 1 for a in args):
        raise ValueError("Arguments to jax.numpy.meshgrid must be 1D, got shapes "
                         f"{[shape_of(a) for a in args]}")
    if indexing not in ("xy", "ij"):
        raise ValueError(f"Valid values for indexing are 'xy' and 'ij', got {indexing}")
    dims = list(range(len(args)))
    if indexing == "xy" and len(args) >= 2:
        dims[0], dims[1] = 1, 0
    sizes = [shape_of(a)[0] for a in args]
    full_shape = [0] * len(args)
    for d, n in zip(dims, sizes):
        full_shape[d] = n
    out = []
    for a, d in zip(args, dims):
        s = [1] * len(args) if sparse else list(full_shape)
        s[d] = shape_of(a)[0]
        out.append(lax.broadcast_in_dim(a, tuple(s), (d,)))
    return out


def indices(dimensions: Sequence[int], dtype: Any = None, sparse: bool = False):
    dtype = dtypes.default_int_dtype() if dtype is None else dtypes.canonicalize_dtype(dtype)
    dims = tuple(util.concrete_int(d, "dimensions of jnp.indices") for d in dimensions)
    out = []
    for i, d in enumerate(dims):
        s = [1] * len(dims) if sparse else list(dims)
        s[i] = d
        out.append(lax.broadcasted_iota(dtype, tuple(s), i))
    return tuple(out) if sparse else (stack(out) if out else zeros((0,), dtype))


