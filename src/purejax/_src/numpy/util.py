"""Shared helpers of purejax.numpy: argument checking, JAX's dtype promotion and
NumPy's shape broadcasting, lowered to lax.

Every jnp function funnels its array operands through one of the `promote_*`
helpers below, so that a jnp function behaves as JAX's does:

* Python scalars are weakly typed (`int8_array + 1` stays int8), NumPy arrays and
  scalars are strongly typed and canonicalized (float64 -> float32 without x64).
* Operands are converted with `lax.convert_element_type` only when their dtype or
  weak type differs from the promoted one, so `jnp.log(1. + jnp.exp(x))` on an f32[]
  stages exactly `exp`, `add`, `log`.
* Shapes are broadcast with NumPy's rules by `lax.broadcast_in_dim`; rank-0 operands
  are left alone because lax's elementwise primitives accept them as they are.
"""
from __future__ import annotations

import math
import operator
import warnings
from typing import Any, Sequence

import numpy as np

from purejax._src import core, dtypes
from purejax._src import lax
from purejax._src.array import Array
from purejax._src.config import _flags as _config_flags
from purejax._src.core import Tracer
from purejax._src.prims.elementwise import _const as _elementwise_const

_ARRAY_TYPES = (Array, Tracer, np.ndarray, np.generic)


# ---------------------------------------------------------------------------
# Argument checking

def is_arraylike(x: Any) -> bool:
    """Arrays, tracers, NumPy arrays and scalars, Python scalars (not lists)."""
    return (isinstance(x, _ARRAY_TYPES) or dtypes.is_python_scalar(x)
            or hasattr(x, "__jax_array__"))


def check_arraylike(fun_name: str, *args: Any) -> None:
    """Raise TypeError (as JAX does) when an argument is not an array or a scalar.

    Lists and tuples are rejected on purpose, as in JAX: converting them silently
    hides a performance pitfall. Use jnp.asarray first."""
    for pos, arg in enumerate(args):
        if not is_arraylike(arg):
            hint = (" Use jnp.asarray(...) to convert a list or tuple first."
                    if isinstance(arg, (list, tuple)) else "")
            raise TypeError(f"{fun_name} requires ndarray or scalar arguments, got "
                            f"{type(arg)} at position {pos}.{hint}")


def check_no_float0s(fun_name: str, *args: Any) -> None:
    for arg in args:
        if dtypes.dtype(arg) == dtypes.float0:
            raise TypeError(f"Called {fun_name} with a float0 array. float0s do not support "
                            "any operations by design because they are not compatible with "
                            "non-trivial vector spaces. No implicit dtype conversion is done. "
                            "You can use np.zeros_like(arr, dtype=np.float) to cast a float0 "
                            "array to a regular zeros array.")


def concrete_int(x: Any, what: str) -> int:
    """An int from a value that must be known while tracing (a shape, a count)."""
    val = core.concrete_or_error(x, what)
    try:
        return operator.index(val)
    except TypeError:
        arr = np.asarray(val)
        if arr.ndim == 0 and (dtypes.is_integer(arr.dtype) or arr.dtype == np.bool_):
            return int(arr)
        raise TypeError(f"{what}: expected an integer, got {x!r}") from None


# ---------------------------------------------------------------------------
# Turning operands into lax operands

def canonicalize_operand(x: Any):
    """An Array or Tracer for x: Python scalars become weakly typed Arrays, NumPy
    values become (copied) Arrays with JAX's canonical dtype."""
    if isinstance(x, (Array, Tracer)):
        return x
    if dtypes.is_python_scalar(x):
        return Array(np.asarray(x, dtypes.python_scalar_dtype(x)), dtypes.is_weakly_typed(x))
    if hasattr(x, "__jax_array__"):
        return canonicalize_operand(x.__jax_array__())
    val = dtypes.coerce_to_array(x)
    if val is x or (isinstance(x, np.ndarray) and np.shares_memory(val, x)):
        val = val.copy()
    return Array(val, False)


def convert(x: Any, dtype: np.dtype, weak_type: bool = False):
    """x as a lax operand of `dtype` and `weak_type` (no equation when it already is).

    Constants (Python scalars, NumPy values, concrete Arrays) are converted now, so
    no convert_element_type of a constant is ever staged (JAX folds those too)."""
    if isinstance(x, Tracer):
        return lax.convert_element_type(x, dtype, weak_type)
    t = type(x)
    if t is float or t is int:
        return _scalar_const(x, dtype, weak_type)
    if dtypes.is_python_scalar(x):
        return _python_scalar_array(x, dtype, weak_type)
    x = canonicalize_operand(x)
    if type(x) is Array:
        dtype = dtypes.canonicalize_dtype(dtype)
        if x.dtype == dtype:
            return x if x.weak_type == weak_type else Array(x._value, weak_type)
        impl = lax.convert_element_type_p.impl
        return Array(np.asarray(impl(x._value, new_dtype=dtype, weak_type=weak_type)),
                     weak_type)
    return lax.convert_element_type(x, dtype, weak_type)


# Converted Python int/float constants, keyed by (type, value, dtype, weak_type, sign).
# Eager code such as `x * 0.01` converts the same scalar on every call; Arrays are
# immutable, so one Array can serve every use. The sign bit is part of the key
# because -0.0 == 0.0 (with one hash) yet they are different constants; NaN never
# equals itself, so it would only fill the cache: it is converted every time.
_SCALAR_CONSTS: dict = {}
_SCALAR_CONSTS_LIMIT = 1024


def _python_scalar_array(x, dtype, weak_type: bool) -> Array:
    if isinstance(x, int) and not isinstance(x, bool):
        # As JAX: a Python int that does not fit the target integer type wraps.
        return Array(np.asarray(x).astype(dtype), weak_type)
    return Array(np.asarray(x, dtype=dtype), weak_type)


def _scalar_const(x, dtype, weak_type: bool) -> Array:
    if x != x:  # NaN
        return _python_scalar_array(x, dtype, weak_type)
    key = (type(x), x, dtype, weak_type, x == 0 and math.copysign(1.0, x) < 0)
    try:
        return _SCALAR_CONSTS[key]
    except (KeyError, TypeError):  # TypeError: an unhashable dtype-like
        pass
    out = _python_scalar_array(x, dtype, weak_type)
    try:
        if len(_SCALAR_CONSTS) >= _SCALAR_CONSTS_LIMIT:
            _SCALAR_CONSTS.clear()
        _SCALAR_CONSTS[key] = out
    except TypeError:
        pass
    return out


def asarray_lax(x: Any):
    """Like jnp.asarray for internal use: array-likes (incl. nested lists) to Arrays."""
    if isinstance(x, (list, tuple)):
        from purejax._src.numpy.array_creation import asarray
        return asarray(x)
    return canonicalize_operand(x)


def to_inexact_dtype(dt: np.dtype) -> np.dtype:
    """The floating type an integer or bool operand becomes (JAX 0.10's rule): float32,
    except that 64-bit integers become the default float (float64 under x64)."""
    dt = np.dtype(dt)
    if dtypes.is_inexact(dt):
        return dt
    if dt.itemsize >= 8:
        return dtypes.default_float_dtype()
    return np.dtype(np.float32)


def to_numeric_dtype(dt: np.dtype) -> np.dtype:
    # JAX hard-codes int32 here (not the default int), so bool // bool is int32
    # even under x64.
    return np.dtype(np.int32) if dt == np.bool_ else dt


def to_complex_dtype(dt: np.dtype) -> np.dtype:
    if dtypes.is_complex(dt):
        return dt
    if dt == np.float64 and dtypes.x64_enabled():
        return np.dtype(np.complex128)
    return dtypes.default_complex_dtype() if dt.kind != "f" or dt.itemsize > 4 else \
        np.dtype(np.complex64)


def _result(args) -> tuple[np.dtype, bool]:
    return dtypes.result_type(*args, return_weak_type_flag=True)


def promote_dtypes(*args: Any) -> list:
    """Convert operands to their common dtype under JAX's promotion (weak types too)."""
    if len(args) < 2:
        return [canonicalize_operand(x) for x in args]
    dt, weak = _result(args)
    return [convert(x, dt, weak) for x in args]


def promote_dtypes_inexact(*args: Any) -> list:
    """Like promote_dtypes, then integers and bools go to the default float dtype."""
    dt, weak = _result(args)
    dt = to_inexact_dtype(dt)
    return [convert(x, dt, weak) for x in args]


def promote_dtypes_numeric(*args: Any) -> list:
    """Like promote_dtypes, then bool goes to the default int dtype."""
    dt, weak = _result(args)
    dt = to_numeric_dtype(dt)
    return [convert(x, dt, weak) for x in args]


def promote_dtypes_complex(*args: Any) -> list:
    dt, weak = _result(args)
    dt = to_complex_dtype(dt)
    return [convert(x, dt, weak) for x in args]


# ---------------------------------------------------------------------------
# Shapes

def shape_of(x: Any) -> tuple:
    if isinstance(x, (Array, Tracer, np.ndarray, np.generic)):
        return tuple(x.shape)
    return np.shape(x)


def ndim_of(x: Any) -> int:
    return len(shape_of(x))


def canonicalize_axis(axis: Any, ndim: int) -> int:
    axis = operator.index(core.concrete_or_error(axis, "axis argument"))
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of bounds for array of dimension {ndim}")
    return axis + ndim if axis < 0 else axis


def broadcast_shapes(*shapes: Sequence[int]) -> tuple:
    """NumPy's broadcasting of shapes, with JAX's error message."""
    shapes = [tuple(s) for s in shapes]
    if not shapes:
        return ()
    nd = max(len(s) for s in shapes)
    out = []
    for i in range(nd):
        sizes = {s[len(s) - nd + i] for s in shapes if len(s) - nd + i >= 0}
        sizes.discard(1)
        if len(sizes) > 1:
            raise ValueError(f"Incompatible shapes for broadcasting: shapes={list(shapes)}")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def broadcast_to_shape(x: Any, shape: Sequence[int]):
    """Broadcast a lax operand to `shape` (NumPy's trailing-dimension alignment)."""
    shape = tuple(shape)
    x_shape = shape_of(x)
    if x_shape == shape:
        return x
    nlead = len(shape) - len(x_shape)
    if nlead < 0 or any(d not in (1, s) for d, s in zip(x_shape, shape[nlead:])):
        raise ValueError(f"Incompatible shapes for broadcasting: {x_shape} and requested "
                         f"shape {shape}")
    # broadcast_in_dim lets an operand dimension of size 1 grow.
    return lax.broadcast_in_dim(x, shape, tuple(range(nlead, len(shape))))


def _check_rank_promotion(fun_name: str, shapes: list) -> None:
    mode = _config_flags["jax_numpy_rank_promotion"]
    if mode == "allow" or len({len(s) for s in shapes if s}) <= 1:
        return
    msg = (f"Following NumPy automatic rank promotion for {fun_name} on shapes "
           f"{' '.join(map(str, shapes))}.")
    if mode == "raise":
        raise ValueError(f"Operands could not be broadcast together for {fun_name} on shapes "
                         f"{' '.join(map(str, shapes))} and with the config option "
                         "jax_numpy_rank_promotion='raise'. For more information, see "
                         "https://jax.readthedocs.io/en/latest/rank_promotion_warning.html.")
    warnings.warn(msg + " Set the jax_numpy_rank_promotion config option to 'allow' to "
                  "disable this warning; for more information, see "
                  "https://jax.readthedocs.io/en/latest/rank_promotion_warning.html.",
                  stacklevel=4)


def promote_shapes(fun_name: str, *args: Any, keep_scalars: bool = True) -> list:
    """Broadcast lax operands to their common NumPy shape. Rank-0 operands stay as
    they are when `keep_scalars` (lax's elementwise primitives accept them)."""
    if len(args) < 2:
        return list(args)
    shapes = [shape_of(a) for a in args]
    nonscalar = [s for s in shapes if s]
    if not nonscalar:
        return list(args)
    first = nonscalar[0]
    if all(s == first for s in nonscalar) and (keep_scalars or len(nonscalar) == len(shapes)):
        return list(args)
    _check_rank_promotion(fun_name, shapes)
    try:
        result = broadcast_shapes(*shapes)
    except ValueError:  # as JAX: a TypeError for elementwise operations
        raise TypeError(f"{fun_name}: incompatible shapes for broadcasting: "
                         f"{', '.join(map(str, shapes))}") from None
    return [a if (keep_scalars and s == ()) or s == result else broadcast_to_shape(a, result)
            for a, s in zip(args, shapes)]


def operand_aval(x):
    """The aval of a lax-ready operand (an Array or a tracer), else None."""
    if type(x) is Array or isinstance(x, Tracer):
        return x.aval
    return None


def common_aval(args):
    """The aval shared by operands that need no promotion: Arrays/tracers of one dtype
    and weak type whose shapes are equal or rank 0 (lax broadcasts those). The first
    operand's aval, or None. promote_args returns such operands unchanged, so
    arithmetic can bind its primitive at once (ufuncs' hot path)."""
    first = None
    for x in args:
        if type(x) is not Array and not isinstance(x, Tracer):  # (operand_aval, inline)
            return None
        aval = x.aval
        if first is None:
            first = aval
        elif (aval.dtype != first.dtype or aval.weak_type != first.weak_type
              or (aval.shape != first.shape and aval.shape and first.shape)):
            return None
    if first is not None and first.weak_type and first.dtype.kind == "b" and len(args) > 1:
        return None  # weak bools (from comparisons) promote to a strong bool, as in JAX
    return first


def _inexact_with_py_scalar(args):
    """Fast path for `x * 0.5`-style operands: an inexact Array/tracer and a Python int
    or float. The scalar is weak, so the result type is x's and weak only if x is;
    a rank-0 operand needs no broadcasting. None when the fast path does not apply."""
    if len(args) != 2:
        return None
    a, b = args
    if type(a) in _PY_INT_FLOAT:
        s, x, scalar_first = a, b, True
    elif type(b) in _PY_INT_FLOAT:
        s, x, scalar_first = b, a, False
    else:
        return None
    if type(x) is not Array and not isinstance(x, Tracer):  # (operand_aval, inline)
        return None
    aval = x.aval
    if aval.dtype.kind not in "fc":
        return None
    c = _scalar_const(s, aval.dtype, aval.weak_type)  # (convert's case for int and float)
    return [c, x] if scalar_first else [x, c]


_PY_INT_FLOAT = (int, float)


def promote_args(fun_name: str, *args: Any) -> list:
    """Check, promote dtypes (JAX's lattice) and broadcast shapes (NumPy's rules)."""
    if common_aval(args) is not None:
        return list(args)
    fast = _inexact_with_py_scalar(args)
    if fast is not None:
        return fast
    check_arraylike(fun_name, *args)
    return promote_shapes(fun_name, *promote_dtypes(*args))


def promote_args_numeric(fun_name: str, *args: Any) -> list:
    check_arraylike(fun_name, *args)
    return promote_shapes(fun_name, *promote_dtypes_numeric(*args))


def promote_args_inexact(fun_name: str, *args: Any) -> list:
    aval = common_aval(args)
    if aval is not None and aval.dtype.kind in "fc":
        return list(args)
    fast = _inexact_with_py_scalar(args)
    if fast is not None:
        return fast
    check_arraylike(fun_name, *args)
    return promote_shapes(fun_name, *promote_dtypes_inexact(*args))


def broadcast_arrays(*args: Any) -> list:
    """Lax operands broadcast to one common shape (rank-0 ones too)."""
    args = [canonicalize_operand(a) for a in args]
    shapes = [shape_of(a) for a in args]
    if len(set(shapes)) <= 1:
        return args
    result = broadcast_shapes(*shapes)
    return [broadcast_to_shape(a, result) for a in args]


# ---------------------------------------------------------------------------
# Small lax-level building blocks shared by the jnp modules

def lax_const(x: Any, value: Any):
    """A rank-0 constant with x's dtype: lax's `_const`. As in JAX it is weak only when
    x is a weak scalar; for a weak array it is strong, so e.g. jnp.hypot(int_array,
    2.) ends strongly typed although its promoted operands are weak."""
    aval = core.get_aval(x)
    return Array(np.asarray(value, dtype=aval.dtype), aval.weak_type and not aval.shape)


# `value` as a Python scalar next to x in a jnp expression (JAX's `x - 1`): x's dtype,
# weak exactly when x is; lax's own rank-0 constant
python_scalar_like = _elementwise_const


def where(condition: Any, x: Any, y: Any):
    """jnp.where's three-argument form: lax.select after promotion and broadcasting."""
    check_arraylike("where", condition, x, y)
    condition = canonicalize_operand(condition)
    if core.get_aval(condition).dtype != np.bool_:
        condition = lax.ne(condition, lax_const(condition, 0))
    x, y = promote_dtypes(x, y)
    if shape_of(condition) == ():
        x, y = broadcast_arrays(x, y)
    else:
        condition, x, y = broadcast_arrays(condition, x, y)
    return lax.select_n(condition, y, x)


def zeros_like_lax(x: Any):
    return lax.full_like(x, 0)


def ones_like_lax(x: Any):
    return lax.full_like(x, 1)


def expand_dims_lax(x: Any, dims: Sequence[int]):
    """Insert size-1 dimensions at `dims` (positions in the output), with
    broadcast_in_dim as lax.expand_dims does."""
    shape = shape_of(x)
    nout = len(shape) + len(dims)
    dims = sorted(canonicalize_axis(d, nout) for d in dims)
    if len(set(dims)) != len(dims):
        raise ValueError(f"repeated axis in expand_dims: {dims}")
    if not dims:
        return x
    out_shape, kept = [], []
    it = iter(shape)
    for i in range(nout):
        if i in dims:
            out_shape.append(1)
        else:
            out_shape.append(next(it))
            kept.append(i)
    return lax.broadcast_in_dim(x, tuple(out_shape), tuple(kept))


def check_user_dtype_supported(dtype: Any, fun_name: str | None = None) -> None:
    """Reject non-numeric dtypes; warn (as JAX does) when a 64-bit dtype is requested
    with x64 disabled."""
    if dtype is None or (isinstance(dtype, type) and dtype in (bool, int, float, complex)):
        return
    try:
        np_dtype = np.dtype(dtype)
    except TypeError as e:
        raise TypeError(f"{fun_name or 'dtype'}: invalid dtype {dtype!r}: {e}") from None
    if np_dtype.kind not in "biufc" and np_dtype != dtypes.float0:
        raise TypeError(f"JAX only supports number and bool dtypes, got dtype {np_dtype}"
                        f"{' in ' + fun_name if fun_name else ''}")
    canon = dtypes.canonicalize_dtype(np_dtype)
    if canon != np_dtype:
        warnings.warn(f"Explicitly requested dtype {np_dtype} "
                      f"{'requested in ' + fun_name + ' ' if fun_name else ''}is not "
                      f"available, and will be truncated to dtype {canon}. To enable more "
                      "dtypes, set the jax_enable_x64 configuration option or the "
                      "JAX_ENABLE_X64 shell environment variable. See "
                      "https://github.com/jax-ml/jax#current-gotchas for more.", stacklevel=3)


def canonicalize_shape(shape: Any, fun_name: str = "shape") -> tuple:
    """A tuple of non-negative Python ints from an int or a sequence (concrete)."""
    shape = core.concrete_or_error(shape, f"shape argument of {fun_name}")
    if isinstance(shape, (np.ndarray, Array)) and np.ndim(shape) == 0 or \
            isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        out = tuple(concrete_int(d, f"shape argument of {fun_name}") for d in shape)
    except TypeError:
        raise TypeError(f"{fun_name}: shape must be an int or a sequence of ints, got "
                        f"{shape!r}") from None
    if any(d < 0 for d in out):
        raise ValueError(f"{fun_name}: negative dimensions are not allowed, got {out}")
    return out
