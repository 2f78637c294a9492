"""Declarators shared by the primitive families: each builds a Primitive with its
impl, abstract evaluation and batching rule, leaving the JVP/transpose to the
primitive's own block."""
from __future__ import annotations

from typing import Callable

import numpy as np

from purejax._src import core, dtypes
from purejax._src.core import Primitive, ShapedArray
from purejax._src.interpreters import batching


# dtype predicates used to check operands
def is_float(dt) -> bool:
    return np.issubdtype(dt, np.floating)


def is_complex(dt) -> bool:
    return np.issubdtype(dt, np.complexfloating)


def is_inexact(dt) -> bool:
    return np.issubdtype(dt, np.inexact)


def is_int(dt) -> bool:
    return np.issubdtype(dt, np.integer)


def is_bool(dt) -> bool:
    return dt == np.bool_


def is_int_or_bool(dt) -> bool:
    return is_int(dt) or is_bool(dt)


def is_number(dt) -> bool:
    return np.issubdtype(dt, np.number)


def is_any(dt) -> bool:
    return True


def is_real_number(dt) -> bool:
    return is_int(dt) or is_float(dt)


def is_float_or_complex(dt) -> bool:
    return is_inexact(dt)


_DESCR = {is_float: "floating", is_complex: "complex", is_inexact: "inexact (floating or complex)",
          is_int: "integer", is_bool: "bool", is_int_or_bool: "integer or bool",
          is_number: "number", is_any: "any", is_real_number: "integer or floating",
          is_float_or_complex: "floating or complex"}


def check_dtype(name: str, accepted: Callable, dtype) -> None:
    if not accepted(dtype):
        raise TypeError(f"{name} does not accept dtype {np.dtype(dtype).name}. Accepted dtypes "
                        f"are {_DESCR.get(accepted, accepted.__name__)}.")


def unop(name: str, impl: Callable, accepted: Callable = is_inexact,
         out_dtype: Callable | None = None) -> Primitive:
    """An elementwise unary primitive (batched by vectorisation)."""
    p = Primitive(name)
    p.impl = impl

    def abstract_eval(x, **params):
        check_dtype(name, accepted, x.dtype)
        if out_dtype is None:
            return x
        return ShapedArray(x.shape, out_dtype(x.dtype), x.weak_type)

    p.abstract_eval = abstract_eval
    batching.defvectorized(p)
    return p


def broadcast_shapes_lax(name: str, *shapes) -> tuple:
    """lax's rule: operands have equal shapes, except that rank-0 operands broadcast."""
    out = ()
    for s in shapes:
        if s == () or s == out:
            continue
        if out == ():
            out = s
        else:
            raise TypeError(f"{name} got incompatible shapes for broadcasting: "
                            f"{', '.join(map(str, shapes))}.")
    return out


def naryop(name: str, impl: Callable, accepted: Callable = is_inexact, nargs: int = 2,
           out_dtype: Callable | None = None, same_dtypes: bool = True) -> Primitive:
    """An elementwise n-ary primitive with lax's shape and dtype rules."""
    p = Primitive(name)
    p.impl = impl

    def abstract_eval(*avals, **params):
        if len(avals) != nargs:
            raise TypeError(f"{name} takes {nargs} operands, got {len(avals)}")
        for a in avals:
            check_dtype(name, accepted, a.dtype)
        if same_dtypes and len({a.dtype for a in avals}) > 1:
            raise TypeError(f"{name} requires arguments to have the same dtypes, got "
                            f"{', '.join(a.dtype.name for a in avals)}.")
        shape = broadcast_shapes_lax(name, *(a.shape for a in avals))
        dt = avals[0].dtype if out_dtype is None else out_dtype(avals[0].dtype)
        return ShapedArray(shape, np.dtype(dt), all(a.weak_type for a in avals))

    p.abstract_eval = abstract_eval
    batching.defbroadcasting(p)
    return p


def binop(name: str, impl: Callable, accepted: Callable = is_inexact,
          out_dtype: Callable | None = None) -> Primitive:
    return naryop(name, impl, accepted, 2, out_dtype)


_PY_SCALARS = frozenset({bool, int, float, complex})


def as_operands(*args):
    """Make lax-level operands: Python scalars take the dtype of the first array
    operand (they are weakly typed), as lax's functions allow."""
    for a in args:
        if type(a) in _PY_SCALARS:
            break
    else:
        return args  # the common case (jnp has already converted): nothing to do
    ref = None
    for a in args:
        if not dtypes.is_python_scalar(a):
            ref = a
            break
    if ref is None:
        return tuple(_weak_scalar(a, None) for a in args)
    dt = core.get_aval(ref).dtype if not isinstance(ref, (np.ndarray, np.generic)) else ref.dtype
    return tuple(_weak_scalar(a, dt) if dtypes.is_python_scalar(a) else a for a in args)


def _weak_scalar(x, dtype):
    from purejax._src.array import Array
    dt = dtypes.python_scalar_dtype(x) if dtype is None else dtype
    return Array(np.asarray(x, dtype=dt), dtypes.is_weakly_typed(x))
