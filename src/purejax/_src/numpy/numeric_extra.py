"""jnp functions composed from other jnp/lax operations, as JAX defines them: finite
differences (diff, ediff1d, trapezoid), comparisons of whole arrays (array_equal,
array_equiv), integer gcd/lcm, cross products, interpolation (interp), 1-D
convolution and correlation, polynomial evaluation (polyval), and log/geometric
ranges (logspace, geomspace).

Each follows JAX 0.10.2's definition step by step, so values, dtypes, weak types and
derivatives (through the composed operations) agree with JAX. Where JAX calls an
operation purejax lacks, an equivalent composition stands in: convolve/correlate's
`conv_general_dilated` is a gather of the sliding windows and a dot product (`_conv`);
the sums may round differently from XLA's convolution in the last bit for inexact
inputs.
"""
from __future__ import annotations

import operator
from typing import Any

import numpy as np

from purejax._src import dtypes
from purejax._src import lax
from purejax._src.numpy import ufuncs, util
from purejax._src.numpy.array_creation import array, asarray, linspace, zeros_like
from purejax._src.numpy.lax_numpy import (broadcast_to, clip, concatenate, flip, moveaxis,
                                          ravel)
from purejax._src.numpy.reductions import all as _all, any as _any
from purejax._src.numpy.sorting import searchsorted
from purejax._src.numpy.util import canonicalize_axis, lax_const, where as _where


def _ensure_arraylike(name: str, *args: Any) -> list:
    """JAX's util.ensure_arraylike: arrays and scalars (not lists) as operands."""
    util.check_arraylike(name, *args)
    return [util.canonicalize_operand(a) for a in args]


# ---------------------------------------------------------------------------
# diff, ediff1d, trapezoid

def _edge(value, arr, axis: int, name: str):
    value = _ensure_arraylike(name, value)[0]
    if not np.ndim(value):
        shape = list(np.shape(arr))
        shape[axis] = 1
        value = broadcast_to(value, tuple(shape))
    return value


def diff(a: Any, n: int = 1, axis: int = -1, prepend: Any = None, append: Any = None):
    """The n-th discrete difference along `axis`, as `jax.numpy.diff` (bool arrays
    use `!=`); `prepend`/`append` (scalars broadcast) are joined on first."""
    (arr,) = _ensure_arraylike("diff", a)
    n = util.concrete_int(n, "'n' argument of jnp.diff")
    axis = util.concrete_int(axis, "'axis' argument of jnp.diff")
    if n == 0:
        return arr
    if n < 0:
        raise ValueError(f"order must be non-negative but got {n}")
    nd = np.ndim(arr)
    if nd == 0:
        raise ValueError(f"diff requires input that is at least one dimensional; got {a}")
    axis = canonicalize_axis(axis, nd)
    combined = []
    if prepend is not None:
        combined.append(_edge(prepend, arr, axis, "diff"))
    combined.append(arr)
    if append is not None:
        combined.append(_edge(append, arr, axis, "diff"))
    if len(combined) > 1:
        arr = concatenate(combined, axis)
    upper = [slice(None)] * nd
    lower = [slice(None)] * nd
    upper[axis] = slice(1, None)
    lower[axis] = slice(None, -1)
    upper, lower = tuple(upper), tuple(lower)
    op = operator.ne if dtypes.dtype(arr) == np.bool_ else operator.sub
    for _ in range(n):
        arr = op(arr[upper], arr[lower])
    return arr


def ediff1d(ary: Any, to_end: Any = None, to_begin: Any = None):
    """Differences of consecutive elements of the flattened array, as
    `jax.numpy.ediff1d`; `to_begin`/`to_end` are cast to the array's dtype."""
    arr = ravel(_ensure_arraylike("ediff1d", ary)[0])
    result = lax.sub(arr[1:], arr[:-1])
    if to_begin is not None:
        (to_begin,) = _ensure_arraylike("ediff1d", to_begin)
        result = concatenate((ravel(to_begin.astype(dtypes.dtype(arr))), result))
    if to_end is not None:
        (to_end,) = _ensure_arraylike("ediff1d", to_end)
        result = concatenate((result, ravel(to_end.astype(dtypes.dtype(arr)))))
    return result


def trapezoid(y: Any, x: Any = None, dx: Any = 1.0, axis: int = -1):
    """Integral of y along `axis` by the trapezoidal rule, as `jax.numpy.trapezoid`."""
    if x is None:
        (y,) = _ensure_arraylike("trapezoid", y)
        (y_arr,) = util.promote_dtypes_inexact(y)
        dx_array = asarray(dx)
        if dx_array.ndim > 0:
            dx_array = util.expand_dims_lax(dx_array,
                                            tuple(range(y_arr.ndim - dx_array.ndim)))
            dx_array = moveaxis(dx_array, axis, -1)
    else:
        y, x = _ensure_arraylike("trapezoid", y, x)
        y_arr, x_arr = util.promote_dtypes_inexact(y, x)
        if np.ndim(x_arr) == 1:
            dx_array = diff(x_arr)
        else:
            dx_array = moveaxis(diff(x_arr, axis=axis), axis, -1)
    y_arr = moveaxis(y_arr, axis, -1)
    if dx_array.ndim == 0 or dx_array.shape[-1] == 1:  # dx constant along the axis
        dx_reduced = dx_array if dx_array.ndim == 0 else dx_array[..., 0]
        return dx_reduced * (y_arr.sum(-1) - 0.5 * (y_arr[..., 0] + y_arr[..., -1]))
    return 0.5 * (dx_array * (y_arr[..., 1:] + y_arr[..., :-1])).sum(-1)


# ---------------------------------------------------------------------------
# array_equal, array_equiv

def array_equal(a1: Any, a2: Any, equal_nan: bool = False):
    """True when both arrays have the same shape and elements, as
    `jax.numpy.array_equal` (with `equal_nan`, NaNs in the same places count equal)."""
    a1, a2 = asarray(a1), asarray(a2)
    if np.shape(a1) != np.shape(a2):
        return array(False, dtype=bool)
    eq = asarray(a1 == a2)
    if equal_nan:
        eq = ufuncs.logical_or(eq, ufuncs.logical_and(ufuncs.isnan(a1), ufuncs.isnan(a2)))
    return _all(eq)


def array_equiv(a1: Any, a2: Any):
    """True when the arrays broadcast together and are equal everywhere, as
    `jax.numpy.array_equiv` (shapes that do not broadcast raise, as in JAX)."""
    a1, a2 = asarray(a1), asarray(a2)
    try:
        eq = ufuncs.equal(a1, a2)
    except ValueError:  # as JAX: only a ValueError means "not broadcastable"
        return array(False)
    return _all(eq)


# ---------------------------------------------------------------------------
# gcd, lcm (Euclid's algorithm in a while_loop over the whole array)

def _gcd_cond_fn(xs):
    _, x2 = xs
    return _any(x2 != 0)


def _gcd_body_fn(xs):
    x1, x2 = xs
    x1, x2 = (_where(x2 != 0, x2, x1),
              _where(x2 != 0, lax.rem(x1, x2), lax_const(x2, 0)))
    return (_where(x1 < x2, x2, x1), _where(x1 < x2, x1, x2))


def gcd(x1: Any, x2: Any):
    """Greatest common divisor of |x1| and |x2| (integers), as `jax.numpy.gcd`."""
    x1, x2 = _ensure_arraylike("gcd", x1, x2)
    x1, x2 = util.promote_dtypes(x1, x2)
    if not dtypes.is_integer(dtypes.dtype(x1)):
        raise ValueError("Arguments to jax.numpy.gcd must be integers.")
    x1, x2 = util.broadcast_arrays(x1, x2)
    out, _ = lax.while_loop(_gcd_cond_fn, _gcd_body_fn, (ufuncs.abs(x1), ufuncs.abs(x2)))
    return out


def lcm(x1: Any, x2: Any):
    """Least common multiple of |x1| and |x2| (integers), as `jax.numpy.lcm`."""
    x1, x2 = _ensure_arraylike("lcm", x1, x2)
    x1, x2 = util.promote_dtypes(x1, x2)
    x1, x2 = ufuncs.abs(x1), ufuncs.abs(x2)
    if not dtypes.is_integer(dtypes.dtype(x1)):
        raise ValueError("Arguments to jax.numpy.lcm must be integers.")
    d = gcd(x1, x2)
    return _where(d == 0, lax_const(d, 0), ufuncs.multiply(x1, ufuncs.floor_divide(x2, d)))


# ---------------------------------------------------------------------------
# cross

def cross(a: Any, b: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1,
          axis: int | None = None):
    """Cross product of vectors of length 2 or 3 along the given axes, as
    `jax.numpy.cross` (two 2-vectors give the scalar z component)."""
    util.check_arraylike("cross", a, b)
    if axis is not None:
        axisa = axisb = axisc = axis
    a = moveaxis(a, axisa, -1)
    b = moveaxis(b, axisb, -1)
    if a.shape[-1] not in (2, 3) or b.shape[-1] not in (2, 3):
        raise ValueError("Dimension must be either 2 or 3 for cross product")
    if a.shape[-1] == 2 and b.shape[-1] == 2:
        return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]
    a0, a1 = a[..., 0], a[..., 1]
    a2 = a[..., 2] if a.shape[-1] == 3 else zeros_like(a0)
    b0, b1 = b[..., 0], b[..., 1]
    b2 = b[..., 2] if b.shape[-1] == 3 else zeros_like(b0)
    c = array([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0])
    return moveaxis(c, 0, axisc)


# ---------------------------------------------------------------------------
# interp

def _check_side(value, name: str) -> bool:
    """True for 'extrapolate'; other strings are errors (as JAX)."""
    if isinstance(value, str):
        if value != "extrapolate":
            raise ValueError(f"the only valid string value of `{name}` is "
                             f"'extrapolate', but got: {value!r}")
        return True
    return False


def interp(x: Any, xp: Any, fp: Any, left: Any = None, right: Any = None,
           period: Any = None):
    """One-dimensional piecewise-linear interpolation, as `jax.numpy.interp`: `left`
    and `right` (default fp[0], fp[-1]; 'extrapolate' continues the end segments) are
    used outside [xp[0], xp[-1]]; `period` makes the abscissae periodic."""
    x, xp, fp = _ensure_arraylike("interp", x, xp, fp)
    if np.shape(xp) != np.shape(fp) or np.ndim(xp) != 1:
        raise ValueError("xp and fp must be one-dimensional arrays of equal size")
    x_arr, xp_arr = util.promote_dtypes_inexact(x, xp)
    (fp_arr,) = util.promote_dtypes_inexact(fp)
    extrapolate_left = _check_side(left, "left")
    extrapolate_right = _check_side(right, "right")
    if dtypes.is_complex(dtypes.dtype(x_arr)):
        raise ValueError("jnp.interp: complex x values not supported.")
    if period is not None:
        if np.ndim(period) != 0:
            raise ValueError(f"period must be a scalar; got {period}")
        period = ufuncs.abs(period)
        x_arr = x_arr % period
        xp_arr = xp_arr % period
        xp_arr, fp_arr = lax.sort_key_val(xp_arr, fp_arr)
        xp_arr = concatenate([xp_arr[-1:] - period, xp_arr, xp_arr[:1] + period])
        fp_arr = concatenate([fp_arr[-1:], fp_arr, fp_arr[:1]])
    n = np.shape(xp_arr)[0]
    i = clip(searchsorted(xp_arr, x_arr, side="right"), 1, n - 1)
    df = fp_arr[i] - fp_arr[i - 1]
    dx = xp_arr[i] - xp_arr[i - 1]
    delta = x_arr - xp_arr[i - 1]
    epsilon = np.spacing(np.finfo(dtypes.dtype(xp_arr)).eps)
    dx0 = lax.abs(dx) <= epsilon  # no NaN gradients where dx is tiny
    f = _where(dx0, fp_arr[i - 1], fp_arr[i - 1] + (delta / _where(dx0, 1, dx)) * df)
    if not extrapolate_left:
        left_arr = fp_arr[0] if left is None else left
        if period is None:
            f = _where(x_arr < xp_arr[0], left_arr, f)
    if not extrapolate_right:
        right_arr = fp_arr[-1] if right is None else right
        if period is None:
            f = _where(x_arr > xp_arr[-1], right_arr, f)
    return f


# ---------------------------------------------------------------------------
# convolve, correlate

def _conv(x, y, mode: str, op: str, precision, preferred_element_type):
    if np.ndim(x) != 1 or np.ndim(y) != 1:
        raise ValueError(f"{op}() only support 1-dimensional inputs.")
    if preferred_element_type is None:
        x, y = util.promote_dtypes_inexact(x, y)  # NumPy's default for convolutions
    else:
        x, y = util.promote_dtypes(x, y)
    if np.shape(x)[0] == 0 or np.shape(y)[0] == 0:
        raise ValueError(f"{op}: inputs cannot be empty, got shapes "
                         f"{np.shape(x)} and {np.shape(y)}.")
    reverse_out = False
    if op == "correlate":
        y = ufuncs.conj(y)
        if np.shape(x)[0] < np.shape(y)[0]:
            x, y = y, x
            reverse_out = True
    else:
        if np.shape(x)[0] < np.shape(y)[0]:
            x, y = y, x
        y = flip(y)
    m = np.shape(y)[0]
    if mode == "valid":
        lo, hi = 0, 0
    elif mode == "same":
        lo, hi = m // 2, m - m // 2 - 1
    elif mode == "full":
        lo, hi = m - 1, m - 1
    else:
        raise ValueError("mode must be one of ['full', 'same', 'valid']")
    # XLA's convolution without flipping: out[k] = sum_j xpad[k + j] * y[j]
    xpad = lax.pad(x, lax_const(x, 0), [(lo, hi, 0)])
    n_out = np.shape(xpad)[0] - m + 1
    windows = xpad[np.arange(n_out)[:, None] + np.arange(m)[None, :]]
    result = lax.dot_general(windows, y, (((1,), (0,)), ((), ())), precision=precision,
                             preferred_element_type=preferred_element_type)
    return flip(result) if reverse_out else result


def convolve(a: Any, v: Any, mode: str = "full", *, precision: Any = None,
             preferred_element_type: Any = None):
    """Discrete linear convolution of two 1-D arrays, as `jax.numpy.convolve` (inputs
    are promoted to an inexact dtype unless `preferred_element_type` is given)."""
    a, v = _ensure_arraylike("convolve", a, v)
    return _conv(a, v, mode, "convolve", precision, preferred_element_type)


def correlate(a: Any, v: Any, mode: str = "valid", *, precision: Any = None,
              preferred_element_type: Any = None):
    """Cross-correlation of two 1-D arrays, c_k = sum_j a[k + j] conj(v[j]), as
    `jax.numpy.correlate`."""
    a, v = _ensure_arraylike("correlate", a, v)
    return _conv(a, v, mode, "correlate", precision, preferred_element_type)


# ---------------------------------------------------------------------------
# polyval

def polyval(p: Any, x: Any, *, unroll: int = 16):
    """The polynomial with coefficients p (highest power first) at x, by Horner's
    rule in a scan over p's leading axis, as `jax.numpy.polyval`."""
    p, x = _ensure_arraylike("polyval", p, x)
    p_arr, x_arr = util.promote_dtypes(p, x)
    shape = util.broadcast_shapes(np.shape(p_arr)[1:], np.shape(x_arr))
    y = lax.full_like(x_arr, 0, shape=shape, dtype=dtypes.dtype(x_arr))
    y, _ = lax.scan(lambda y, c: (y * x_arr + c, None), y, p_arr, unroll=unroll)
    return y


# ---------------------------------------------------------------------------
# logspace, geomspace

def _space_args(name: str, start, stop, num, axis, dtype):
    """logspace/geomspace's shared checks: (num, axis, result dtype, computation dtype,
    start and stop converted to the computation dtype)."""
    num = util.concrete_int(num, f"'num' argument of jnp.{name}")
    axis = util.concrete_int(axis, f"'axis' argument of jnp.{name}")
    util.check_user_dtype_supported(dtype, name)
    if dtype is None:
        dtype = util.to_inexact_dtype(dtypes.result_type(start, stop))
    dtype = dtypes.canonicalize_dtype(dtype)
    comp = dtypes.canonicalize_dtype(util.to_inexact_dtype(dtype))
    start, stop = _ensure_arraylike(name, start, stop)
    return num, axis, dtype, comp, util.convert(start, comp), util.convert(stop, comp)


def logspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True,
             base: Any = 10.0, dtype: Any = None, axis: int = 0):
    """`base ** linspace(start, stop, num)`, as `jax.numpy.logspace`."""
    num, axis, dtype, comp, start, stop = _space_args("logspace", start, stop, num, axis, dtype)
    lin = linspace(start, stop, num, endpoint=endpoint, retstep=False, dtype=None, axis=axis)
    return lax.convert_element_type(ufuncs.power(base, lin), dtype)


def geomspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True,
              dtype: Any = None, axis: int = 0):
    """Numbers spaced evenly on a log scale from start to stop (of the same sign), as
    `jax.numpy.geomspace`: sign * 10 ** linspace(log10 |start|, log10 |stop|)."""
    num, axis, dtype, comp, start, stop = _space_args("geomspace", start, stop, num, axis, dtype)
    sign = ufuncs.sign(start)
    res = sign * logspace(ufuncs.log10(start / sign), ufuncs.log10(stop / sign), num,
                          endpoint=endpoint, base=10.0, dtype=comp, axis=0)
    axis = canonicalize_axis(axis, res.ndim)
    if axis != 0:
        res = lax.transpose(res, (*range(1, axis + 1), 0, *range(axis + 1, res.ndim)))
    return lax.convert_element_type(res, dtype)


__all__ = [
    "array_equal", "array_equiv", "convolve", "correlate", "cross", "diff", "ediff1d",
    "gcd", "geomspace", "interp", "lcm", "logspace", "polyval", "trapezoid",
]
