"""The immutable `Array`: a read-only NumPy buffer plus JAX's weak-type bit.

Operators and methods (`x + y`, `x.sum()`, `x.at[i].set(v)`, indexing) are
attached by purejax._src.numpy.array_methods, shared with tracers.
"""
from __future__ import annotations

import numpy as np

from purejax._src import core, dtypes


class _ArrayMeta(type):
    # As jax.Array: tracers count as arrays for isinstance checks in user code.
    def __instancecheck__(cls, instance):
        return type(instance) is cls or isinstance(instance, core.Tracer)


class Array(metaclass=_ArrayMeta):
    __slots__ = ("_value", "weak_type", "_aval", "__weakref__")
    __array_priority__ = 100

    def __init__(self, value: np.ndarray, weak_type: bool = False):
        # The buffer is frozen so that np.asarray(x) can hand it out without a copy.
        # setflags is unconditional: it is cheaper than reading `flags.writeable` first
        # and setting it through the flags object (~0.3 us against ~0.55 us per Array).
        value.setflags(write=False)
        self._value = value
        self.weak_type = weak_type
        self._aval = None

    @property
    def aval(self) -> core.ShapedArray:
        aval = self._aval
        if aval is None:
            v = self._value
            aval = self._aval = core.ShapedArray(v.shape, v.dtype, self.weak_type)
        return aval

    @property
    def shape(self) -> tuple:
        return self._value.shape

    @property
    def dtype(self) -> np.dtype:
        return self._value.dtype

    @property
    def ndim(self) -> int:
        return self._value.ndim

    @property
    def size(self) -> int:
        return self._value.size

    @property
    def nbytes(self) -> int:
        return self._value.nbytes

    @property
    def itemsize(self) -> int:
        return self._value.itemsize

    def __array__(self, dtype=None, copy=None):
        if copy:
            return np.array(self._value, dtype=dtype, copy=True)
        if dtype is None or np.dtype(dtype) == self._value.dtype:
            return self._value
        return self._value.astype(dtype)

    def __len__(self):
        if self._value.ndim == 0:
            raise TypeError("len() of unsized object")
        return self._value.shape[0]

    def __bool__(self):
        return bool(self._value)

    def __int__(self):
        return int(self._value)

    def __float__(self):
        return float(self._value)

    def __complex__(self):
        return complex(self._value)

    def __index__(self):
        # as JAX (and NumPy 2): bool is no integer here
        if not dtypes.is_integer(self._value.dtype) or self._value.ndim:
            raise TypeError("Only integer scalar arrays can be converted to a scalar index, "
                            f"got an array of type {self.aval.str_short()}.")
        return int(self._value)

    def item(self, *args):
        return self._value.item(*args)

    def tolist(self):
        return self._value.tolist()

    def __hash__(self):
        raise TypeError("unhashable type: 'Array' (use a Python scalar or a tuple as a "
                        "static argument)")

    def __iter__(self):
        if self._value.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        w = self.weak_type
        return (Array(np.asarray(row), w) for row in self._value)

    def __reversed__(self):
        return reversed(list(self))

    def __repr__(self):
        v = self._value
        weak = ", weak_type=True" if self.weak_type else ""
        if v.dtype == dtypes.float0:
            return f"Array({v.shape}, dtype=float0)"
        if v.size == 0:
            return f"Array([], shape={v.shape}, dtype={v.dtype.name}{weak})"
        # JAX's layout exactly: wrapped as if followed by ",", and when the dtype does not
        # fit on the last line JAX pads with len("Array(") spaces (on that same line)
        width = np.get_printoptions()["linewidth"]
        body = np.array2string(v, separator=", ", prefix="Array(", suffix=",",
                               max_line_width=width)
        dtype_str = f"dtype={v.dtype.name}{weak})"
        last_line_len = len(body) - body.rfind("\n") + 1
        sep = " " * 6 if last_line_len + len(dtype_str) + 1 > width else " "
        return f"Array({body},{sep}{dtype_str}"

    def __str__(self):
        return str(self._value)

    def __format__(self, spec):
        if self._value.ndim == 0:
            return format(self._value.item(), spec)
        if not spec:
            return str(self)
        # as JAX (NumPy's ndarray.__format__): a format spec applies to scalars only
        raise TypeError(
            f"unsupported format string passed to Array.__format__: the format spec {spec!r} "
            f"applies to scalars, and this array has shape {self._value.shape}. Format its "
            f"elements instead (e.g. [format(v, {spec!r}) for v in x.tolist()]), or use "
            "np.array2string / np.printoptions for the whole array.")

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __reduce__(self):
        return (_rebuild, (np.array(self._value), self.weak_type))

    def block_until_ready(self):
        return self

    def copy_to_host_async(self):
        pass

    def is_fully_addressable(self):
        return True

    def devices(self):
        return {"cpu"}

    @property
    def device(self):
        return "cpu"


def _rebuild(value, weak_type):
    return Array(value, weak_type)


core._register_array_type(Array)


def to_array(x, dtype=None, weak_type: bool | None = None) -> Array:
    """Convert an array-like to an `Array` with JAX's canonical dtype (copying NumPy input)."""
    if type(x) is Array and dtype is None:
        return x
    if isinstance(x, core.Tracer):
        raise TypeError("to_array got a tracer; use jnp.asarray inside transformations")
    if weak_type is None:
        weak_type = dtypes.is_python_scalar(x) and dtype is None
    val = x._value if type(x) is Array else dtypes.coerce_to_array(x, dtype)
    if type(x) is Array and dtype is not None:
        val = val.astype(dtypes.canonicalize_dtype(dtype))
    elif isinstance(x, np.ndarray) and val is x:
        val = val.copy()
    return Array(val, weak_type)
