"""JAX-style scalar types: `jnp.float32(x)` builds a float32 Array (not a NumPy
scalar), while `jnp.float32` still works anywhere a dtype is expected (it has a
`.dtype`, and `np.dtype(jnp.float32)` is float32)."""
from __future__ import annotations

import numpy as np

from purejax._src import dtypes
from purejax._src.array import Array


class _ScalarMeta(type):
    def __call__(cls, x=0):
        t = type(x)
        if t is float or t is int or t is bool:
            dt = dtypes.canonicalize_dtype(cls.dtype)
            if dt == cls.dtype:
                # what asarray does for a Python scalar, without its general checks
                # (jnp.float32(3.) is common in user code: 6.5 -> 2.4 us)
                return Array(dtypes.coerce_to_array(x, dt), False)
        from purejax._src.numpy.lax_numpy import asarray
        return asarray(x, dtype=cls.dtype)

    def __instancecheck__(cls, instance):
        return isinstance(instance, cls.dtype.type)

    def __eq__(cls, other):
        return other is cls or (other is not None and _as_dtype(other) == cls.dtype)

    def __ne__(cls, other):
        return not cls.__eq__(other)

    def __hash__(cls):
        return hash(cls.dtype.type)

    def __repr__(cls):
        return f"<class 'purejax.numpy.{cls.__name__}'>"


def _as_dtype(x):
    try:
        return np.dtype(x)
    except TypeError:
        return None


def _make(name: str, np_type) -> type:
    return _ScalarMeta(name, (), {"dtype": np.dtype(np_type), "__module__": "purejax.numpy",
                                  "__doc__": f"The {np.dtype(np_type).name} scalar type."})


bool_ = _make("bool", np.bool_)  # JAX prints <class 'jax.numpy.bool'>
int8 = _make("int8", np.int8)
int16 = _make("int16", np.int16)
int32 = _make("int32", np.int32)
int64 = _make("int64", np.int64)
uint8 = _make("uint8", np.uint8)
uint16 = _make("uint16", np.uint16)
uint32 = _make("uint32", np.uint32)
uint64 = _make("uint64", np.uint64)
float16 = _make("float16", np.float16)
float32 = _make("float32", np.float32)
float64 = _make("float64", np.float64)
complex64 = _make("complex64", np.complex64)
complex128 = _make("complex128", np.complex128)
