"""`jax.typeof`: the abstract value (shape, dtype, weak type) of an array-like."""
from __future__ import annotations

from typing import Any

import numpy as np

from purejax._src import dtypes
from purejax._src.api import ShapeDtypeStruct
from purejax._src.array import Array
from purejax._src.core import ShapedArray, Tracer


def typeof(x: Any) -> ShapedArray:
    """The abstract value of `x`, as JAX would trace it: `ShapedArray(float32[3])`.

    Works on Arrays, tracers (inside any transformation), NumPy arrays and scalars
    (64-bit dtypes become 32-bit unless x64 is enabled), Python scalars (weakly typed:
    `ShapedArray(float32[], weak_type=True)`, printed `~float32[]` by str) and
    ShapeDtypeStruct.
    """
    if type(x) is Array or isinstance(x, Tracer):
        return x.aval
    if isinstance(x, ShapeDtypeStruct):
        return ShapedArray(x.shape, dtypes.canonicalize_dtype(x.dtype), x.weak_type)
    if isinstance(x, (np.ndarray, np.generic)):
        return ShapedArray(x.shape, dtypes.canonicalize_dtype(x.dtype), False)
    if dtypes.is_python_scalar(x):
        # coerced as a traced argument would be: a Python int beyond the default integer
        # type raises OverflowError, as in JAX
        value = dtypes.coerce_to_array(x)
        return ShapedArray((), value.dtype, dtypes.is_weakly_typed(x))
    # JAX's messages (lists and tuples are pytrees, not arrays)
    if isinstance(x, str):
        raise TypeError(f"Argument '{x}' of type {type(x)} is not a valid JAX type")
    raise TypeError(f"Argument '{x!r}' of type '{type(x)}' is not a valid JAX type")
