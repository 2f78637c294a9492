"""Operators, methods and properties shared by `Array` and every `Tracer`.

`_attach(cls)` installs them; it runs at import of this module for both classes,
so `import purejax._src.numpy.array_methods` is all that is needed (purejax and
purejax.numpy import it).

Binary operators follow JAX's deferral rule: Python scalars, NumPy arrays and
scalars, Arrays and tracers are accepted; lists, tuples, sets and dicts raise
TypeError; anything else gets NotImplemented so that its own reflected operator can
run. NumPy defers to our reflected operators because both classes set
`__array_priority__` above ndarray's and define no `__array_ufunc__` (so
`np_array + x` and `np.float32(2) * x` are purejax Arrays), while an explicit
NumPy function call (`np.sin(x)`) converts through `__array__` and returns a NumPy
array, as with JAX arrays.
"""
from __future__ import annotations

import numpy as np

from purejax._src import core, dtypes
from purejax._src import lax
from purejax._src.config import _flags as _config_flags
from purejax._src.prims import elementwise as _elementwise
from purejax._src.array import Array
from purejax._src.core import Tracer
from purejax._src.numpy import (array_creation, einsum, indexing, lax_numpy, reductions,
                                selection, tensor_contractions, ufuncs, util)
from purejax._src.numpy import sorting

_ACCEPTED_BINOP_TYPES = (int, float, complex, np.generic, np.ndarray, Array, Tracer)
_REJECTED_BINOP_TYPES = (list, tuple, set, dict)

_SETITEM_MSG = ("JAX arrays are immutable and do not support in-place item assignment. "
                "Instead of x[idx] = y, use x = x.at[idx].set(y) or another .at[] method: "
                "https://jax.readthedocs.io/en/latest/_autosummary/jax.numpy.ndarray.at.html")


def _defer_to_unrecognized_arg(opchar: str, binary_op, swap: bool = False):
    def deferring_binary_op(self, other):
        if type(other) is Array or isinstance(other, Tracer):  # the common case, first
            return binary_op(other, self) if swap else binary_op(self, other)
        if hasattr(other, "__jax_array__"):
            other = other.__jax_array__()
        args = (other, self) if swap else (self, other)
        if isinstance(other, _ACCEPTED_BINOP_TYPES):
            return binary_op(*args)
        if type(other) in _REJECTED_BINOP_TYPES:
            raise TypeError(f"unsupported operand type(s) for {opchar}: "
                            f"{type(args[0]).__name__!r} and {type(args[1]).__name__!r}")
        return NotImplemented
    deferring_binary_op.__name__ = binary_op.__name__
    return deferring_binary_op


def _rdivmod(x, y):
    return ufuncs.divmod(y, x)


def _unimplemented_setitem(self, i, x):
    raise TypeError(_SETITEM_MSG)


def _unimplemented_delitem(self, i):
    raise TypeError("JAX arrays are immutable and do not support item deletion.")


def _getitem(self, item):
    return indexing.getitem(self, item)


def _round(self, ndigits=None):
    # As JAX: round(x) is an Array (half to even), not a Python int; with no
    # ndigits it is cast to the default int, as the builtin round gives an int.
    out = ufuncs.round(self, ndigits or 0)
    return out.astype(int) if ndigits is None else out


_BINARY_OPS = {
    "add": ("+", ufuncs.add),
    "sub": ("-", ufuncs.subtract),
    "mul": ("*", ufuncs.multiply),
    "truediv": ("/", ufuncs.true_divide),
    "floordiv": ("//", ufuncs.floor_divide),
    "mod": ("%", ufuncs.remainder),
    "divmod": ("divmod", ufuncs.divmod),
    "pow": ("**", ufuncs.power),
    "matmul": ("@", tensor_contractions.matmul),
    "and": ("&", ufuncs.bitwise_and),
    "or": ("|", ufuncs.bitwise_or),
    "xor": ("^", ufuncs.bitwise_xor),
    "lshift": ("<<", ufuncs.left_shift),
    "rshift": (">>", ufuncs.right_shift),
}

_COMPARISONS = {
    "eq": ("==", ufuncs.equal),
    "ne": ("!=", ufuncs.not_equal),
    "lt": ("<", ufuncs.less),
    "le": ("<=", ufuncs.less_equal),
    "gt": (">", ufuncs.greater),
    "ge": (">=", ufuncs.greater_equal),
}


# ---------------------------------------------------------------------------
# Methods

def _reshape(self, *args, order: str = "C", shape=None, copy=None):
    newshape = shape if shape is not None else (args[0] if len(args) == 1 else args)
    return lax_numpy.reshape(self, newshape, order=order)


def _transpose(self, *args):
    if not args:
        axes = None
    elif len(args) == 1 and (args[0] is None or isinstance(args[0], (tuple, list))):
        axes = args[0]
    else:
        axes = args
    return lax_numpy.transpose(self, axes)


def _astype(self, dtype, copy: bool = False, device=None):
    return lax_numpy.astype(self, dtype, copy=copy, device=device)


def _flatten(self, order: str = "C"):
    return lax_numpy.ravel(self, order)


def _T(self):
    nd = util.ndim_of(self)
    if nd < 2:
        return self
    return lax_numpy.transpose(self)


def _mT(self):
    return lax_numpy.matrix_transpose(self)


def _real(self):
    return ufuncs.real(self)


def _imag(self):
    return ufuncs.imag(self)


def _at(self):
    return indexing._IndexUpdateHelper(self)


def _clip(self, min=None, max=None, out=None):
    if out is not None:
        raise NotImplementedError("The 'out' argument to clip is not supported.")
    return lax_numpy.clip(self, min, max)


def _dot(self, b, *, precision=None, preferred_element_type=None):
    return tensor_contractions.dot(self, b, precision=precision,
                                   preferred_element_type=preferred_element_type)


def _take(self, indices, axis=None, out=None, mode=None, unique_indices=False,
          indices_are_sorted=False, fill_value=None):
    return indexing.take(self, indices, axis, out, mode, unique_indices, indices_are_sorted,
                         fill_value)


def _squeeze(self, axis=None):
    return lax_numpy.squeeze(self, axis)


def _swapaxes(self, axis1, axis2):
    return lax_numpy.swapaxes(self, axis1, axis2)


def _diagonal(self, offset=0, axis1=0, axis2=1):
    return array_creation.diagonal(self, offset, axis1, axis2)


def _trace(self, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    return array_creation.trace(self, offset, axis1, axis2, dtype, out)


def _repeat(self, repeats, axis=None, *, total_repeat_length=None):
    return lax_numpy.repeat(self, repeats, axis, total_repeat_length=total_repeat_length)


def _nonzero(self, *, size=None, fill_value=None):
    return lax_numpy.nonzero(self, size=size, fill_value=fill_value)


def _copy(self):
    return self


def _view(self, dtype=None, type=None):
    if type is not None:
        raise NotImplementedError("`type` argument of array.view() is not supported.")
    if dtype is None or dtypes.canonicalize_dtype(dtype) == self.dtype:
        return self
    fn = getattr(lax, "bitcast_convert_type", None)
    if fn is None:
        raise NotImplementedError(
            f"Array.view({dtypes.canonicalize_dtype(dtype)}) reinterprets the bits of an "
            f"array of dtype {self.dtype}, which needs the bitcast_convert_type primitive that "
            "purejax does not have yet. To convert the values instead, use "
            "x.astype(dtype); to reinterpret the bits of a concrete array, use "
            "jnp.asarray(np.asarray(x).view(dtype)).")
    return fn(self, dtypes.canonicalize_dtype(dtype))


def _choose(self, choices, out=None, mode="raise"):
    return selection.choose(self, choices, out=out, mode=mode)


def _compress(self, condition, axis=None, *, out=None, size=None, fill_value=0):
    return selection.compress(condition, self, axis=axis, out=out, size=size,
                              fill_value=fill_value)


def _tobytes(self, order="C"):
    # the bytes of the NumPy value (a tracer without a known value raises, as in JAX)
    return np.asarray(self).tobytes(order)


def _array_namespace(self, *, api_version=None):
    import purejax.numpy as jnp
    return jnp


def _round_method(self, decimals=0, out=None):
    return ufuncs.round(self, decimals, out)


_METHODS = {
    "all": reductions.all,
    "any": reductions.any,
    "argmax": reductions.argmax,
    "argmin": reductions.argmin,
    "argpartition": sorting.argpartition,
    "argsort": sorting.argsort,
    "astype": _astype,
    "choose": _choose,
    "clip": _clip,
    "compress": _compress,
    "conj": ufuncs.conjugate,
    "conjugate": ufuncs.conjugate,
    "copy": _copy,
    "cumprod": reductions.cumprod,
    "cumsum": reductions.cumsum,
    "diagonal": _diagonal,
    "dot": _dot,
    "flatten": _flatten,
    "max": reductions.max,
    "mean": reductions.mean,
    "min": reductions.min,
    "nonzero": _nonzero,
    "prod": reductions.prod,
    "ptp": reductions.ptp,
    "ravel": lax_numpy.ravel,
    "repeat": _repeat,
    "reshape": _reshape,
    "round": _round_method,
    "searchsorted": sorting.searchsorted,
    "squeeze": _squeeze,
    "sort": sorting.sort,
    "std": reductions.std,
    "sum": reductions.sum,
    "swapaxes": _swapaxes,
    "take": _take,
    "tobytes": _tobytes,
    "trace": _trace,
    "transpose": _transpose,
    "var": reductions.var,
    "view": _view,
    "__array_namespace__": _array_namespace,
}

_PROPERTIES = {
    "T": _T,
    "mT": _mT,
    "real": _real,
    "imag": _imag,
    "at": _at,
}


def _attach(cls) -> None:
    """Give `cls` (Array or a Tracer class) JAX's operators, methods and properties."""
    for name, (opchar, fn) in _BINARY_OPS.items():
        setattr(cls, f"__{name}__", _defer_to_unrecognized_arg(opchar, fn))
        if name == "divmod":
            setattr(cls, "__rdivmod__", _defer_to_unrecognized_arg(opchar, fn, swap=True))
        else:
            setattr(cls, f"__r{name}__", _defer_to_unrecognized_arg(opchar, fn, swap=True))
    for name, (opchar, fn) in _COMPARISONS.items():
        setattr(cls, f"__{name}__", _defer_to_unrecognized_arg(opchar, fn))
    cls.__neg__ = lambda self: ufuncs.negative(self)
    cls.__pos__ = lambda self: ufuncs.positive(self)
    cls.__abs__ = lambda self: ufuncs.absolute(self)
    cls.__invert__ = lambda self: ufuncs.bitwise_not(self)
    cls.__round__ = _round
    cls.__getitem__ = _getitem
    cls.__setitem__ = _unimplemented_setitem
    cls.__delitem__ = _unimplemented_delitem
    for name, fn in _METHODS.items():
        setattr(cls, name, fn)
    for name, fn in _PROPERTIES.items():
        setattr(cls, name, property(fn))
    # `__eq__` returns an array, so hashing stays an error (defined by the classes).


_attach(Array)
_attach(Tracer)


def _eager_arith(prim, generic, swap: bool):
    """Array's `+ - * /` when nothing is being staged (the eager trace, or linearize
    over it, which runs concrete operations at once) and the operands need no
    promotion (another Array of the same floating dtype, shape and weak type, or a
    Python int/float): the primitive's impl at once, which is what `bind` on the eager
    trace would run, without the jnp and bind layers (~0.7 us of ~2.3 per operation).
    Anything else, and NaN/inf checking, takes the general operator."""
    impl = prim.impl
    state = core._state
    flags = _config_flags

    def op(self, other):
        a = self._value
        if a.dtype.kind in "fc" and state.trace.computes_concrete \
                and not (flags["jax_debug_nans"] or flags["jax_debug_infs"]):
            t = type(other)
            if t is Array:
                b = other._value
                weak = self.weak_type
                if b.dtype != a.dtype or b.shape != a.shape or other.weak_type != weak:
                    return generic(self, other)
            elif t is float or t is int:
                weak = self.weak_type  # a Python scalar is weak: the result is self's type
                b = util._scalar_const(other, a.dtype, weak)._value
            else:
                return generic(self, other)
            out = impl(b, a) if swap else impl(a, b)
            return Array(out if type(out) is np.ndarray else np.asarray(out), weak)
        return generic(self, other)
    op.__name__ = generic.__name__
    return op


for _name, _prim in (("add", _elementwise.add_p), ("sub", _elementwise.sub_p),
                     ("mul", _elementwise.mul_p), ("truediv", _elementwise.div_p)):
    for _dunder, _swap in ((f"__{_name}__", False), (f"__r{_name}__", True)):
        setattr(Array, _dunder, _eager_arith(_prim, getattr(Array, _dunder), _swap))
_ = einsum  # imported so that attaching methods also loads the whole jnp layer
